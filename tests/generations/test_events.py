"""Whoever waits for a generation hears of its end at once, from this process or, through Redis, another."""

from __future__ import annotations

import asyncio

from app.generations.events import FinishedGenerations
from tests.support import REDIS_URL


async def test_a_waiter_is_woken_by_its_generation_and_no_other() -> None:
    events = FinishedGenerations()
    await events.start(listen=True)
    async with events.watching("gen_a") as mine, events.watching("gen_b") as other:
        await events.announce("gen_a")

        assert mine.done()
        assert not other.done()
    await events.aclose()


async def test_news_from_another_process_arrives_through_redis() -> None:
    api_process = FinishedGenerations(REDIS_URL)
    worker_process = FinishedGenerations(REDIS_URL)
    await api_process.start(listen=True)
    await worker_process.start(listen=False)
    try:
        async with api_process.watching("gen_far") as finished:
            await worker_process.announce("gen_far")

            await asyncio.wait_for(finished, 10)
    finally:
        await worker_process.aclose()
        await api_process.aclose()


async def test_a_waiter_that_left_is_forgotten() -> None:
    events = FinishedGenerations()
    async with events.watching("gen_gone"):
        pass

    await events.announce("gen_gone")  # nobody to wake: no error, nothing kept

    assert not events._waiters
