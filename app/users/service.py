"""Deleting an account for good: the person, every generation with its stored images, and the credit history."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import begin_write
from app.models import Generation, User
from app.services import Services

logger = logging.getLogger(__name__)


async def delete_account(services: Services, session: AsyncSession, user: User) -> None:
    generations = (await session.scalars(select(Generation).where(Generation.user_id == user.id))).all()
    keys = [key for generation in generations for key in generation.storage_keys()]
    # Files first, as for one generation: if storage fails the account stays and the delete can be tried again,
    # so no image is left behind without a row that points at it.
    await services.storage.delete(keys)
    await begin_write(session)
    # Generations and ledger rows go with the user (ON DELETE CASCADE). Work still running for a deleted
    # generation finds its row gone and removes what it stored (pipeline._complete).
    await session.execute(delete(User).where(User.id == user.id))
    await session.commit()
    logger.info("account %s deleted with %d generation(s)", user.id, len(generations))
