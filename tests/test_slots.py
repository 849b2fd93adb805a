"""Slots: a bound on work at once; priority first while all are taken; nobody starved."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from app.slots import Slots
from tests.support import ManualClock

Job = Callable[[str, bool], Coroutine[Any, Any, None]]


def recorded_jobs(slots: Slots, started: list[str]) -> tuple[Job, asyncio.Event]:
    """A job that notes its name in `started` once it holds a slot, and keeps it until the event is set."""
    release = asyncio.Event()

    async def job(name: str, priority: bool) -> None:
        async with slots.hold(priority=priority):
            started.append(name)
            await release.wait()

    return job, release


async def run_in_order(slots: Slots, jobs: list[tuple[str, bool]], started: list[str]) -> None:
    job, release = recorded_jobs(slots, started)
    blocker = asyncio.create_task(job("first", False))
    await asyncio.sleep(0)
    tasks = []
    for name, priority in jobs:
        tasks.append(asyncio.create_task(job(name, priority)))
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(blocker, *tasks)


async def test_priority_waiters_start_before_others_that_came_earlier() -> None:
    started: list[str] = []
    await run_in_order(Slots(1), [("a", False), ("b", False), ("pro-1", True), ("c", False), ("pro-2", True)],
                       started)
    assert started == ["first", "pro-1", "pro-2", "a", "b", "c"]


async def test_a_long_wait_is_promoted_so_nobody_waits_forever() -> None:
    clock = ManualClock()
    slots = Slots(1, promote_after=30, clock=clock)
    started: list[str] = []
    job, release = recorded_jobs(slots, started)
    first = asyncio.create_task(job("first", True))
    await asyncio.sleep(0)
    patient = asyncio.create_task(job("patient", False))
    await asyncio.sleep(0)
    clock.now = 31  # the patient one has waited past the limit when the pro ones arrive
    pros = [asyncio.create_task(job(f"pro-{i}", True)) for i in range(3)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, patient, *pros)
    assert started == ["first", "patient", "pro-0", "pro-1", "pro-2"]


async def test_never_more_holders_than_slots_and_a_cancelled_waiter_loses_nothing() -> None:
    slots = Slots(2)
    holding = 0
    most = 0

    async def job() -> None:
        nonlocal holding, most
        async with slots.hold(priority=False):
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.001)
            holding -= 1

    doomed = [asyncio.create_task(job()) for _ in range(5)]
    others = [asyncio.create_task(job()) for _ in range(20)]
    await asyncio.sleep(0)
    for task in doomed[2:]:
        task.cancel()
    await asyncio.gather(*others, *doomed, return_exceptions=True)
    assert most == 2
    assert slots.waiting == 0
    async with slots.hold(), slots.hold():  # both slots are free again
        pass
