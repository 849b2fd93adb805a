"""Creating, reading and deleting generations: where a credit is taken, and where a gallery is read."""

from __future__ import annotations

import asyncio
import base64
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import credits
from app.db import begin_write
from app.errors import InsufficientCredits, NotFound, RateLimited, ServiceUnavailable, ValidationFailed
from app.generations.schemas import GenerationOut
from app.images import clean_image
from app.models import Generation, GenerationStatus, User, UTCDateTime, new_generation_id, utcnow
from app.providers import outages
from app.services import Services
from app.storage import Storage
from app.styles import STYLES

RATE_WINDOW = timedelta(minutes=1)


def storage_key(generation_id: str, name: str) -> str:
    """Every file of a generation lives under its id: the uploaded file's name is never part of a key."""
    return f"generations/{generation_id}/{name}"


@dataclass(frozen=True)
class Created:
    generation: Generation
    remaining_credits: int
    replayed: bool = False


class _DuplicateIdempotencyKey(Exception):
    pass


async def create_generation(
    services: Services,
    session: AsyncSession,
    user: User,
    upload: bytes,
    style: str,
    idempotency_key: str | None,
) -> Created:
    """Check the upload, store it, and charge for it, in that order: nothing invalid is ever charged."""
    settings = services.settings
    if style not in STYLES:
        raise ValidationFailed(
            [{"loc": ["body", "style"], "msg": f"Unknown style. Choose one of: {', '.join(STYLES)}.",
              "type": "enum"}],
            message=f"Unknown style '{style}'.",
        )
    if idempotency_key and (previous := await _by_idempotency_key(session, user.id, idempotency_key)):
        return Created(previous, await credits.balance(session, user.id), replayed=True)
    provider = services.provider
    if not provider.is_available() or await outages.ongoing(session, provider.name):
        raise ServiceUnavailable()

    cleaned = await asyncio.to_thread(
        clean_image, upload, max_pixels=settings.max_image_pixels, max_side=settings.model_image_max_side,
        output="jpeg",
    )
    generation = Generation(
        id=new_generation_id(), user_id=user.id, style=style, status=GenerationStatus.PENDING,
        original_image_key="", credits_used=settings.generation_cost, idempotency_key=idempotency_key,
    )
    generation.original_image_key = storage_key(generation.id, f"original.{cleaned.extension}")
    await services.storage.put(generation.original_image_key, cleaned.data, cleaned.content_type)
    try:
        remaining = await _charge_and_record(services, session, generation)
    except _DuplicateIdempotencyKey:
        # The same key raced in from another request and won: answer with its generation.
        await services.storage.delete([generation.original_image_key])
        assert idempotency_key is not None
        previous = await _by_idempotency_key(session, user.id, idempotency_key)
        if previous is None:  # pragma: no cover - the winner was deleted in between
            raise
        return Created(previous, await credits.balance(session, user.id), replayed=True)
    except BaseException:
        await services.storage.delete([generation.original_image_key])
        raise
    return Created(generation, remaining)


async def _charge_and_record(services: Services, session: AsyncSession, generation: Generation) -> int:
    """The debit, the pending row and the ledger row: one transaction, all or nothing."""
    settings = services.settings
    await begin_write(session)
    try:
        remaining = await credits.debit_for_generation(
            session, generation.user_id, settings.generation_cost, generation.id
        )
        if remaining is None:
            raise InsufficientCredits()
        # Counted after the debit: on PostgreSQL its row lock serialises the user's requests, so the count is exact.
        await _enforce_rate_limit(session, generation.user_id, settings.rate_limit_per_minute)
        session.add(generation)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        if generation.idempotency_key and "idempotency" in str(exc.orig).lower():
            raise _DuplicateIdempotencyKey() from None
        raise
    except BaseException:
        await session.rollback()
        raise
    return remaining


async def _enforce_rate_limit(session: AsyncSession, user_id: uuid.UUID, per_minute: int) -> None:
    now = utcnow()
    count, oldest = (await session.execute(
        select(func.count(Generation.id), func.min(Generation.created_at))
        .where(Generation.user_id == user_id, Generation.created_at > now - RATE_WINDOW)
    )).one()
    if count >= per_minute:
        retry_after = max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds()))
        raise RateLimited(headers={"Retry-After": str(retry_after)})


async def _by_idempotency_key(session: AsyncSession, user_id: uuid.UUID, key: str) -> Generation | None:
    return await session.scalar(
        select(Generation).where(Generation.user_id == user_id, Generation.idempotency_key == key)
    )


async def get_owned(session: AsyncSession, user_id: uuid.UUID, generation_id: str) -> Generation:
    """The user's generation; someone else's answers exactly like a missing one."""
    generation = await session.scalar(
        select(Generation).where(Generation.id == generation_id, Generation.user_id == user_id)
    )
    if generation is None:
        raise NotFound("Generation not found.")
    return generation


def encode_cursor(generation: Generation) -> str:
    raw = f"{generation.created_at.isoformat()}|{generation.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, generation_id = raw.split("|", 1)
        return datetime.fromisoformat(created), generation_id
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            [{"loc": ["query", "cursor"], "msg": "Invalid cursor.", "type": "value_error"}],
            message="Invalid cursor.",
        ) from None


async def list_page(
    session: AsyncSession, user_id: uuid.UUID, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Generation], str | None]:
    """Newest first, by keyset on (created_at, id): stable while new generations arrive."""
    query = select(Generation).where(Generation.user_id == user_id)
    if status:
        query = query.where(Generation.status == status)
    if cursor:
        created_at, generation_id = decode_cursor(cursor)
        after = tuple_(literal(created_at, UTCDateTime), literal(generation_id))
        query = query.where(tuple_(Generation.created_at, Generation.id) < after)
    rows = list(await session.scalars(
        query.order_by(Generation.created_at.desc(), Generation.id.desc()).limit(limit + 1)
    ))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def delete_generation(services: Services, session: AsyncSession, generation: Generation) -> None:
    # Files first: if storage fails the row stays and the delete can be retried; nothing is left orphaned.
    await services.storage.delete(generation.storage_keys())
    await begin_write(session)
    await session.delete(generation)
    await session.commit()


async def to_out(generation: Generation, storage: Storage) -> GenerationOut:
    async def url(key: str | None) -> str | None:
        return await storage.url(key) if key else None

    original, generated, thumbnail = await asyncio.gather(
        storage.url(generation.original_image_key), url(generation.generated_image_key),
        url(generation.thumbnail_key),
    )
    return GenerationOut(
        id=generation.id, user_id=str(generation.user_id), style=generation.style,
        status=generation.status,  # type: ignore[arg-type]
        original_image_url=original, generated_image_url=generated, thumbnail_url=thumbnail,
        credits_used=generation.credits_used, error_message=generation.error_message, model=generation.model,
        created_at=generation.created_at, updated_at=generation.updated_at,
    )
