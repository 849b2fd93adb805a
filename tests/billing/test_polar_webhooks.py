"""Polar's webhooks: real signatures (both of Polar's key kinds), and every purchase applied exactly once however
deliveries come: repeated, concurrent, out of order, stale, forged."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from app.models import Purchase, WebhookDelivery
from tests.support import Api, ledger, user_id

# A secret generated after Polar's 2026-09-08 cut-off: the key is the base64 after "whsec_".
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
# One from before: the key is the whole string's bytes.
LEGACY_SECRET = "whsec_legacy-endpoint-secret"
PRODUCTS = {"basic": str(uuid.uuid4()), "pro": str(uuid.uuid4()), "pack-50": str(uuid.uuid4())}


def sign(body: bytes, *, secret: str = SECRET, legacy: bool = False, webhook_id: str | None = None,
         at: float | None = None) -> dict[str, str]:
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = str(int(at if at is not None else time.time()))
    key = secret.encode() if legacy else base64.b64decode(secret.removeprefix("whsec_"))
    signature = base64.b64encode(hmac.digest(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256))
    return {"webhook-id": webhook_id, "webhook-timestamp": timestamp, "webhook-signature": f"v1,{signature.decode()}",
            "content-type": "application/json", "user-agent": "polar.sh webhooks"}


def order(user: str, *, order_id: str | None = None, plan: str = "basic", status: str = "paid",
          reason: str = "subscription_create", net: int = 999, refunded: int = 0) -> dict[str, Any]:
    return {"id": order_id or str(uuid.uuid4()), "status": status, "paid": status != "pending",
            "billing_reason": reason, "product_id": PRODUCTS[plan], "subtotal_amount": net, "discount_amount": 0,
            "net_amount": net, "tax_amount": 0, "total_amount": net, "refunded_amount": refunded,
            "refunded_tax_amount": 0, "currency": "usd", "customer": {"id": str(uuid.uuid4()), "external_id": user,
                                                                        "email": "buyer@example.com"},
            "metadata": {"user_id": user, "plan": plan}, "subscription_id": None,
            "created_at": "2026-11-29T10:00:00.000000Z", "modified_at": None}


def subscription(user: str, *, sub_id: str, plan: str = "pro", status: str = "active",
                 modified_at: str | None = None, cancel_at_period_end: bool = False, ends_at: str | None = None,
                 ended_at: str | None = None) -> dict[str, Any]:
    return {"id": sub_id, "status": status, "product_id": PRODUCTS[plan], "amount": 2999, "currency": "usd",
            "recurring_interval": "month", "customer": {"external_id": user}, "metadata": {"user_id": user},
            "current_period_start": "2026-11-29T10:00:00Z", "current_period_end": "2099-12-29T10:00:00Z",
            "cancel_at_period_end": cancel_at_period_end, "ends_at": ends_at, "ended_at": ended_at,
            "created_at": "2026-11-29T10:00:00Z", "modified_at": modified_at}


def event(kind: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "timestamp": "2026-11-29T10:00:01Z", "api_version": "2026-10",
                       "data": data}).encode()


@pytest.fixture
async def polar(start_api) -> Api:
    return await start_api(polar_webhook_secret=SECRET, polar_products=PRODUCTS)


async def deliver(api: Api, body: bytes, **signing: Any) -> int:
    headers = signing.pop("headers", None) or sign(body, **signing)
    return (await api.client.post("/webhooks/polar", content=body, headers=headers)).status_code


async def account(api: Api) -> tuple[dict[str, str], str]:
    me = await api.register()
    return me, await user_id(api, me)


async def purchases(api: Api) -> int:
    async with api.services.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Purchase)))


async def test_a_paid_order_grants_its_plans_credits(polar: Api) -> None:
    me, uid = await account(polar)
    assert await deliver(polar, event("order.paid", order(uid))) == 202
    assert await polar.credits(me) == 130
    assert [row[:2] for row in await ledger(polar, uid)] == [("signup_grant", 30), ("purchase", 100)]


@pytest.mark.parametrize("legacy", [False, True], ids=["standard-key", "legacy-key"])
async def test_both_kinds_of_signing_key_are_accepted(start_api, legacy: bool) -> None:
    secret = LEGACY_SECRET if legacy else SECRET
    api = await start_api(polar_webhook_secret=secret, polar_products=PRODUCTS)
    me, uid = await account(api)
    assert await deliver(api, event("order.paid", order(uid, plan="pack-50", reason="purchase", net=599)),
                         secret=secret, legacy=legacy) == 202
    assert await api.credits(me) == 80


async def test_forged_stale_and_unsigned_deliveries_change_nothing(polar: Api) -> None:
    me, uid = await account(polar)
    body = event("order.paid", order(uid))
    forged = sign(body, secret="whsec_" + base64.b64encode(b"x" * 32).decode())
    tampered = sign(body)
    stale = sign(body, at=time.time() - 6 * 60)
    future = sign(body, at=time.time() + 6 * 60)
    for headers in (forged, stale, future, {"content-type": "application/json"}):
        answer = await polar.client.post("/webhooks/polar", content=body, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (403, "FORBIDDEN")
    changed = body.replace(b'"net_amount": 999', b'"net_amount": 99900')
    assert (await polar.client.post("/webhooks/polar", content=changed, headers=tampered)).status_code == 403
    assert await polar.credits(me) == 30
    async with polar.services.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_without_a_webhook_secret_every_delivery_is_refused(api: Api) -> None:
    body = event("order.paid", order(str(uuid.uuid4())))
    assert (await api.client.post("/webhooks/polar", content=body, headers=sign(body))).status_code == 403


async def test_the_same_delivery_again_grants_nothing(polar: Api) -> None:
    me, uid = await account(polar)
    body = event("order.paid", order(uid))
    headers = sign(body)
    assert [await deliver(polar, body, headers=headers) for _ in range(3)] == [202] * 3
    assert await polar.credits(me) == 130


async def test_one_order_in_several_events_grants_once(polar: Api) -> None:
    me, uid = await account(polar)
    paid = order(uid)
    for kind in ("order.paid", "order.updated", "order.paid"):
        assert await deliver(polar, event(kind, paid)) == 202  # each with its own webhook-id
    assert await polar.credits(me) == 130


async def test_twenty_concurrent_deliveries_of_one_event_grant_once(polar: Api) -> None:
    me, uid = await account(polar)
    body = event("order.paid", order(uid))
    headers = sign(body)
    other = event("order.paid", order(uid, plan="pack-50", reason="purchase", net=599))

    answers = await asyncio.gather(*(deliver(polar, body, headers=headers) for _ in range(20)),
                                   *(deliver(polar, other) for _ in range(20)))

    assert set(answers) == {202}
    assert await polar.credits(me) == 180
    assert await purchases(polar) == 2


async def test_a_pending_order_grants_nothing_until_paid(polar: Api) -> None:
    me, uid = await account(polar)
    pending = order(uid, status="pending")
    await deliver(polar, event("order.created", pending))  # a type not handled: acknowledged
    await deliver(polar, event("order.updated", pending))
    assert await polar.credits(me) == 30
    await deliver(polar, event("order.paid", {**pending, "status": "paid", "paid": True}))
    assert await polar.credits(me) == 130


async def test_renewals_are_new_orders_and_grant_again(polar: Api) -> None:
    me, uid = await account(polar)
    await deliver(polar, event("order.paid", order(uid, reason="subscription_create")))
    await deliver(polar, event("order.paid", order(uid, reason="subscription_cycle")))
    assert await polar.credits(me) == 230


async def test_refunds_take_back_the_refunded_share_once_never_below_zero(polar: Api) -> None:
    me, uid = await account(polar)
    paid = order(uid, plan="pack-50", reason="purchase", net=600)
    await deliver(polar, event("order.paid", paid))
    assert await polar.credits(me) == 80

    half = {**paid, "status": "partially_refunded", "refunded_amount": 300}
    for _ in range(2):  # the same refund reported twice
        await deliver(polar, event("order.refunded", half))
    assert await polar.credits(me) == 55

    await polar.upload(me)  # spends 10 of what is left
    await polar.upload(me)
    await polar.upload(me)
    assert await polar.credits(me) == 25
    full = {**paid, "status": "refunded", "refunded_amount": 600}
    await deliver(polar, event("order.refunded", full))
    assert await polar.credits(me) == 0  # 25 owed of the second half, 25 there
    await deliver(polar, event("order.refunded", full))
    assert await polar.credits(me) == 0
    kinds = [row[:2] for row in await ledger(polar, uid) if row[0] == "purchase_refund"]
    assert kinds == [("purchase_refund", -25), ("purchase_refund", -25)]


async def test_a_refund_reported_before_the_payment_is_still_exact(polar: Api) -> None:
    me, uid = await account(polar)
    paid = order(uid, plan="pack-50", reason="purchase", net=600)
    await deliver(polar, event("order.refunded", {**paid, "status": "refunded", "refunded_amount": 600}))
    await deliver(polar, event("order.paid", paid))
    assert await polar.credits(me) == 30
    assert [row[:2] for row in await ledger(polar, uid)][1:] == [("purchase", 50), ("purchase_refund", -50)]


async def test_the_plan_follows_the_subscription_and_ignores_stale_events(polar: Api) -> None:
    me, uid = await account(polar)
    sub = str(uuid.uuid4())
    created = subscription(uid, sub_id=sub)
    canceled = subscription(uid, sub_id=sub, modified_at="2026-11-30T10:00:00Z", cancel_at_period_end=True,
                            ends_at="2099-12-29T10:00:00Z")
    revoked = subscription(uid, sub_id=sub, status="canceled", modified_at="2026-12-01T10:00:00Z",
                           cancel_at_period_end=True, ends_at="2026-12-01T10:00:00Z",
                           ended_at="2026-12-01T10:00:00Z")

    await deliver(polar, event("subscription.created", created))
    plan = (await polar.client.get("/billing", headers=me)).json()["plan"]
    assert (plan["id"], plan["status"], plan["renewsAt"][:10]) == ("pro", "active", "2099-12-29")

    await deliver(polar, event("subscription.canceled", canceled))
    await deliver(polar, event("subscription.active", created))  # older: must not undo the cancellation
    plan = (await polar.client.get("/billing", headers=me)).json()["plan"]
    assert (plan["status"], plan["endsAt"][:10], plan["renewsAt"]) == ("canceled", "2099-12-29", None)

    await deliver(polar, event("subscription.revoked", revoked))
    await deliver(polar, event("subscription.updated", canceled))  # late, older
    assert (await polar.client.get("/billing", headers=me)).json()["plan"] is None


async def test_events_for_unknown_products_or_accounts_are_acknowledged_and_ignored(polar: Api) -> None:
    me, uid = await account(polar)
    stranger = order(str(uuid.uuid4()))
    foreign = {**order(uid), "product_id": str(uuid.uuid4())}
    assert await deliver(polar, event("order.paid", stranger)) == 202
    assert await deliver(polar, event("order.paid", foreign)) == 202
    assert await deliver(polar, event("checkout.updated", {"id": "x"})) == 202
    assert await polar.credits(me) == 30


async def test_a_signed_body_that_is_not_an_event_is_a_422(polar: Api) -> None:
    body = event("order.paid", {"id": "only-an-id"})
    answer = await polar.client.post("/webhooks/polar", content=body, headers=sign(body))
    assert (answer.status_code, answer.json()["code"]) == (422, "VALIDATION_ERROR")
