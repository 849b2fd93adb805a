"""Places for work that may not all run at once, and who goes next when all are taken.

Work with priority starts before the other work that waits, but nobody waits forever: work without priority that
has waited longer than `promote_after` seconds goes first. A process has two such bounds: its model calls
(MODEL_CONCURRENCY, where generations of accounts whose plan has priority (Pro) go first, among the work this
process holds: the in-process queue's, or what a Redis worker took) and its image threads (app.images, where a
model's answer goes before an upload).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

PROMOTE_AFTER_SECONDS = 30.0


class Slots:
    def __init__(self, size: int, *, promote_after: float = PROMOTE_AFTER_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._free = size
        self._promote_after = promote_after
        self._clock = clock
        self._priority: deque[asyncio.Future[None]] = deque()
        self._others: deque[tuple[float, asyncio.Future[None]]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._priority) + len(self._others)

    @asynccontextmanager
    async def hold(self, *, priority: bool = False) -> AsyncIterator[None]:
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: bool) -> None:
        if self._free > 0 and not self.waiting:
            self._free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if priority:
            self._priority.append(granted)
        else:
            self._others.append((self._clock(), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # the slot was handed over just as the waiter gave up: pass it on
            else:
                self._forget(granted)
            raise

    def _forget(self, granted: asyncio.Future[None]) -> None:
        if granted in self._priority:
            self._priority.remove(granted)
        self._others = deque(entry for entry in self._others if entry[1] is not granted)

    def _release(self) -> None:
        while True:
            waiter = self._next()
            if waiter is None:
                self._free += 1
                return
            if not waiter.done():
                waiter.set_result(None)
                return

    def _next(self) -> asyncio.Future[None] | None:
        if self._others and self._clock() - self._others[0][0] >= self._promote_after:
            return self._others.popleft()[1]
        if self._priority:
            return self._priority.popleft()
        if self._others:
            return self._others.popleft()[1]
        return None
