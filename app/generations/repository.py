"""Every query of the generations table. Nothing here commits: whoever opened the unit of work does."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, String, and_, bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import plain_reads
from app.models import Generation, GenerationStatus, Share, UTCDateTime

# What an answer shows of a generation. Lists read these columns as plain rows: building ORM objects for a page
# of fifty costs more than the query.
SHOWN = (
    Generation.id, Generation.user_id, Generation.style, Generation.status, Generation.original_image_key,
    Generation.original_thumbnail_key, Generation.generated_image_key, Generation.thumbnail_key,
    Generation.credits_used, Generation.error_message, Generation.model_id, Generation.created_at,
    Generation.updated_at, Generation.prompt, Generation.aspect_ratio, Generation.batch_id, Generation.parent_id,
    Generation.width, Generation.height,
    # The share link's slug, if the owner shared it (a correlated lookup on the unique generation_id).
    select(Share.slug).where(Share.generation_id == Generation.id).scalar_subquery().label("share_slug"),
)


# Plain-row reads run on a connection of their own (a GET's) or inside a unit of work.
Reads = plain_reads.Reads | AsyncSession


@dataclass(frozen=True)
class Lease:
    """A worker's claim on a pending generation: only its holder may finish it."""

    generation_id: str
    token: str


_SHOWN_ONE = select(*SHOWN).where(Generation.id == bindparam("id"), Generation.user_id == bindparam("user_id"))


async def shown(reads: Reads, user_id: uuid.UUID, generation_id: str) -> Row[Any] | None:
    """What an answer shows of the user's generation, as a plain row."""
    return (await reads.execute(_SHOWN_ONE, {"id": generation_id, "user_id": user_id})).first()


async def batch(session: AsyncSession, batch_id: str) -> list[Generation]:
    """The variations made by one request, in the order they were made."""
    return list(await session.scalars(select(Generation).where(Generation.batch_id == batch_id)
                                      .order_by(Generation.created_at, Generation.id)))


def add(session: AsyncSession, generation: Generation) -> None:
    session.add(generation)


async def get_owned(session: AsyncSession, user_id: uuid.UUID, generation_id: str) -> Generation | None:
    return await session.scalar(
        select(Generation).where(Generation.id == generation_id, Generation.user_id == user_id)
    )


async def get(session: AsyncSession, generation_id: str) -> Generation | None:
    return await session.get(Generation, generation_id, populate_existing=True)


async def by_idempotency_key(session: AsyncSession, user_id: uuid.UUID, key: str) -> Generation | None:
    return await session.scalar(
        select(Generation).where(Generation.user_id == user_id, Generation.idempotency_key == key)
    )


@functools.cache
def _page_query(by_status: bool, after_cursor: bool) -> Select[Any]:
    """Built once per shape, with bound parameters: building and keying a statement on every request cost more
    than running it."""
    query = select(*SHOWN).where(Generation.user_id == bindparam("user_id"))
    if by_status:
        query = query.where(Generation.status == bindparam("status"))
    if after_cursor:
        before = tuple_(bindparam("before_created_at", type_=UTCDateTime), bindparam("before_id", type_=String))
        query = query.where(tuple_(Generation.created_at, Generation.id) < before)
    return query.order_by(Generation.created_at.desc(), Generation.id.desc()).limit(bindparam("rows"))


async def page(
    reads: Reads, user_id: uuid.UUID, status: str | None, limit: int,
    before: tuple[datetime, str] | None,
) -> Sequence[Row[Any]]:
    """Newest first by keyset on (created_at, id), one row more than asked so the caller knows a next page exists."""
    params: dict[str, Any] = {"user_id": user_id, "rows": limit + 1}
    if status:
        params["status"] = status
    if before:
        params["before_created_at"], params["before_id"] = before
    result = await reads.execute(_page_query(bool(status), before is not None), params)
    return result.all()


async def created_since(session: AsyncSession, user_id: uuid.UUID, since: datetime) -> tuple[int, datetime | None]:
    """How many generations the user started since `since`, and when the oldest of them was."""
    count, oldest = (await session.execute(
        select(func.count(Generation.id), func.min(Generation.created_at))
        .where(Generation.user_id == user_id, Generation.created_at > since)
    )).one()
    return int(count), oldest


_COMPLETED_STATS = select(func.count(Generation.id), func.max(Generation.created_at)).where(
    Generation.user_id == bindparam("user_id"), Generation.status == GenerationStatus.COMPLETED
)


async def completed_stats(reads: Reads, user_id: uuid.UUID) -> tuple[int, datetime | None]:
    """The number of the user's completed generations, and when the newest of them was created."""
    count, newest = (await reads.execute(_COMPLETED_STATS, {"user_id": user_id})).one()
    return int(count), newest


async def delete_row(session: AsyncSession, generation_id: str) -> None:
    await session.execute(delete(Generation).where(Generation.id == generation_id))


async def claim(
    session: AsyncSession, generation_id: str, lease: Lease, *, now: datetime, until: datetime, max_attempts: int
) -> bool:
    """Take the generation for a worker, unless it is finished, out of attempts, or another lease still holds."""
    claimed = await session.execute(
        update(Generation)
        .where(
            Generation.id == generation_id,
            Generation.status == GenerationStatus.PENDING,
            or_(Generation.lease_expires_at.is_(None), Generation.lease_expires_at < now),
            Generation.attempts < max_attempts,
        )
        .values(lease_token=lease.token, lease_expires_at=until, attempts=Generation.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def _held(lease: Lease) -> ColumnElement[bool]:
    return and_(Generation.id == lease.generation_id, Generation.status == GenerationStatus.PENDING,
                Generation.lease_token == lease.token)


async def complete(session: AsyncSession, lease: Lease, **values: Any) -> bool:
    """Mark the leased generation completed with `values`; False when the lease is no longer ours."""
    done = await session.execute(
        update(Generation).where(_held(lease)).values(
            status=GenerationStatus.COMPLETED, lease_token=None, lease_expires_at=None, **values
        ).execution_options(synchronize_session=False)
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


async def lock_pending(session: AsyncSession, generation_id: str, lease: Lease | None) -> Generation | None:
    """The pending generation, locked for this unit of work (held under `lease` when given)."""
    condition = _held(lease) if lease else and_(Generation.id == generation_id,
                                               Generation.status == GenerationStatus.PENDING)
    return await session.scalar(select(Generation).where(condition).with_for_update())


async def release(session: AsyncSession, lease: Lease) -> None:
    """Hand the work back; the attempt does not count towards the limit (it was not its fault)."""
    await session.execute(
        update(Generation).where(_held(lease))
        .values(lease_token=None, lease_expires_at=None, attempts=Generation.attempts - 1)
        .execution_options(synchronize_session=False)
    )


async def stalled(session: AsyncSession, *, now: datetime, unclaimed_before: datetime) -> list[tuple[str, int]]:
    """Pending work whose lease ran out, or that nobody claimed since `unclaimed_before`, with its attempts."""
    rows = await session.execute(
        select(Generation.id, Generation.attempts).where(
            Generation.status == GenerationStatus.PENDING,
            or_(
                Generation.lease_expires_at < now,
                and_(Generation.lease_expires_at.is_(None), Generation.created_at <= unclaimed_before),
            ),
        )
    )
    return [(generation_id, int(attempts)) for generation_id, attempts in rows]


async def extend(session: AsyncSession, tokens: Sequence[str], until: datetime) -> None:
    """Keep leases alive: their holders are still at work."""
    await session.execute(
        update(Generation)
        .where(Generation.lease_token.in_(tokens), Generation.status == GenerationStatus.PENDING)
        .values(lease_expires_at=until)
        .execution_options(synchronize_session=False)
    )


async def held_until(session: AsyncSession, generation_id: str, *, now: datetime, max_attempts: int) -> datetime | None:
    """When another worker's live lease on this pending generation runs out; None when there is nothing to wait for
    (finished, gone, out of attempts, or free to claim)."""
    return await session.scalar(
        select(Generation.lease_expires_at).where(
            Generation.id == generation_id, Generation.status == GenerationStatus.PENDING,
            Generation.attempts < max_attempts, Generation.lease_expires_at > now,
        )
    )
