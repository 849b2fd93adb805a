"""Wakes whoever waits for a generation (a request with `Prefer: wait`) the moment it finishes.

In one process a finished generation sets the waiters' futures directly. With separate workers the news travels
over Redis pub/sub: every API process subscribes at start-up, before it can accept any waiter, and a worker
publishes once the generation's final state is committed. A waiter still reads the generation again now and then
(`RECHECK_SECONDS`), so a message lost with a dropped Redis connection costs seconds, never the whole wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from app.errors import describe_exception

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

CHANNEL = "aivenger:generation-finished"
RECHECK_SECONDS = 5.0
_RECONNECT_SECONDS = 1.0


class FinishedGenerations:
    def __init__(self, redis_url: str | None = None) -> None:
        self._waiters: defaultdict[str, set[asyncio.Future[None]]] = defaultdict(set)
        self._redis_url = redis_url
        self._redis: Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        # Set once the first attempt to subscribe succeeded or failed: start-up waits for no more than that.
        self._settled = asyncio.Event()

    async def start(self, *, listen: bool) -> None:
        """Connect to Redis when one is configured; `listen` (API processes) also subscribes to the news."""
        if not self._redis_url:
            return
        from redis.asyncio import Redis  # only with a broker: the embedded default does without

        self._redis = Redis.from_url(self._redis_url)
        if listen:
            self._listener = asyncio.create_task(self._listen(), name="generation-finished-listener")
            with contextlib.suppress(TimeoutError):  # Redis down: waiters fall back on their re-checks
                await asyncio.wait_for(self._settled.wait(), 5)

    async def aclose(self) -> None:
        if self._listener:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

    @contextlib.asynccontextmanager
    async def watching(self, generation_id: str) -> AsyncIterator[asyncio.Future[None]]:
        """A future set when `generation_id` finishes; enter before the work is queued so no news is missed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[generation_id].add(future)
        try:
            yield future
        finally:
            waiters = self._waiters.get(generation_id)
            if waiters is not None:
                waiters.discard(future)
                if not waiters:
                    del self._waiters[generation_id]

    async def announce(self, generation_id: str) -> None:
        """Tell every waiter, here and in other processes, that the generation has its final state."""
        self._wake(generation_id)
        if self._redis is not None:
            try:
                await self._redis.publish(CHANNEL, generation_id)
            except Exception as exc:  # waiters elsewhere will see it at their next re-check
                logger.warning("could not announce generation %s: %s", generation_id, describe_exception(exc))

    def _wake(self, generation_id: str) -> None:
        for future in self._waiters.get(generation_id, ()):
            if not future.done():
                future.set_result(None)

    async def _listen(self) -> None:
        assert self._redis is not None
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self._settled.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("generation news from Redis interrupted: %s", describe_exception(exc))
                self._settled.set()
                await asyncio.sleep(_RECONNECT_SECONDS)
