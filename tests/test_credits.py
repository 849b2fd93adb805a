"""Credits never race, never go negative, and always equal the sum of the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from app import credits
from app.generations import pipeline
from app.generations.failures import Fault
from tests.support import Api, faint_png, ledger, user_id


async def test_twenty_concurrent_requests_with_thirty_credits_accept_exactly_three(api: Api) -> None:
    me = await api.register()

    answers = await asyncio.gather(*(api.upload(me) for _ in range(20)))

    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(202) == 3, statuses
    assert statuses.count(402) == 17, statuses
    assert {a.json()["code"] for a in answers if a.status_code == 402} == {"INSUFFICIENT_CREDITS"}
    assert await api.credits(me) == 0
    listed = await api.client.get("/generations", headers=me)
    assert listed.json()["count"] == 3
    # Refused requests left no files behind.
    stored = {p.parent.name for p in api.settings.storage_dir.rglob("original.jpg")}
    assert stored == {g["id"] for g in listed.json()["generations"]}
    entries = await ledger(api, await user_id(api, me))
    assert sum(amount for _, amount, _ in entries) == 0
    assert sorted(kind for kind, _, _ in entries) == ["generation_debit"] * 3 + ["signup_grant"]


async def test_ledger_records_signup_debit_and_refund_and_sums_to_the_balance(start_api) -> None:
    api = await start_api(refund_model_failures=True)
    me = await api.register()

    ok = (await api.upload(me, extra_headers={"Prefer": "wait=30"})).json()["generation"]
    failed = (await api.upload(me, faint_png(), filename="b.png", content_type="image/png",
                               extra_headers={"Prefer": "wait=30"})).json()["generation"]

    entries = await ledger(api, await user_id(api, me))
    assert entries == [
        ("signup_grant", 30, None),
        ("generation_debit", -10, ok["id"]),
        ("generation_debit", -10, failed["id"]),
        ("refund", 10, failed["id"]),
    ]
    assert sum(a for _, a, _ in entries) == await api.credits(me) == 20


async def test_a_generation_is_never_refunded_twice(api: Api) -> None:
    me = await api.register()
    generation = (await api.upload(me, extra_headers={"Prefer": "wait=30"})).json()["generation"]
    uid = uuid.UUID(await user_id(api, me))

    async with api.services.sessionmaker() as session:
        await credits.refund_generation(session, uid, generation["id"], 10)
        await session.commit()
    async with api.services.sessionmaker() as session:
        with pytest.raises(IntegrityError):  # the ledger's unique (generation, kind)
            await credits.refund_generation(session, uid, generation["id"], 10)  # flushes
        await session.rollback()

    assert await api.credits(me) == 30
    assert sum(a for _, a, _ in await ledger(api, str(uid))) == 30


async def test_storage_failure_before_the_model_is_refunded(api: Api) -> None:
    """Seed policy: a failure before the model is called (here: the stored upload vanished) is refunded."""
    me = await api.register()
    async with contextlib.AsyncExitStack() as held:  # hold the model: the work waits before reading its upload
        for _ in range(api.settings.model_concurrency):
            await held.enter_async_context(api.services.model_slots.hold())
        lost = (await api.upload(me)).json()["generation"]
        (api.settings.storage_dir / "users" / lost["userId"] / lost["id"] / "original.jpg").unlink()

    failed = await api.wait_done(me, lost["id"])

    assert failed["status"] == "failed"
    assert "refunded" in failed["errorMessage"]
    assert await api.credits(me) == 30


async def test_fail_is_applied_once_even_when_two_workers_race_to_fail(api: Api) -> None:
    me = await api.register()
    async with contextlib.AsyncExitStack() as held:
        for _ in range(api.settings.model_concurrency):
            await held.enter_async_context(api.services.model_slots.hold())
        generation = (await api.upload(me)).json()["generation"]

        results = await asyncio.gather(*(
            pipeline.fail(api.services, generation["id"], "gave up", Fault.OURS) for _ in range(5)
        ))

    assert sorted(results) == [False, False, False, False, True]
    assert await api.credits(me) == 30
    assert sum(a for _, a, _ in await ledger(api, await user_id(api, me))) == 30
