"""Reconciliation against a fake Polar on a real socket: the paid orders of the last days are read page by page
and each is applied once, whether it is new, was applied by a webhook already, or is seen again on the next run;
orders that are not this service's are skipped without stopping the others."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.billing import reconcile
from app.billing.reconcile import SyncReport
from app.models import Purchase, utcnow
from tests.billing import fake_polar
from tests.billing.fake_polar import ORDERS, FakePolar
from tests.support import ROOT, Api, StartApi, ledger, user_id

TOKEN = "polar_oat_test"
SECRET = "whsec_" + base64.b64encode(b"webhook-signing-key-for-tests-00").decode()
PRODUCTS = {"basic": str(uuid.uuid4()), "pro": str(uuid.uuid4()), "pack-50": str(uuid.uuid4())}
PAID_STATUSES = ["paid", "refunded", "partially_refunded"]


@pytest.fixture
def polar() -> Iterator[FakePolar]:
    for fake in fake_polar.serve(TOKEN, PRODUCTS.values()):
        fake.max_limit = 2  # three orders come on two pages
        yield fake


@pytest.fixture
async def api(start_api: StartApi, polar: FakePolar) -> Api:
    return await start_api(payments_provider="polar", polar_access_token=TOKEN, polar_webhook_secret=SECRET,
                           polar_api_url=polar.url, polar_products=PRODUCTS)


def paid(polar: FakePolar, plan: str, user: str | None, *, net: int, age: timedelta, reason: str = "purchase",
         refunded: int = 0, product_id: str | None = None, status: str | None = None) -> dict[str, Any]:
    """An order as Polar lists it, the checkout's metadata included."""
    status = status or ("paid" if not refunded else "refunded" if refunded >= net else "partially_refunded")
    order = fake_polar.order(product_id=product_id or PRODUCTS[plan], external_id=user, net_amount=net,
                             created_at=utcnow() - age, billing_reason=reason, status=status,
                             refunded_amount=refunded, metadata={"user_id": user, "plan": plan} if user else {})
    polar.orders.append(order)
    return order


async def three_orders(api: Api, polar: FakePolar) -> tuple[dict[str, str], dict[str, str], list[dict[str, Any]]]:
    """Two accounts: one subscribed to Basic and bought a pack it was then half refunded; one bought a pack."""
    wanda, vision = await api.register(), await api.register()
    wanda_id, vision_id = await user_id(api, wanda), await user_id(api, vision)
    orders = [
        paid(polar, "basic", wanda_id, net=999, age=timedelta(days=1), reason="subscription_create"),
        paid(polar, "pack-50", vision_id, net=599, age=timedelta(days=2)),
        paid(polar, "pack-50", wanda_id, net=599, age=timedelta(days=3), refunded=300),
    ]
    # Polar's filters leave these out: too old for the window, and not paid.
    paid(polar, "pro", vision_id, net=2999, age=timedelta(days=10), reason="subscription_create")
    paid(polar, "pro", vision_id, net=2999, age=timedelta(hours=1), status="pending")
    return wanda, vision, orders


async def purchases(api: Api) -> list[tuple[str, str, int, int, int]]:
    async with api.services.sessionmaker() as session:
        rows = await session.execute(select(Purchase.order_id, Purchase.plan_id, Purchase.credits,
                                            Purchase.refunded_amount, Purchase.credits_taken_back)
                                     .order_by(Purchase.created_at))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def kinds(api: Api, me: dict[str, str]) -> list[tuple[str, int]]:
    return [(kind, amount) for kind, amount, _ in await ledger(api, await user_id(api, me))]


async def test_missed_orders_are_applied_once_and_a_second_run_applies_nothing(api: Api, polar: FakePolar) -> None:
    wanda, vision, orders = await three_orders(api, polar)

    first = await reconcile.sync(api.settings, days=7)

    assert first == SyncReport(seen=3, applied=3, credits_taken_back=25)
    assert await api.credits(wanda) == 30 + 100 + 50 - 25
    assert await api.credits(vision) == 30 + 50
    assert await kinds(api, wanda) == [("signup_grant", 30), ("purchase", 100), ("purchase", 50),
                                       ("purchase_refund", -25)]
    assert await kinds(api, vision) == [("signup_grant", 30), ("purchase", 50)]
    applied = await purchases(api)
    assert sorted(applied) == sorted([(orders[0]["id"], "basic", 100, 0, 0), (orders[1]["id"], "pack-50", 50, 0, 0),
                                      (orders[2]["id"], "pack-50", 50, 300, 25)])
    assert (await api.client.get("/billing", headers=wanda)).json()["credits"] == 155

    again = await reconcile.sync(api.settings, days=7)

    assert again == SyncReport(seen=3, applied=0, credits_taken_back=0)
    assert (await api.credits(wanda), await api.credits(vision)) == (155, 80)
    assert (len(await kinds(api, wanda)), len(await kinds(api, vision))) == (4, 2)
    assert await purchases(api) == applied


async def test_polar_is_asked_for_paid_orders_of_the_window_page_by_page(api: Api, polar: FakePolar) -> None:
    await three_orders(api, polar)
    before = utcnow()

    await reconcile.sync(api.settings, days=7)

    asked = polar.requests_to(ORDERS)
    assert [r.query["page"] for r in asked] == [["1"], ["2"]]
    for request in asked:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["polar-version"] == "2026-10"
        assert request.query["status"] == PAID_STATUSES
        assert request.query["limit"] == ["100"]
        after = datetime.fromisoformat(request.query["created_after"][0])
        assert after.utcoffset() == timedelta(0)
        assert abs(after - (before - timedelta(days=7))) < timedelta(minutes=1)


async def test_a_wider_window_reaches_older_orders(api: Api, polar: FakePolar) -> None:
    _, vision, _ = await three_orders(api, polar)

    report = await reconcile.sync(api.settings, days=14)

    assert (report.seen, report.applied) == (4, 4)
    assert await api.credits(vision) == 30 + 50 + 300


async def test_an_order_a_webhook_applied_is_not_applied_again(api: Api, polar: FakePolar) -> None:
    _, vision, orders = await three_orders(api, polar)
    body, headers = fake_polar.signed_webhook(SECRET, "order.paid", orders[1])
    delivered = await api.client.post("/webhooks/polar", content=body, headers=headers)
    assert delivered.status_code == 202, delivered.text
    assert await api.credits(vision) == 80

    report = await reconcile.sync(api.settings, days=7)

    assert report == SyncReport(seen=3, applied=2, credits_taken_back=25)
    assert await api.credits(vision) == 80
    assert await kinds(api, vision) == [("signup_grant", 30), ("purchase", 50)]


async def test_a_refund_a_webhook_applied_is_not_taken_back_again(api: Api, polar: FakePolar) -> None:
    wanda, _, orders = await three_orders(api, polar)
    body, headers = fake_polar.signed_webhook(SECRET, "order.refunded", orders[2])
    assert (await api.client.post("/webhooks/polar", content=body, headers=headers)).status_code == 202
    assert await api.credits(wanda) == 30 + 50 - 25

    report = await reconcile.sync(api.settings, days=7)

    assert (report.seen, report.credits_taken_back) == (3, 0)
    assert await api.credits(wanda) == 30 + 100 + 50 - 25
    assert [k for k, _ in await kinds(api, wanda)].count("purchase_refund") == 1


async def test_orders_that_are_not_ours_are_skipped_and_the_rest_applied(
    api: Api, polar: FakePolar, caplog: pytest.LogCaptureFixture
) -> None:
    me = await api.register()
    mine = await user_id(api, me)
    other_product = paid(polar, "pro", mine, net=4999, age=timedelta(hours=1), product_id=str(uuid.uuid4()))
    deleted_account = paid(polar, "pack-50", str(uuid.uuid4()), net=599, age=timedelta(hours=2))
    no_account = paid(polar, "pack-50", None, net=599, age=timedelta(hours=3))
    paid(polar, "pack-50", mine, net=599, age=timedelta(hours=4))

    with caplog.at_level(logging.WARNING, logger="app.billing.service"):
        report = await reconcile.sync(api.settings, days=7)

    assert report == SyncReport(seen=4, applied=1, credits_taken_back=0)
    assert await api.credits(me) == 30 + 50
    assert len(await purchases(api)) == 1
    assert f"order {other_product['id']} not applied: unknown product" in caplog.text
    assert f"order {deleted_account['id']} not applied: no such account" in caplog.text
    assert f"order {no_account['id']} not applied: no such account" in caplog.text
    assert (await reconcile.sync(api.settings, days=7)).applied == 0


async def test_nothing_to_reconcile(api: Api, polar: FakePolar) -> None:
    assert await reconcile.sync(api.settings, days=7) == SyncReport()
    assert [r.query["page"] for r in polar.requests_to(ORDERS)] == [["1"]]


def run_sync(api: Api, polar: FakePolar, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": api.settings.database_url, "PAYMENTS_PROVIDER": "polar",
           "POLAR_ACCESS_TOKEN": token, "POLAR_WEBHOOK_SECRET": SECRET, "POLAR_API_URL": polar.url,
           "POLAR_PRODUCTS": json.dumps(PRODUCTS)}
    return subprocess.run([sys.executable, "-m", "app.admin", "billing", "sync", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


async def test_the_command_line_applies_once(api: Api, polar: FakePolar) -> None:
    wanda, vision, _ = await three_orders(api, polar)

    first = await asyncio.to_thread(run_sync, api, polar, "--days", "7")

    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "3 paid orders seen, 3 applied now, 25 credits taken back for refunds"
    assert (await api.credits(wanda), await api.credits(vision)) == (155, 80)

    again = await asyncio.to_thread(run_sync, api, polar, "--days", "7")

    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "3 paid orders seen, 0 applied now, 0 credits taken back for refunds"
    assert (await api.credits(wanda), await api.credits(vision)) == (155, 80)
    assert len(await purchases(api)) == 3
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in polar.requests_to(ORDERS))
    assert len(polar.requests_to(ORDERS)) == 4


async def test_the_command_line_fails_when_polar_does_without_applying_or_leaking(
    api: Api, polar: FakePolar
) -> None:
    wanda, _, _ = await three_orders(api, polar)
    polar.fail(ORDERS, "server_error")

    failed = await asyncio.to_thread(run_sync, api, polar)

    assert failed.returncode != 0
    assert TOKEN not in failed.stdout + failed.stderr
    assert (await api.credits(wanda), await purchases(api)) == (30, [])
    assert (await asyncio.to_thread(run_sync, api, polar)).returncode == 0  # Polar back: the next run catches up
    assert await api.credits(wanda) == 155


async def test_a_missed_order_refunded_too_little_to_take_credits_is_still_applied(api: Api, polar: FakePolar) -> None:
    me = await api.register()
    order = paid(polar, "pack-50", await user_id(api, me), net=599, age=timedelta(hours=1), refunded=5)

    report = await reconcile.sync(api.settings, days=7)

    # 5 of 599 cents is less than one of the pack's 50 credits: the purchase is granted, nothing is taken back.
    assert report == SyncReport(seen=1, applied=1, credits_taken_back=0)
    assert await api.credits(me) == 30 + 50
    assert await purchases(api) == [(order["id"], "pack-50", 50, 5, 0)]
    assert await reconcile.sync(api.settings, days=7) == SyncReport(seen=1, applied=0, credits_taken_back=0)
