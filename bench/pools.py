"""What the model's calls cost the API's HTTP client when hundreds run at once: its connections spread over small
pools (app.providers.openrouter.pools), against httpx's one pool with the same limits.

The server (`uvicorn bench.pools:app`, its own process) holds every call for HOLD_SECONDS, as a model would. The
calls start spread over that time, so that calls start and finish all along, as they do under steady load; a
first round opens the connections, the second is measured. The figure is the CPU time of this process per call.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.providers.openrouter.client import connection_limits
from app.providers.openrouter.pools import SpreadTransport
from bench.procs import cpu_seconds

CALLS = 300
HOLD_SECONDS = 2.0


async def hold(request: Request) -> PlainTextResponse:
    await asyncio.sleep(float(request.query_params.get("seconds", "0")))
    return PlainTextResponse("ok")


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/hold", hold), Route("/health", health)])


async def _round(client: httpx.AsyncClient, url: str, calls: int) -> tuple[float, float, int]:
    """CPU seconds per call, the wall time, and how many calls did not answer 200."""

    async def one(index: int) -> int:
        await asyncio.sleep(index * HOLD_SECONDS / calls)
        try:
            return (await client.get(f"{url}/hold", params={"seconds": HOLD_SECONDS})).status_code
        except httpx.HTTPError:
            return 0

    cpu, started = cpu_seconds(os.getpid()), time.perf_counter()
    statuses = await asyncio.gather(*(one(i) for i in range(calls)))
    return (cpu_seconds(os.getpid()) - cpu) / calls, time.perf_counter() - started, sum(1 for s in statuses if s != 200)


async def measure(url: str, calls: int = CALLS) -> dict[str, Any]:
    limits = connection_limits(calls)
    results = {}
    for name, client in (
        ("spread", httpx.AsyncClient(transport=SpreadTransport(limits), timeout=60)),
        ("one pool", httpx.AsyncClient(limits=limits, timeout=60)),
    ):
        async with client:
            await _round(client, url, calls)
            results[name] = await _round(client, url, calls)
    (ours, ours_wall, ours_failed), (theirs, theirs_wall, theirs_failed) = results["spread"], results["one pool"]
    return {"calls": calls, "ours_ms": ours * 1000, "reference_ms": theirs * 1000, "ratio": ours / theirs,
            "note": f"{calls} calls, each held {HOLD_SECONDS:.0f} s, started over {HOLD_SECONDS:.0f} s; wall "
                    f"{ours_wall:.1f} s spread, {theirs_wall:.1f} s one pool; calls that failed: {ours_failed} "
                    f"spread, {theirs_failed} one pool"}
