"""The model's calls over several small connection pools: all of them at once, and every place given back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.providers.openrouter.pools import POOL_SIZE, SpreadTransport
from tests.fake_openrouter import listening_socket, serving


class Gathering:
    """Holds every call until `expected` calls are in at once, then answers them all (504 if they never are)."""

    def __init__(self) -> None:
        self.expected = 0
        self.in_flight = 0
        self.app = Starlette(routes=[Route("/gather", self.gather), Route("/hang", self.hang)])

    async def gather(self, request: Request) -> PlainTextResponse:
        self.in_flight += 1
        try:
            async with asyncio.timeout(10):
                while self.in_flight < self.expected:
                    await asyncio.sleep(0.01)
        except TimeoutError:
            return PlainTextResponse("not all at once", status_code=504)
        finally:
            await asyncio.sleep(0.05)  # the last one in must not leave before the others saw it
            self.in_flight -= 1
        return PlainTextResponse("together")

    async def hang(self, request: Request) -> PlainTextResponse:
        async with asyncio.timeout(30):
            while not await request.is_disconnected():
                await asyncio.sleep(0.02)
        return PlainTextResponse("late")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Gathering, str]]:
    gathering = Gathering()
    with serving(gathering) as url:  # type: ignore[arg-type]
        yield gathering, url.removesuffix("/api/v1")


def limits(connections: int) -> httpx.Limits:
    return httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=4.0)


async def test_calls_beyond_one_pool_all_run_at_once_spread_over_pools(server):
    gathering, url = server
    calls = 2 * POOL_SIZE + 6
    gathering.expected = calls
    transport = SpreadTransport(limits(calls))
    async with httpx.AsyncClient(transport=transport, timeout=20) as client:
        answers = asyncio.gather(*(client.get(f"{url}/gather") for _ in range(calls)))
        async with asyncio.timeout(10):
            while sum(transport.in_use) < calls:
                await asyncio.sleep(0.005)
        spread = transport.in_use
        statuses = [answer.status_code for answer in await answers]

    assert statuses == [200] * calls  # no call waited for a connection while the others were held
    assert len(spread) == 3
    assert max(spread) <= POOL_SIZE
    assert max(spread) - min(spread) <= 1
    assert transport.in_use == [0, 0, 0]


async def test_a_call_refused_cut_short_or_cancelled_gives_its_place_back(server):
    gathering, url = server
    gathering.expected = 1
    transport = SpreadTransport(limits(2 * POOL_SIZE))
    async with httpx.AsyncClient(transport=transport, timeout=20) as client:
        closed_port = listening_socket()
        port = closed_port.getsockname()[1]
        closed_port.close()
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")
        assert transport.in_use == [0, 0]

        async with client.stream("GET", f"{url}/gather") as response:  # closed unread
            assert transport.in_use == [1, 0]
        assert response.status_code == 200
        assert transport.in_use == [0, 0]

        hanging = asyncio.create_task(client.get(f"{url}/hang"))
        async with asyncio.timeout(5):
            while transport.in_use != [1, 0]:
                await asyncio.sleep(0.005)
        hanging.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hanging
        assert transport.in_use == [0, 0]


def test_the_connections_asked_for_are_shared_out_in_pools_of_at_most_the_pool_size():
    assert len(SpreadTransport(limits(1)).in_use) == 1
    assert len(SpreadTransport(limits(POOL_SIZE)).in_use) == 1
    assert len(SpreadTransport(limits(POOL_SIZE + 1)).in_use) == 2
    assert len(SpreadTransport(limits(1004)).in_use) == 32
