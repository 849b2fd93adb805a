"""No generation is processed twice at once, and none stays pending forever."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from app.generations import pipeline
from app.generations.failures import Fault
from app.models import Generation, utcnow
from tests.support import Api

# A broker nobody listens on: the queue "loses" the work, as a crash of an in-process queue would.
DEAD_BROKER = "redis://127.0.0.1:1/0"


async def pending_generation_left_behind(start_api) -> tuple[Api, dict[str, str], str]:
    """A generation accepted and charged, whose queued work never ran; the app that took it is gone."""
    first = await start_api(task_broker_url=DEAD_BROKER)
    me = await first.register()
    accepted = await first.upload(me)
    assert accepted.status_code == 202, accepted.text
    generation_id = accepted.json()["generation"]["id"]
    got = await first.client.get(f"/generations/{generation_id}", headers=me)
    assert got.json()["status"] == "pending"
    return first, me, generation_id


async def set_generation(api: Api, generation_id: str, **values) -> None:
    async with api.services.sessionmaker() as session:
        await session.execute(update(Generation).where(Generation.id == generation_id).values(**values))
        await session.commit()


async def test_pending_work_is_resumed_after_a_restart(start_api) -> None:
    _, me, generation_id = await pending_generation_left_behind(start_api)

    restarted = await start_api(generation_unclaimed_grace_seconds=0)

    done = await restarted.wait_done(me, generation_id)
    assert done["status"] == "completed"
    assert await restarted.credits(me) == 20


async def test_recently_queued_work_is_left_to_its_queue(start_api) -> None:
    first, me, generation_id = await pending_generation_left_behind(start_api)

    from app.generations.recovery import recover_stalled
    found = await recover_stalled(first.services)

    assert found == 0  # within the grace period it may still be on its way through the queue


async def test_work_of_a_crashed_worker_is_resumed_when_its_lease_runs_out(start_api) -> None:
    first, me, generation_id = await pending_generation_left_behind(start_api)
    await set_generation(first, generation_id, attempts=1, lease_token="dead-worker",
                         lease_expires_at=utcnow() - timedelta(seconds=1))

    restarted = await start_api()

    done = await restarted.wait_done(me, generation_id)
    assert done["status"] == "completed"
    async with restarted.services.sessionmaker() as session:
        assert await session.scalar(select(Generation.attempts).where(Generation.id == generation_id)) == 2


async def test_a_live_lease_is_not_taken_over(start_api) -> None:
    first, me, generation_id = await pending_generation_left_behind(start_api)
    await set_generation(first, generation_id, attempts=1, lease_token="busy-worker",
                         lease_expires_at=utcnow() + timedelta(minutes=5))

    restarted = await start_api(generation_unclaimed_grace_seconds=0)
    await asyncio.sleep(0.5)

    assert (await restarted.client.get(f"/generations/{generation_id}", headers=me)).json()["status"] == "pending"
    assert await pipeline.claim(restarted.services, generation_id) is None


async def test_work_that_keeps_crashing_is_failed_and_refunded(start_api) -> None:
    first, me, generation_id = await pending_generation_left_behind(start_api)
    await set_generation(first, generation_id, attempts=3, lease_token="dead-worker",
                         lease_expires_at=utcnow() - timedelta(seconds=1))

    restarted = await start_api()

    failed = await restarted.wait_done(me, generation_id)
    assert failed["status"] == "failed"
    assert "refunded" in failed["errorMessage"]
    assert await restarted.credits(me) == 30


async def test_only_one_of_many_concurrent_claims_wins(start_api) -> None:
    first, _, generation_id = await pending_generation_left_behind(start_api)

    claims = await asyncio.gather(*(pipeline.claim(first.services, generation_id) for _ in range(10)))

    assert sum(c is not None for c in claims) == 1


async def test_a_stale_worker_cannot_finish_work_taken_over_by_another(start_api) -> None:
    first, me, generation_id = await pending_generation_left_behind(start_api)
    stale = await pipeline.claim(first.services, generation_id)
    assert stale is not None
    await set_generation(first, generation_id, lease_expires_at=utcnow() - timedelta(seconds=1))
    fresh = await pipeline.claim(first.services, generation_id)
    assert fresh is not None

    assert await pipeline.fail(first.services, generation_id, "stale", Fault.OURS, lease=stale) is False
    assert await pipeline.fail(first.services, generation_id, "fresh", Fault.MODEL, lease=fresh) is True
    got = (await first.client.get(f"/generations/{generation_id}", headers=me)).json()
    assert got["errorMessage"] == "fresh"
    assert await first.credits(me) == 20


async def test_model_calls_are_bounded_by_the_concurrency_setting(start_api) -> None:
    from app.providers.local import LocalComicProvider

    class MeasuredProvider(LocalComicProvider):
        """The offline provider, slowed down, counting how many calls overlap."""

        in_flight = 0
        most = 0

        async def generate(self, *args, **kwargs):
            MeasuredProvider.in_flight += 1
            MeasuredProvider.most = max(MeasuredProvider.most, MeasuredProvider.in_flight)
            try:
                await asyncio.sleep(0.2)
                return await super().generate(*args, **kwargs)
            finally:
                MeasuredProvider.in_flight -= 1

    api = await start_api(model_concurrency=2, signup_credits=100, rate_limit_per_minute=100)
    api.services.provider = MeasuredProvider()
    me = await api.register()

    ids = [(await api.upload(me)).json()["generation"]["id"] for _ in range(6)]
    done = [await api.wait_done(me, generation_id) for generation_id in ids]

    assert {d["status"] for d in done} == {"completed"}
    assert MeasuredProvider.most == 2


async def test_a_live_worker_keeps_its_lease_however_slow_the_model(start_api) -> None:
    first, _, generation_id = await pending_generation_left_behind(start_api)
    held = await pipeline.claim(first.services, generation_id)
    assert held is not None
    other = await pending_generation_left_behind(start_api)
    await set_generation(first, generation_id, lease_expires_at=utcnow() + timedelta(seconds=1))
    await set_generation(first, other[2], attempts=1, lease_token="someone-else",
                         lease_expires_at=utcnow() + timedelta(seconds=1))

    with first.services.leases.keeping(held):
        await first.services.leases.renew()

    async with first.services.sessionmaker() as session:
        ours = await session.scalar(select(Generation.lease_expires_at).where(Generation.id == generation_id))
        theirs = await session.scalar(select(Generation.lease_expires_at).where(Generation.id == other[2]))
    assert ours > utcnow() + timedelta(seconds=first.settings.generation_lease_seconds - 5)
    assert theirs < utcnow() + timedelta(seconds=2)  # only the leases this process holds
    assert await pipeline.claim(first.services, generation_id) is None


async def test_a_worker_handed_work_under_a_live_lease_takes_it_when_the_lease_runs_out(start_api) -> None:
    """How a queue's second delivery of a dead worker's message gets done: it waits out the dead lease."""
    first, me, generation_id = await pending_generation_left_behind(start_api)
    await set_generation(first, generation_id, attempts=1, lease_token="dead-worker",
                         lease_expires_at=utcnow() + timedelta(seconds=1))

    await pipeline.process(first.services, generation_id)

    done = (await first.client.get(f"/generations/{generation_id}", headers=me)).json()
    assert done["status"] == "completed"


async def test_a_generation_deleted_while_the_model_starts_is_no_error(start_api, caplog) -> None:
    """Its owner deletes it, files and all, after a worker took it and before the photo was read: the worker lets
    it go quietly. A photo missing from a generation that is still there is an error, and fails it."""
    from app.providers.local import LocalComicProvider

    api = await start_api()
    me = await api.register()
    loses: list[str] = []  # what the model does, one generation after another: delete it, or lose its photo

    class Meanwhile(LocalComicProvider):
        async def generate(self, image, *args, generation_id, **kwargs):
            what = loses.pop(0)
            if what == "generation":
                assert (await api.client.delete(f"/generations/{generation_id}", headers=me)).status_code == 200
            else:
                async with api.services.sessionmaker() as session:
                    row = await session.get(Generation, generation_id)
                await api.services.storage.delete([row.original_image_key])
            return await super().generate(image, *args, generation_id=generation_id, **kwargs)

    api.services.provider = Meanwhile()
    loses.append("generation")
    deleted = (await api.upload(me)).json()["generation"]["id"]
    async with asyncio.timeout(30):
        while "gone before its original was read" not in caplog.text:
            await asyncio.sleep(0.05)
    assert f"generation {deleted}: gone before its original was read" in caplog.text
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []

    loses.append("photo")
    kept = (await api.upload(me)).json()["generation"]["id"]
    done = await api.wait_done(me, kept)
    assert done["status"] == "failed"
    [error] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert error.startswith(f"generation {kept}: original unreadable: ObjectNotFound")
