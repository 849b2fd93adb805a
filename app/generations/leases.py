"""Keeps this process's leases alive while their work runs, however slow the model is.

Leases are short so that the work of a worker that died is taken up again within seconds; a live worker renews
all of its leases in one statement every third of the lease's length.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.errors import describe_exception
from app.generations import repository
from app.generations.repository import Lease
from app.models import utcnow

logger = logging.getLogger(__name__)


class LeaseKeeper:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], lease_seconds: float) -> None:
        self._sessionmaker = sessionmaker
        self._lease_seconds = lease_seconds
        self._held: set[Lease] = set()

    @contextlib.contextmanager
    def keeping(self, lease: Lease) -> Iterator[None]:
        self._held.add(lease)
        try:
            yield
        finally:
            self._held.discard(lease)

    async def renew(self) -> None:
        if not self._held:
            return
        tokens = [lease.token for lease in self._held]
        async with unit_of_work(self._sessionmaker) as session:
            await repository.extend(session, tokens, utcnow() + timedelta(seconds=self._lease_seconds))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._lease_seconds / 3)
            try:
                await self.renew()
            except Exception as exc:  # the next round may succeed before any lease runs out
                logger.warning("could not renew leases: %s", describe_exception(exc))
