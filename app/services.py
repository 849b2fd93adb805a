"""What a process needs to serve requests or run generations, built once from the settings.

The API process builds it in the app's lifespan; a `taskiq worker` process builds its own at worker start-up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.providers import create_provider
from app.providers.base import ImageProvider
from app.storage import Storage, create_storage


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    storage: Storage
    provider: ImageProvider
    # Bounds concurrent model calls in this process (model calls are slow and metered).
    model_slots: asyncio.Semaphore

    @classmethod
    async def start(cls, settings: Settings) -> Services:
        engine = create_engine(settings.database_url)
        storage = await create_storage(settings)
        provider = create_provider(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            storage=storage,
            provider=provider,
            model_slots=asyncio.Semaphore(settings.model_concurrency),
        )

    async def aclose(self) -> None:
        await self.provider.aclose()
        await self.storage.aclose()
        await self.engine.dispose()
