"""Limits on what a stranger can repeat from one address: signing up and logging in.

Counted in the database in fixed windows, one atomic upsert per attempt, so every API process sees the same
count and concurrent attempts cannot all slip under the limit. Each attempt is counted in a unit of work of its
own, committed at once: a refused or failed attempt still counts.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import UTC, datetime, timedelta

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import insert_for, unit_of_work
from app.errors import RateLimited
from app.models import RateLimitWindow, utcnow

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Windows that ended this long ago are forgotten.
_KEEP = timedelta(days=1)


def client_address(request: Request) -> str:
    """The socket's peer, or X-Forwarded-For's client when that peer is a trusted proxy: `python -m app serve`
    passes FORWARDED_ALLOW_IPS to the server, which resolves it before the app sees the request."""
    return request.client.host if request.client else "unknown"


def _client_key(secret: str, address: str) -> str:
    return hmac.new(secret.encode(), b"client-address:" + address.encode(), hashlib.sha256).hexdigest()


async def _take(session: AsyncSession, bucket: str, client_key: str, limit: int, window: timedelta) -> int:
    """Count one attempt: 0 when it is within the limit, else the seconds until the window ends."""
    now = utcnow()
    start = _EPOCH + window * ((now - _EPOCH) // window)
    upsert = insert_for(session, RateLimitWindow).values(bucket=bucket, client_key=client_key, window_start=start,
                                                         hits=1)
    upsert = upsert.on_conflict_do_update(
        index_elements=[RateLimitWindow.bucket, RateLimitWindow.client_key, RateLimitWindow.window_start],
        set_={"hits": RateLimitWindow.hits + 1},
    ).returning(RateLimitWindow.hits)
    hits = int(await session.scalar(upsert) or 0)
    if hits == 1:  # a new window for this address: a good moment to forget old ones
        await session.execute(delete(RateLimitWindow).where(RateLimitWindow.window_start < now - _KEEP))
    if hits <= limit:
        return 0
    return max(1, math.ceil((start + window - now).total_seconds()))


async def enforce(
    sessionmaker: async_sessionmaker[AsyncSession], request: Request, bucket: str, limit: int,
    window: timedelta, message: str,
) -> None:
    """Count this request's attempt at `bucket` for its client address; 429 with Retry-After over the limit."""
    secret = request.app.state.settings.auth_secret.get_secret_value()
    async with unit_of_work(sessionmaker) as session:
        wait = await _take(session, bucket, _client_key(secret, client_address(request)), limit, window)
    if wait:
        raise RateLimited(message, headers={"Retry-After": str(wait)})
