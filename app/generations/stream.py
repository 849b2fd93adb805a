"""The Redis stream that carries generations to separate workers: taskiq-redis' stream broker, with two repairs.

- A message whose worker died unacknowledged is claimed again by the next worker that looks, also while no new
  message arrives: the library looks for such messages only after a read that brought new ones, so on a quiet
  queue a killed worker's generation would wait for the next upload.
- An acknowledged message is deleted, not only acknowledged: a stream keeps its entries until they are removed,
  and the queue's memory must not grow with every generation ever made.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from taskiq import AckableMessage
from taskiq_redis import RedisStreamBroker


class GenerationStream(RedisStreamBroker):
    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:  # noqa: A002 - the library's name
        async def ack() -> None:
            async with Redis(connection_pool=self.connection_pool) as redis, redis.pipeline() as pipe:
                pipe.xack(queue_name, self.consumer_group_name, id)
                pipe.xdel(queue_name, id)
                await pipe.execute()

        return ack

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async with Redis(connection_pool=self.connection_pool) as redis:
            last_reclaim = 0.0
            while True:
                fetched: Any = await redis.xreadgroup(
                    self.consumer_group_name, self.consumer_name, {self.queue_name: ">"},
                    block=self.block, noack=False, count=self.count,
                )
                for _stream, messages in fetched or []:
                    for message_id, fields in messages:
                        yield AckableMessage(data=fields[b"data"], ack=self._ack_generator(message_id, self.queue_name))
                # XAUTOCLAIM is atomic, and claiming resets a message's idle time: two workers looking at once
                # cannot both take the same message. Looked for at most every second.
                if time.monotonic() - last_reclaim < 1:
                    continue
                last_reclaim = time.monotonic()
                reclaimed: Any = await redis.xautoclaim(
                    self.queue_name, self.consumer_group_name, self.consumer_name,
                    min_idle_time=self.idle_timeout, count=self.unacknowledged_batch_size,
                )
                for message_id, fields in reclaimed[1]:
                    if fields:  # an entry deleted meanwhile comes back empty
                        yield AckableMessage(data=fields[b"data"], ack=self._ack_generator(message_id, self.queue_name))
