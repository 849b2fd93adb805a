"""The operators' console: administrators only, every action recorded, refunds once, disabling ends access."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.models import AdminAction, Generation, User
from tests.support import ROOT, Api, faint_png, ledger, user_id

WAIT = {"Prefer": "wait=30"}


async def make_admin(api: Api) -> dict[str, str]:
    admin = await api.register()
    async with api.services.sessionmaker() as session:
        await session.execute(update(User).where(User.id == uuid.UUID(await user_id(api, admin)))
                              .values(is_superuser=True))
        await session.commit()
    return admin


async def actions(api: Api) -> list[tuple[str, str | None, str | None]]:
    async with api.services.sessionmaker() as session:
        rows = await session.scalars(select(AdminAction).order_by(AdminAction.id))
        return [(a.action, a.target, a.note) for a in rows]


ROUTES = [("GET", "/admin/users", None), ("GET", f"/admin/users/{uuid.uuid4()}", None),
          ("POST", f"/admin/users/{uuid.uuid4()}/credits", {"amount": 5, "note": "x"}),
          ("POST", "/admin/generations/gen_1/refund", {"note": "x"}),
          ("PATCH", f"/admin/users/{uuid.uuid4()}", {"isActive": False}), ("GET", "/admin/stats", None)]


async def test_every_admin_route_refuses_everyone_else(api: Api) -> None:
    person = await api.register()
    admin = await make_admin(api)
    admin_key = (await api.client.post("/users/me/api-keys", headers=admin, json={"name": "k"})).json()["key"]
    for method, path, body in ROUTES:
        assert (await api.client.request(method, path, json=body)).status_code == 401, path
        for who in (person, {"Authorization": f"Bearer {admin_key}"}):  # an admin's key is not enough either
            refused = await api.client.request(method, path, headers=who, json=body)
            assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN"), path
    assert await actions(api) == []


async def test_find_a_user_and_see_their_account(api: Api) -> None:
    admin = await make_admin(api)
    someone = await api.register("needle@example.com")
    await api.upload(someone, extra_headers=WAIT)
    await api.upload(someone, faint_png(), filename="f.png", content_type="image/png", extra_headers=WAIT)

    found = (await api.client.get("/admin/users?q=NEEDLE", headers=admin)).json()["users"]
    assert [(u["email"], u["credits"], u["generations"]) for u in found] == [("needle@example.com", 10, 2)]
    detail = (await api.client.get(f"/admin/users/{found[0]['id']}", headers=admin)).json()
    assert [g["status"] for g in detail["recentGenerations"]] == ["failed", "completed"]
    assert detail["recentGenerations"][0]["errorMessage"]
    assert [e["reason"] for e in detail["ledger"]] == ["generation", "generation", "signup"]
    assert (await api.client.get("/admin/users?q=%25", headers=admin)).json()["users"] == []  # % is not a wildcard


async def test_users_are_listed_in_pages(api: Api) -> None:
    admin = await make_admin(api)
    for _ in range(4):
        await api.register()
    first = (await api.client.get("/admin/users?limit=3", headers=admin)).json()
    rest = (await api.client.get(f"/admin/users?limit=3&cursor={first['nextCursor']}", headers=admin)).json()
    ids = [u["id"] for u in first["users"] + rest["users"]]
    assert len(ids) == len(set(ids)) == 5
    assert rest["nextCursor"] is None


async def test_credits_are_granted_and_taken_with_a_reason_never_below_zero(api: Api) -> None:
    admin = await make_admin(api)
    person = await api.register()
    uid = await user_id(api, person)

    granted = await api.client.post(f"/admin/users/{uid}/credits", headers=admin, json={"amount": 25, "note": "sorry"})
    assert granted.json() == {"credits": 55}
    refused = await api.client.post(f"/admin/users/{uid}/credits", headers=admin, json={"amount": -56, "note": "x"})
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_ERROR")
    assert await api.credits(person) == 55
    assert (await ledger(api, uid))[-1][:2] == ("admin_adjustment", 25)
    assert await actions(api) == [("credits", "25", "sorry")]
    missing = await api.client.post(f"/admin/users/{uuid.uuid4()}/credits", headers=admin,
                                    json={"amount": 1, "note": "x"})
    assert missing.status_code == 404


async def test_a_generation_is_refunded_once_even_when_asked_at_once(api: Api) -> None:
    admin = await make_admin(api)
    person = await api.register()
    generation = (await api.upload(person, extra_headers=WAIT)).json()["generation"]["id"]

    answers = await asyncio.gather(*(api.client.post(f"/admin/generations/{generation}/refund", headers=admin,
                                                     json={"note": "bad result"}) for _ in range(5)))

    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"ALREADY_REFUNDED"}
    assert await api.credits(person) == 30
    assert [a[0] for a in await actions(api)] == ["refund"]


async def test_a_generation_refunded_automatically_cannot_be_refunded_again(start_api) -> None:
    api = await start_api(refund_model_failures=True)
    admin = await make_admin(api)
    person = await api.register()
    failed = (await api.upload(person, faint_png(), filename="f.png", content_type="image/png",
                               extra_headers=WAIT)).json()["generation"]["id"]
    assert await api.credits(person) == 30
    again = await api.client.post(f"/admin/generations/{failed}/refund", headers=admin, json={"note": "x"})
    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_REFUNDED")
    assert (await api.client.post("/admin/generations/gen_nope/refund", headers=admin,
                                  json={"note": "x"})).status_code == 404


async def test_disabling_an_account_ends_its_logins_and_keys_at_once(api: Api) -> None:
    admin = await make_admin(api)
    person = await api.register()
    key = (await api.client.post("/users/me/api-keys", headers=person, json={"name": "k"})).json()["key"]
    uid = await user_id(api, person)

    disabled = await api.client.patch(f"/admin/users/{uid}", headers=admin, json={"isActive": False})

    assert disabled.json()["isActive"] is False
    assert (await api.client.get("/users/me", headers=person)).status_code == 401
    assert (await api.client.get("/users/me", headers={"Authorization": f"Bearer {key}"})).status_code == 401
    assert (await api.upload({"Authorization": f"Bearer {key}"})).status_code == 401
    await api.client.patch(f"/admin/users/{uid}", headers=admin, json={"isActive": True})
    assert (await api.client.get("/users/me", headers={"Authorization": f"Bearer {key}"})).status_code == 200
    assert (await api.client.get("/users/me", headers=person)).status_code == 401  # the login stays ended
    assert [a[0] for a in await actions(api)] == ["disable", "enable"]


async def test_stats_count_a_known_set_of_generations_and_purchases(start_api) -> None:
    api = await start_api(rate_limit_per_minute=100)
    admin = await make_admin(api)
    a, b = await api.register(), await api.register()
    for me in (a, a, b):
        await api.upload(me, extra_headers=WAIT)
    await api.upload(b, faint_png(), filename="f.png", content_type="image/png", extra_headers=WAIT)
    path = (await api.client.post("/billing/checkout", headers=b, json={"plan": "pack-50"})).json()["checkoutUrl"]
    await api.client.post(path.removeprefix("http://localhost:8000") + "/pay", headers={"Origin": "http://localhost:8000"})
    async with api.services.sessionmaker() as session:  # b's first generation was two days ago, and b came back
        first = (await session.scalars(select(Generation).where(Generation.user_id == uuid.UUID(
            await user_id(api, b))).order_by(Generation.created_at))).first()
        assert first is not None
        await session.execute(update(Generation).where(Generation.id == first.id).values(
            created_at=first.created_at - timedelta(days=2), updated_at=first.updated_at - timedelta(days=2)))
        await session.commit()

    stats = (await api.client.get("/admin/stats?days=30", headers=admin)).json()

    assert stats["generations"] == {"total": 4, "completed": 3, "failed": 1, "pending": 0}
    assert stats["successRate"] == 0.75
    assert stats["creditsSpent"] == 40
    assert stats["creditsPurchased"] == 50
    assert stats["revenueCents"] == 0  # the offline checkout takes no money
    assert stats["signups"] == 3
    assert stats["activeUsers"] == 2
    assert stats["retention"] == {"firstGeneration": 2, "returned": 1}
    assert sum(stats["byStyle"].values()) == 4
    assert sum(stats["byHour"]) == 4
    assert len(stats["byHour"]) == 24
    assert stats["generationSeconds"]["p50"] is not None
    assert sum(d["completed"] for d in stats["byDay"]) == 3
    assert (await api.client.get("/admin/stats?days=0", headers=admin)).status_code == 422


@pytest.mark.parametrize("command", ["make-admin", "revoke-admin"])
async def test_the_command_line_gives_and_takes_the_console(api: Api, database_url: str, command: str) -> None:
    person = await api.register("boss@example.com")
    run = subprocess.run([sys.executable, "-m", "app.admin", command, "boss@example.com"], cwd=ROOT,
                         env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    expected = 200 if command == "make-admin" else 403
    assert (await api.client.get("/admin/stats", headers=person)).status_code == expected
    assert (await actions(api))[-1][0] == command
    unknown = subprocess.run([sys.executable, "-m", "app.admin", command, "nobody@example.com"], cwd=ROOT,
                             env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True)
    assert unknown.returncode == 1
