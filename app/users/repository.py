"""The users table as fastapi-users sees it, plus the few writes of ours that must be single atomic statements."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Literal

from fastapi import Request
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import case, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import credits
from app.db import begin_write
from app.deps import SessionDep
from app.models import User, utcnow

EmailKind = Literal["reset", "verify"]


class UserDatabase(SQLAlchemyUserDatabase[User, uuid.UUID]):
    def __init__(self, session: AsyncSession, signup_credits: int) -> None:
        super().__init__(session, User)
        self.signup_credits = signup_credits

    async def create(self, create_dict: dict[str, Any]) -> User:
        # The welcome credits and their ledger row are written with the user, in one transaction.
        await begin_write(self.session)
        user = User(**create_dict, credits=self.signup_credits)
        self.session.add(user)
        await self.session.flush()
        self.session.add(credits.signup_grant(user.id, self.signup_credits))
        await self.session.commit()
        await self.session.refresh(user)
        return user

    async def update(self, user: User, update_dict: dict[str, Any]) -> User:
        await begin_write(self.session)
        return await super().update(user, update_dict)

    async def delete(self, user: User) -> None:
        await begin_write(self.session)
        await super().delete(user)

    async def claim_account_email(self, user: User, kind: EmailKind, cooldown_seconds: int) -> bool:
        """Whether an email of this kind may go to the account now; one conditional UPDATE, so of many
        concurrent requests exactly one sends."""
        sent_at = User.reset_email_sent_at if kind == "reset" else User.verify_email_sent_at
        now = utcnow()
        await begin_write(self.session)
        claimed = await self.session.execute(
            update(User)
            .where(User.id == user.id)
            .where(or_(sent_at.is_(None), sent_at <= now - timedelta(seconds=cooldown_seconds)))
            .values({sent_at: now})
        )
        await self.session.commit()
        return claimed.rowcount == 1  # type: ignore[attr-defined]


    async def record_failed_login(self, user: User, window_seconds: int) -> None:
        """Count a wrong password; one that comes after a quiet window starts the count again."""
        now = utcnow()
        quiet = or_(User.last_failed_login_at.is_(None),
                    User.last_failed_login_at <= now - timedelta(seconds=window_seconds))
        await begin_write(self.session)
        await self.session.execute(
            update(User).where(User.id == user.id)
            .values(failed_logins=case((quiet, 1), else_=User.failed_logins + 1), last_failed_login_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.commit()


async def get_user_db(request: Request, session: SessionDep) -> AsyncIterator[UserDatabase]:
    yield UserDatabase(session, request.app.state.settings.signup_credits)
