"""Many calls at once to one host, over several small connection pools instead of one large one.

httpcore 1.0 (under httpx) walks every connection of its pool each time a request starts and each time a response
is closed, probing the socket of each idle one and counting the idle ones afresh for each. Its cost per call grows
with the pool, faster than linearly: measured on 2 cores with calls held 2 s each, one pool spent 4.6 ms of CPU a
call at 150 calls at once, 18 ms at 300, and at 1,000 could no longer keep up (8 ms a call, and its calls took
twice as long as the server held them). Pools of at most POOL_SIZE connections spent 1.1 to 1.5 ms at every size.
MODEL_CONCURRENCY in the hundreds is what a remote API allows, so the model's calls are spread this way.

Each call goes to the pool with the fewest calls under way, so no pool queues a call while another has room.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable

import httpx

POOL_SIZE = 32


class SpreadTransport(httpx.AsyncBaseTransport):
    def __init__(self, limits: httpx.Limits, pool_size: int = POOL_SIZE) -> None:
        total = limits.max_connections or pool_size
        count = math.ceil(total / pool_size)
        # The limits shared out, rounded up: together the pools allow at least what was asked.
        keepalive = limits.max_keepalive_connections if limits.max_keepalive_connections is not None else total
        each = httpx.Limits(max_connections=math.ceil(total / count),
                            max_keepalive_connections=math.ceil(keepalive / count),
                            keepalive_expiry=limits.keepalive_expiry)
        self._pools = [httpx.AsyncHTTPTransport(limits=each) for _ in range(count)]
        self._in_use = [0] * count

    @property
    def in_use(self) -> list[int]:
        """The calls under way in each pool, from sending the request until its answer is closed."""
        return list(self._in_use)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self._in_use.__getitem__)
        self._in_use[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            self._in_use[index] -= 1
            raise
        # The connection is the call's until its answer is closed: read to the end, or given up on.
        response.stream = _ClosingTells(response.stream, lambda: self._given_back(index))
        return response

    def _given_back(self, index: int) -> None:
        self._in_use[index] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()


class _ClosingTells(httpx.AsyncByteStream):
    """An answer's body that says, once, when it is closed."""

    def __init__(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream, closed: Callable[[], None]) -> None:
        assert isinstance(stream, httpx.AsyncByteStream)  # what an async transport answers with
        self._stream = stream
        self._closed: Callable[[], None] | None = closed

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            closed, self._closed = self._closed, None
            if closed is not None:
                closed()
