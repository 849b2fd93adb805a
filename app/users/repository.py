"""Every query of the users table: fastapi-users' adapter, and the writes that must be single atomic statements.

Nothing here commits: the unit of work that owns the session does (`app.db.unit_of_work`).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import and_, bindparam, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app import credits
from app.models import User, utcnow

EmailKind = Literal["reset", "verify"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as their account stood when the request began."""

    id: uuid.UUID
    email: str
    is_active: bool
    is_superuser: bool
    is_verified: bool
    credits: int


_columns = User.__table__.c  # the library declares some of User's columns as plain attributes
# Built once, with a bound parameter: keying a freshly built statement costs more than running this one.
_CALLER = select(_columns.id, _columns.email, _columns.is_active, _columns.is_superuser, _columns.is_verified,
                 _columns.credits).where(_columns.id == bindparam("user_id"))


async def caller(connection: AsyncConnection, user_id: uuid.UUID) -> Caller | None:
    """The account behind a token: plain columns on a connection, the cheapest read there is, made on every call."""
    row = (await connection.execute(_CALLER, {"user_id": user_id})).first()
    return Caller(*row) if row is not None else None


class UserDatabase(SQLAlchemyUserDatabase[User, uuid.UUID]):
    """The library's adapter, flushing where the library would commit."""

    def __init__(self, session: AsyncSession, signup_credits: int) -> None:
        super().__init__(session, User)
        self.signup_credits = signup_credits

    async def create(self, create_dict: dict[str, Any]) -> User:
        user = User(**create_dict, credits=0)
        self.session.add(user)
        await self.session.flush()
        # The welcome credits move through the ledger like every other credit.
        user.credits = await credits.grant_signup(self.session, user.id, self.signup_credits)
        return user

    async def update(self, user: User, update_dict: dict[str, Any]) -> User:
        for key, value in update_dict.items():
            setattr(user, key, value)
        self.session.add(user)
        await self.session.flush()
        return user

    async def delete(self, user: User | Caller) -> None:
        await self.session.execute(delete(User).where(User.id == user.id))


async def claim_account_email(
    session: AsyncSession, user_id: uuid.UUID, kind: EmailKind, cooldown_seconds: int
) -> bool:
    """Whether an email of this kind may go to the account now; one conditional UPDATE, so of many concurrent
    requests exactly one sends."""
    sent_at = User.reset_email_sent_at if kind == "reset" else User.verify_email_sent_at
    now = utcnow()
    claimed = await session.execute(
        update(User)
        .where(User.id == user_id, or_(sent_at.is_(None), sent_at <= now - timedelta(seconds=cooldown_seconds)))
        .values({sent_at: now})
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


async def take_login_attempt(
    session: AsyncSession, user_id: uuid.UUID, max_failures: int, lockout_seconds: int
) -> int:
    """Count a login attempt as a failure before its password is checked; 0 when taken, else the seconds the
    account stays locked.

    Counted first, in one conditional UPDATE, so that parallel guesses cannot all pass a check made before any of
    them was counted: never more than `max_failures` passwords are checked in a lockout window. A right password
    then clears the count (`clear_failed_logins`). A failure after a quiet window starts the count again.
    """
    now = utcnow()
    window_start = now - timedelta(seconds=lockout_seconds)
    quiet = or_(User.last_failed_login_at.is_(None), User.last_failed_login_at <= window_start)
    locked = and_(User.failed_logins >= max_failures, User.last_failed_login_at > window_start)
    taken = await session.execute(
        update(User)
        .where(User.id == user_id, ~locked)
        .values(failed_logins=case((quiet, 1), else_=User.failed_logins + 1), last_failed_login_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return 0
    last = await session.scalar(select(User.last_failed_login_at).where(User.id == user_id))
    if last is None:
        return 0
    return max(1, math.ceil((last + timedelta(seconds=lockout_seconds) - now).total_seconds()))


async def clear_failed_logins(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(failed_logins=0, last_failed_login_at=None)
        .execution_options(synchronize_session=False)
    )
