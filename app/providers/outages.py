"""Outages of the model provider, shared through the database by every API and worker process.

A process's circuit breaker sees only the calls it makes; with separate workers, the API process makes none. So a
breaker that opens records an outage here, every process refuses new work while it lasts, and the next
generation that completes ends it. When it runs out, new work is accepted again and the first call is the probe.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ProviderOutage, utcnow


async def record(session: AsyncSession, provider: str, until: datetime) -> None:
    await session.execute(delete(ProviderOutage).where(ProviderOutage.provider == provider))
    session.add(ProviderOutage(provider=provider, until=until))
    await session.flush()


async def end(session: AsyncSession, provider: str) -> None:
    await session.execute(delete(ProviderOutage).where(ProviderOutage.provider == provider))


async def ongoing(session: AsyncSession, provider: str) -> bool:
    until = await session.scalar(select(ProviderOutage.until).where(ProviderOutage.provider == provider))
    return until is not None and until > utcnow()
