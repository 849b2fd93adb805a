"""Every query of the users table: fastapi-users' adapter, and the writes that must be single atomic statements.

Nothing here commits: the unit of work that owns the session does (`app.db.unit_of_work`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import and_, bindparam, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import credits
from app.db import insert_for
from app.models import AccessToken, GrantedEmail, User, UTCDateTime, utcnow
from app.plain_reads import Reads

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
    # Set when the caller used an API key rather than a login: keys may not manage keys, email or password.
    api_key_id: str | None = None


_columns = User.__table__.c  # the library declares some of User's columns as plain attributes
_tokens = AccessToken.__table__.c
# Built once, with bound parameters: keying a freshly built statement costs more than running this one.
_CALLER = (
    select(_columns.id, _columns.email, _columns.is_active, _columns.is_superuser, _columns.is_verified,
           _columns.credits)
    .select_from(AccessToken.__table__.join(User.__table__, _tokens.user_id == _columns.id))
    .where(_tokens.token_hash == bindparam("token_hash"), _tokens.expires_at > bindparam("now", type_=UTCDateTime))
)


async def caller(connection: Reads, token_hash: str) -> Caller | None:
    """The account behind a live login token: plain columns on a connection, the cheapest read there is, made on
    every call (a disabled account or an ended login stops working at once)."""
    row = (await connection.execute(_CALLER, {"token_hash": token_hash, "now": utcnow()})).first()
    return Caller(*row) if row is not None else None


async def user_by_token(session: AsyncSession, token_hash: str) -> User | None:
    return await session.scalar(
        select(User).join(AccessToken, AccessToken.user_id == User.id)
        .where(AccessToken.token_hash == token_hash, AccessToken.expires_at > utcnow())
    )


async def start_login(session: AsyncSession, user_id: uuid.UUID, token_hash: str, expires_at: datetime) -> None:
    """A new login; the account's expired ones are forgotten at the same time."""
    await session.execute(delete(AccessToken).where(AccessToken.user_id == user_id,
                                                    AccessToken.expires_at <= utcnow()))
    session.add(AccessToken(token_hash=token_hash, user_id=user_id, expires_at=expires_at))
    await session.flush()


async def end_login(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(AccessToken).where(AccessToken.token_hash == token_hash))


async def end_every_login(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(delete(AccessToken).where(AccessToken.user_id == user_id))


def email_fingerprint(secret: str, email: str) -> str:
    """A keyed hash of an address, the same for its case and `+tag` variants: enough to recognise it again, not
    enough to recover it."""
    local, _, domain = email.strip().lower().rpartition("@")
    return hmac.new(secret.encode(), f"email:{local.split('+', 1)[0]}@{domain}".encode(), hashlib.sha256).hexdigest()


async def grant_free_credits(session: AsyncSession, user: User, amount: int, secret: str) -> bool:
    """The welcome credits, once per account and once per email address ever (deleting the account and signing
    up again with the address grants none). Two atomic claims, so concurrent calls grant at most once."""
    claimed = await session.execute(
        update(User).where(User.id == user.id, User.signup_credits_granted.is_(False))
        .values(signup_credits_granted=True).execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    first_time = await session.execute(
        insert_for(session, GrantedEmail).values(email_hash=email_fingerprint(secret, user.email), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[GrantedEmail.email_hash])
    )
    if first_time.rowcount != 1:  # type: ignore[attr-defined]
        return False
    # The welcome credits move through the ledger like every other credit.
    user.credits = await credits.grant_signup(session, user.id, amount)
    return True


class UserDatabase(SQLAlchemyUserDatabase[User, uuid.UUID]):
    """The library's adapter, flushing where the library would commit."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session, User)

    async def create(self, create_dict: dict[str, Any]) -> User:
        user = User(**create_dict, credits=0)
        self.session.add(user)
        await self.session.flush()
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


async def clear_failed_logins(session: AsyncSession, user_id: uuid.UUID, new_hash: str | None = None) -> None:
    """After a right password: the count starts again, and a hash the hasher upgraded is kept."""
    values: dict[str, Any] = {"failed_logins": 0, "last_failed_login_at": None}
    if new_hash is not None:
        values["hashed_password"] = new_hash
    await session.execute(
        update(User).where(User.id == user_id).values(values).execution_options(synchronize_session=False)
    )
