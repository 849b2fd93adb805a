"""Buying with the offline checkout: a page that says no money moves, and Pay applied once through the ledger."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from app.config import ConfigurationError, Settings
from tests.support import Api, ledger, user_id

ORIGIN = {"Origin": "http://localhost:8000"}


async def checkout(api: Api, me: dict[str, str], plan: str) -> str:
    started = await api.client.post("/billing/checkout", headers=me, json={"plan": plan})
    assert started.status_code == 201, started.text
    url = started.json()["checkoutUrl"]
    assert url.startswith("http://localhost:8000/billing/local-checkout/")
    return urlsplit(url).path


async def test_buying_basic_offline_adds_its_credits_and_the_plan(api: Api) -> None:
    me = await api.register()
    path = await checkout(api, me, "basic")

    page = await api.client.get(path)
    assert page.status_code == 200
    assert "no money moves" in page.text
    assert ">Pay<" in page.text
    assert ">Cancel<" in page.text

    paid = await api.client.post(f"{path}/pay", headers=ORIGIN)
    assert paid.status_code == 303
    assert paid.headers["location"] == "http://localhost:8000/account/billing?checkout=success&plan=basic"

    billing = (await api.client.get("/billing", headers=me)).json()
    assert billing["credits"] == 130
    assert billing["plan"]["id"] == "basic"
    assert billing["plan"]["status"] == "active"
    assert billing["plan"]["renewsAt"] is not None
    statement = (await api.client.get("/credits/ledger", headers=me)).json()["entries"]
    assert [(e["reason"], e["amount"], e["balanceAfter"]) for e in statement] == [("purchase", 100, 130),
                                                                                  ("signup", 30, 30)]
    purchases = (await api.client.get("/billing/purchases", headers=me)).json()["purchases"]
    assert [(p["planId"], p["amountCents"], p["credits"]) for p in purchases] == [("basic", 999, 100)]


async def test_paying_twice_or_at_once_grants_once(api: Api) -> None:
    me = await api.register()
    path = await checkout(api, me, "pack-50")

    answers = await asyncio.gather(*(api.client.post(f"{path}/pay", headers=ORIGIN) for _ in range(10)))

    assert {a.status_code for a in answers} == {303}
    assert await api.credits(me) == 80
    assert [row[0] for row in await ledger(api, await user_id(api, me))].count("purchase") == 1
    assert (await api.client.get("/billing", headers=me)).json()["plan"] is None  # a pack is not a plan


async def test_a_plan_one_has_cannot_be_bought_again(api: Api) -> None:
    me = await api.register()
    await api.client.post(f"{await checkout(api, me, 'pro')}/pay", headers=ORIGIN)

    again = await api.client.post("/billing/checkout", headers=me, json={"plan": "pro"})

    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_SUBSCRIBED")
    assert (await api.client.post("/billing/checkout", headers=me, json={"plan": "pack-50"})).status_code == 201


@pytest.mark.parametrize("plan", ["enterprise", "gold", ""])
async def test_a_plan_that_cannot_be_bought_is_refused(api: Api, plan: str) -> None:
    me = await api.register()
    refused = await api.client.post("/billing/checkout", headers=me, json={"plan": plan})
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_ERROR")


async def test_an_altered_or_made_up_checkout_is_not_found(api: Api) -> None:
    me = await api.register()
    path = await checkout(api, me, "basic")
    forged = path[:-3] + ("xyz" if not path.endswith("xyz") else "abc")
    for bad in (forged, "/billing/local-checkout/nothing", "/billing/local-checkout/a.b"):
        assert (await api.client.get(bad)).status_code == 404
        assert (await api.client.post(f"{bad}/pay", headers=ORIGIN)).status_code == 404
    assert await api.credits(me) == 30


async def test_checkout_and_billing_need_a_login(api: Api) -> None:
    assert (await api.client.post("/billing/checkout", json={"plan": "basic"})).status_code == 401
    assert (await api.client.get("/billing")).status_code == 401
    assert (await api.client.get("/credits/ledger")).status_code == 401
    assert (await api.client.get("/billing/plans")).status_code == 200


async def test_the_portal_needs_a_purchase(api: Api) -> None:
    me = await api.register()
    refused = await api.client.post("/billing/portal", headers=me)
    assert (refused.status_code, refused.json()["code"]) == (409, "NO_PURCHASES")
    await api.client.post(f"{await checkout(api, me, 'pack-50')}/pay", headers=ORIGIN)
    assert (await api.client.post("/billing/portal", headers=me)).json()["portalUrl"].endswith("/account/billing")


def test_the_offline_checkout_is_refused_in_production() -> None:
    settings = Settings(_env_file=None, app_env="production", auth_secret="s" * 40)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="PAYMENTS_PROVIDER=local"):
        settings.check_startable()


async def test_plans_are_the_seeds(api: Api) -> None:
    listed = (await api.client.get("/billing/plans")).json()["plans"]
    assert [(p["id"], p["kind"], p["priceCents"], p["credits"], p["priority"]) for p in listed] == [
        ("basic", "subscription", 999, 100, False), ("pro", "subscription", 2999, 300, True),
        ("pack-50", "one_time", 599, 50, False), ("enterprise", "contact", None, 0, False)]
    assert listed[3]["contactUrl"].startswith("mailto:")
    assert listed[0]["interval"] == "month"
    assert listed[2]["interval"] is None


async def test_the_ledger_pages_newest_first_with_balances(start_api) -> None:
    api = await start_api(rate_limit_per_minute=100)
    me = await api.register()
    for _ in range(3):
        await api.upload(me)
    first = (await api.client.get("/credits/ledger?limit=2", headers=me)).json()
    rest = (await api.client.get(f"/credits/ledger?limit=2&cursor={first['nextCursor']}", headers=me)).json()
    entries = first["entries"] + rest["entries"]
    assert [(e["reason"], e["amount"], e["balanceAfter"]) for e in entries] == [
        ("generation", -10, 0), ("generation", -10, 10), ("generation", -10, 20), ("signup", 30, 30)]
    assert rest["nextCursor"] is None
    assert all(e["generationId"] for e in entries[:3])
    bad = await api.client.get("/credits/ledger?cursor=abc", headers=me)
    assert (bad.status_code, bad.json()["code"]) == (422, "VALIDATION_ERROR")
