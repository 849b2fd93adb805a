"""Every query of API keys. Nothing here commits."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ApiKey, User, utcnow
from app.plain_reads import Reads

KEY_PREFIX = "aiv_"
# How much of a key is kept in clear, to tell keys apart in a list: "aiv_" and 8 characters (48 random bits of 256).
SHOWN_LENGTH = len(KEY_PREFIX) + 8


def key_hash(key: str) -> str:
    # A key carries 256 random bits: a plain digest cannot be reversed, and a slow hash would gain nothing.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


_users = User.__table__.c
_keys = ApiKey.__table__.c
# Built once, with a bound parameter, like the login token's read (app.users.repository).
_KEY_CALLER = (
    select(_users.id, _users.email, _users.is_active, _users.is_superuser, _users.is_verified, _users.credits,
           _keys.id, _keys.last_used_at)
    .select_from(ApiKey.__table__.join(User.__table__, _keys.user_id == _users.id))
    .where(_keys.key_hash == bindparam("key_hash"))
)


async def account_of(connection: Reads, key: str) -> tuple[tuple[object, ...], str, datetime | None] | None:
    """The account's columns behind a live key, the key's id, and when it was last used."""
    row = (await connection.execute(_KEY_CALLER, {"key_hash": key_hash(key)})).first()
    if row is None:
        return None
    return tuple(row[:6]), row[6], row[7]


async def create(session: AsyncSession, user_id: uuid.UUID, name: str) -> tuple[ApiKey, str]:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(id=f"key_{uuid.uuid4().hex}", user_id=user_id, name=name, prefix=key[:SHOWN_LENGTH],
                    key_hash=key_hash(key), created_at=utcnow())
    session.add(record)
    await session.flush()
    return record, key


async def of_user(session: AsyncSession, user_id: uuid.UUID) -> list[ApiKey]:
    return list(await session.scalars(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at.desc(), ApiKey.id)
    ))


async def revoke(session: AsyncSession, user_id: uuid.UUID, key_id: str) -> bool:
    gone = await session.execute(delete(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id))
    return bool(gone.rowcount == 1)  # type: ignore[attr-defined]


async def revoke_all(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(delete(ApiKey).where(ApiKey.user_id == user_id))


async def mark_used(session: AsyncSession, key_id: str, at: datetime) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at)
                          .execution_options(synchronize_session=False))
