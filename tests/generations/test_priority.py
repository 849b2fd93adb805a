"""Pro's priority queue: while every model slot is busy, a Pro subscriber's queued work starts first."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from tests.support import Api

ORIGIN = {"Origin": "http://localhost:8000"}


async def subscribe(api: Api, me: dict[str, str], plan: str) -> None:
    url = (await api.client.post("/billing/checkout", headers=me, json={"plan": plan})).json()["checkoutUrl"]
    assert (await api.client.post(f"{urlsplit(url).path}/pay", headers=ORIGIN)).status_code == 303


async def test_a_pro_generation_queued_last_starts_first(start_api) -> None:
    api = await start_api(model_concurrency=1, rate_limit_per_minute=100, signup_credits=100)
    basic, pro = await api.register(), await api.register()
    await subscribe(api, basic, "basic")  # a plan without priority changes nothing
    await subscribe(api, pro, "pro")

    # The order in which work reaches the model: what the slots decide (finishing order also depends on how long
    # each result takes to store).
    reached: list[str] = []
    model = api.services.provider

    class Recording:
        name = model.name

        async def generate(self, *args: Any, generation_id: str, **options: Any) -> Any:
            reached.append(generation_id)
            return await model.generate(*args, generation_id=generation_id, **options)

        def is_available(self) -> bool:
            return bool(model.is_available())

        async def aclose(self) -> None:
            await model.aclose()

    api.services.provider = Recording()
    async with contextlib.AsyncExitStack() as busy:  # the one model slot is taken while the work queues up
        await busy.enter_async_context(api.services.model_slots.hold())
        waiting = [(await api.upload(basic)).json()["generation"]["id"] for _ in range(3)]
        first = (await api.upload(pro)).json()["generation"]["id"]
        while api.services.model_slots.waiting < 4:  # every one of them is queued for the slot
            await asyncio.sleep(0.01)

    for generation_id in [*waiting, first]:
        await api.wait_done(basic if generation_id in waiting else pro, generation_id)
    assert reached == [first, *waiting]
