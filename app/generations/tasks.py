"""The background work queue: taskiq, in-process by default, Redis-brokered for separate worker processes.

With Redis, the queue is a stream read by a consumer group: a worker acknowledges a message only once its
generation is done, so the work of a worker that was killed is delivered again to another after
`GENERATION_LEASE_SECONDS`, when its lease on the generation has run out too.
"""

from __future__ import annotations

from typing import Annotated

from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask, Context, InMemoryBroker, TaskiqDepends

from app.config import Settings
from app.generations import pipeline

PROCESS_TASK = "aivenger.process_generation"
STREAM = "aivenger:generations"
CONSUMER_GROUP = "aivenger-workers"


async def process_generation(
    generation_id: str, context: Annotated[Context, TaskiqDepends()], priority: bool = False
) -> None:
    await pipeline.process(context.state.services, generation_id, priority=priority)


def build_broker(settings: Settings) -> AsyncBroker:
    broker: AsyncBroker
    if settings.task_broker_url:
        from app.generations.stream import GenerationStream

        broker = GenerationStream(
            settings.task_broker_url, queue_name=STREAM, consumer_group_name=CONSUMER_GROUP,
            idle_timeout=settings.generation_lease_seconds * 1000,
            # How long an idle worker blocks on the stream before it looks for unacknowledged work again.
            xread_block=1000,
        )
    else:
        broker = InMemoryBroker(max_async_tasks=max(settings.model_concurrency * 4, 8))
    broker.register_task(process_generation, task_name=PROCESS_TASK)
    return broker


class GenerationQueue:
    """Where accepted generations wait for a worker."""

    def __init__(self, broker: AsyncBroker) -> None:
        task = broker.find_task(PROCESS_TASK)
        assert task is not None
        self._task: AsyncTaskiqDecoratedTask[..., None] = task  # type: ignore[assignment]

    async def put(self, generation_id: str, *, priority: bool = False) -> None:
        await self._task.kiq(generation_id, priority=priority)
