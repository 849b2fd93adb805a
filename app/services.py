"""What a process needs to serve requests or run generations, built once from the settings.

The API process builds it in the app's lifespan; a `taskiq worker` process builds its own at worker start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import images
from app.billing.payments import Payments, create_payments
from app.config import Settings
from app.db import create_engine, create_reading_engine, create_sessionmaker
from app.errors import describe_exception
from app.generations.events import FinishedGenerations
from app.generations.leases import LeaseKeeper
from app.memory import keep_few_malloc_arenas
from app.plain_reads import ReadConnections
from app.providers import create_provider
from app.providers.base import ImageProvider
from app.slots import Slots
from app.storage import Storage, create_storage

logger = logging.getLogger(__name__)

# How long a shutdown waits for emails still being sent.
ERRAND_SHUTDOWN_SECONDS = 35


class WorkQueue(Protocol):
    async def put(self, generation_id: str, *, priority: bool = False) -> None: ...


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # For reading only (app.db.create_reading_engine): connections, and sessions over them.
    reading: AsyncEngine
    reader: async_sessionmaker[AsyncSession]
    # Connections for the plain-row reads of the routes asked most (app.plain_reads).
    reads: ReadConnections
    storage: Storage
    provider: ImageProvider
    payments: Payments
    queue: WorkQueue
    # Bounds concurrent model calls in this process (model calls are slow and metered), priority first.
    model_slots: Slots
    # Bounds the model answers this process holds in memory at once (app.providers.base.AnswerSlot).
    answer_places: asyncio.Semaphore
    events: FinishedGenerations
    leases: LeaseKeeper
    _background: list[asyncio.Task[None]] = field(default_factory=list)
    # Work a request starts and does not wait for (sending an email); finished, not dropped, at shutdown.
    _errands: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    async def start(cls, settings: Settings, *, queue: WorkQueue, listen: bool) -> Services:
        """`listen`: this process answers requests that wait for generations (an API process, not a worker)."""
        keep_few_malloc_arenas()  # before the process starts its threads
        engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
        sessionmaker = create_sessionmaker(engine)
        reading = create_reading_engine(engine)
        events = FinishedGenerations(settings.task_broker_url)
        await events.start(listen=listen)
        services = cls(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            reading=reading,
            reader=create_sessionmaker(reading),
            reads=ReadConnections(reading),
            storage=await create_storage(settings),
            provider=create_provider(settings),
            payments=create_payments(settings),
            queue=queue,
            model_slots=Slots(settings.model_concurrency),
            answer_places=asyncio.Semaphore(images.ANSWERS_IN_MEMORY),
            events=events,
            leases=LeaseKeeper(sessionmaker, settings.generation_lease_seconds),
        )
        services._background.append(asyncio.create_task(services.leases.run(), name="lease-keeper"))
        return services

    def run_errand(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Start `work` without waiting for it; a failure is logged, never raised into a request."""
        task = asyncio.create_task(work, name=name)
        self._errands.add(task)
        task.add_done_callback(self._errand_done)

    def _errand_done(self, task: asyncio.Task[None]) -> None:
        self._errands.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error("%s failed: %s", task.get_name(), describe_exception(error))

    async def errands_done(self, timeout: float = ERRAND_SHUTDOWN_SECONDS) -> None:
        """Wait for the errands under way (and any they start), at most `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._errands and (left := deadline - asyncio.get_running_loop().time()) > 0:
            await asyncio.wait(set(self._errands), timeout=left)

    async def aclose(self) -> None:
        await self.errands_done()
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.events.aclose()
        await self.provider.aclose()
        await self.payments.aclose()
        await self.storage.aclose()
        await self.engine.dispose()
