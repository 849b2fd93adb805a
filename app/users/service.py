"""What a person can do to their own account beyond fastapi-users' routes."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from app.storage import Storage
from app.storage.keys import user_prefix
from app.users.repository import Caller, UserDatabase

logger = logging.getLogger(__name__)


async def delete_account(session: AsyncSession, storage: Storage, user: Caller) -> None:
    """The person, every generation with its stored images, and the credit history, for good.

    Files first: if storage fails the account stays and the delete can be tried again, so no image is left
    behind without an account it belongs to. Generations and ledger rows go with the user row (ON DELETE CASCADE);
    work still running for a deleted generation finds its row gone and removes what it stored.
    """
    await storage.delete_prefix(user_prefix(user.id))
    await UserDatabase(session).delete(user)
    logger.info("account %s deleted", user.id)
