"""The background work queue: taskiq, in-process by default, Redis-brokered for separate worker processes.

Run workers with `taskiq worker app.worker:broker` and `TASK_BROKER_URL=redis://...` in both the API's and the
workers' environment.
"""

from __future__ import annotations

from typing import Annotated

from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask, Context, InMemoryBroker, TaskiqDepends

from app.config import Settings
from app.generations import pipeline

PROCESS_TASK = "aivenger.process_generation"


async def process_generation(generation_id: str, context: Annotated[Context, TaskiqDepends()]) -> None:
    await pipeline.process(context.state.services, generation_id)


def build_broker(settings: Settings) -> AsyncBroker:
    broker: AsyncBroker
    if settings.task_broker_url:
        from taskiq_redis import ListQueueBroker

        broker = ListQueueBroker(settings.task_broker_url, queue_name="aivenger:generations")
    else:
        broker = InMemoryBroker(max_async_tasks=max(settings.model_concurrency * 4, 8))
    broker.register_task(process_generation, task_name=PROCESS_TASK)
    return broker


def process_task(broker: AsyncBroker) -> AsyncTaskiqDecoratedTask[[str], None]:
    task = broker.find_task(PROCESS_TASK)
    assert task is not None
    return task  # type: ignore[return-value]
