"""Creating, reading and deleting generations: where a credit is taken, and where a gallery is read."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import credits, images, metrics
from app.billing import service as billing
from app.config import Settings
from app.db import after_commit, unit_of_work
from app.errors import (
    InsufficientCredits,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
    describe_exception,
)
from app.generations import repository
from app.generations.events import RECHECK_SECONDS
from app.generations.repository import Reads
from app.generations.schemas import GenerationOut, GenerationPage, UserStats
from app.models import Generation, GenerationStatus, new_generation_id, utcnow
from app.providers import outages
from app.services import Services
from app.storage import Storage
from app.storage.keys import generation_file
from app.styles import STYLES
from app.users.repository import Caller

logger = logging.getLogger(__name__)

RATE_WINDOW = timedelta(minutes=1)
MAX_PREFER_WAIT = 60
_GENERATION_ID = re.compile(r"gen_\d{1,16}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Submitted:
    generation: GenerationOut
    remaining_credits: int
    replayed: bool = False


class _Replay(Exception):
    """The same Idempotency-Key was used before: answer with that generation (read again once the unit of work
    has rolled back, which leaves nothing it loaded usable)."""


async def submit(
    services: Services, user: Caller, upload: bytes, style: str, *, idempotency_key: str | None, wait_seconds: int,
) -> Submitted:
    """Check and clean the upload, store it, charge for it and queue its work; with `wait_seconds`, wait for it.

    In that order: nothing invalid is ever charged, and the work is queued only once its row is committed.
    """
    settings = services.settings
    if style not in STYLES:
        raise ValidationFailed(
            [{"loc": ["body", "style"], "msg": f"Unknown style. Choose one of: {', '.join(STYLES)}.",
              "type": "enum"}],
            message=f"Unknown style '{style}'.",
        )
    async with services.reader() as session:
        if idempotency_key and (previous := await repository.by_idempotency_key(session, user.id, idempotency_key)):
            remaining = await credits.balance(session, user.id)
            return Submitted(await to_out(previous, services.storage), remaining, replayed=True)
        if not services.provider.is_available() or await outages.ongoing(session, services.provider.name):
            raise ServiceUnavailable()

    original = await images.clean(
        upload, max_pixels=settings.max_image_pixels, max_side=settings.model_image_max_side, output="jpeg",
        thumbnail_size=settings.thumbnail_size, min_side=images.MIN_UPLOAD_SIDE, min_detail=images.MIN_UPLOAD_DETAIL,
    )
    generation = Generation(
        id=new_generation_id(), user_id=user.id, style=style, status=GenerationStatus.PENDING,
        credits_used=settings.generation_cost, idempotency_key=idempotency_key,
    )
    generation.original_image_key = generation_file(user.id, generation.id, f"original.{original.extension}")
    generation.original_thumbnail_key = generation_file(user.id, generation.id, "original-thumbnail.webp")
    stored = [generation.original_image_key, generation.original_thumbnail_key]
    try:
        await asyncio.gather(
            services.storage.put(generation.original_image_key, original.data, original.content_type),
            services.storage.put(generation.original_thumbnail_key, original.thumbnail or b"", "image/webp"),
        )
    except BaseException:  # one of the two may be stored: nothing is left behind
        await services.storage.delete(stored)
        raise

    async with contextlib.AsyncExitStack() as stack:
        # Watch before queueing, so that news of the end cannot come before anyone listens.
        finished = await stack.enter_async_context(services.events.watching(generation.id)) if wait_seconds else None
        try:
            async with unit_of_work(services.sessionmaker) as session:
                remaining = await _charge(session, settings, generation)
                priority = await billing.has_priority(session, settings, user.id)
                after_commit(session, lambda: _enqueue(services, generation.id, priority))
        except _Replay:
            await services.storage.delete(stored)
            async with services.reader() as session:
                previous = await repository.by_idempotency_key(session, user.id, idempotency_key or "")
                assert previous is not None  # found moments ago under the user's lock
                remaining = await credits.balance(session, user.id)
            return Submitted(await to_out(previous, services.storage), remaining, replayed=True)
        except BaseException:
            await services.storage.delete(stored)
            raise
        metrics.credits_spent(settings.generation_cost)  # committed: a replay or a refusal above charged nothing
        if finished is not None:
            generation = await _wait_for_end(services, generation, finished, min(wait_seconds, MAX_PREFER_WAIT))
            async with services.reader() as session:  # a refund may have landed meanwhile
                remaining = await credits.balance(session, user.id)
    return Submitted(await to_out(generation, services.storage), remaining)


async def _charge(session: AsyncSession, settings: Settings, generation: Generation) -> int:
    """The debit, the pending row and the ledger row, in the caller's unit of work."""
    key = generation.idempotency_key
    try:
        # A savepoint: a replay found below gives back its own debit and nothing else.
        async with session.begin_nested():
            # The debit comes first: on PostgreSQL its row lock queues the user's concurrent requests here, so the
            # idempotency check and the rate limit below see every earlier request of theirs.
            remaining = await credits.debit_for_generation(
                session, generation.user_id, settings.generation_cost, generation.id
            )
            if key and await repository.by_idempotency_key(session, generation.user_id, key):
                raise _Replay()
            if remaining is None:
                raise InsufficientCredits()
            await _enforce_rate_limit(session, generation.user_id, settings.rate_limit_per_minute)
            repository.add(session, generation)
            await session.flush()
    except IntegrityError:
        # The unique key is the last guard, should a same-key request ever slip past the lock.
        if key and await repository.by_idempotency_key(session, generation.user_id, key):
            raise _Replay() from None
        raise
    return remaining


async def _enforce_rate_limit(session: AsyncSession, user_id: uuid.UUID, per_minute: int) -> None:
    now = utcnow()
    count, oldest = await repository.created_since(session, user_id, now - RATE_WINDOW)
    if count >= per_minute and oldest is not None:
        retry_after = max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds()))
        raise RateLimited(headers={"Retry-After": str(retry_after)})


async def _enqueue(services: Services, generation_id: str, priority: bool) -> None:
    try:
        await services.queue.put(generation_id, priority=priority)
    except Exception as exc:  # the queue is down: the generation is safe, recovery queues it again
        logger.error("generation %s: could not be queued: %s", generation_id, describe_exception(exc))


async def _wait_for_end(
    services: Services, generation: Generation, finished: asyncio.Future[None], seconds: float
) -> Generation:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(finished), min(left, RECHECK_SECONDS))
        async with services.reader() as session:
            current = await repository.get(session, generation.id)
        if current is None:  # deleted meanwhile
            return generation
        generation = current
        if generation.status != GenerationStatus.PENDING:
            break
    return generation


async def get_owned(session: AsyncSession, user_id: uuid.UUID, generation_id: str) -> Generation:
    """The user's generation; someone else's answers exactly like a missing one."""
    generation = None
    if _is_generation_id(generation_id):
        generation = await repository.get_owned(session, user_id, generation_id)
    if generation is None:
        raise NotFound("Generation not found.")
    return generation


async def get(reads: Reads, storage: Storage, user_id: uuid.UUID, generation_id: str) -> GenerationOut:
    """The user's generation; someone else's answers exactly like a missing one."""
    row = await repository.shown(reads, user_id, generation_id) if _is_generation_id(generation_id) else None
    if row is None:
        raise NotFound("Generation not found.")
    return (await to_out_many([row], storage))[0]


async def delete(session: AsyncSession, storage: Storage, user_id: uuid.UUID, generation_id: str) -> None:
    generation = await get_owned(session, user_id, generation_id)
    # Files first: if storage fails the row stays and the delete can be retried; nothing is left orphaned.
    await storage.delete(generation.storage_keys())
    await repository.delete_row(session, generation.id)


def _is_generation_id(value: str) -> bool:
    """An id this API could have made; anything else (a NUL byte, say) is not looked up at all."""
    return _GENERATION_ID.fullmatch(value) is not None


def encode_cursor(created_at: datetime, generation_id: str) -> str:
    raw = f"{created_at.isoformat()}|{generation_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, generation_id = raw.split("|", 1)
        created_at = datetime.fromisoformat(created)
        if created_at.tzinfo is None or not _is_generation_id(generation_id):
            raise ValueError("not a cursor this API made")
        return created_at.astimezone(UTC), generation_id
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise ValidationFailed(
            [{"loc": ["query", "cursor"], "msg": "Invalid cursor.", "type": "value_error"}],
            message="Invalid cursor.",
        ) from None


async def list_page(
    reads: Reads, storage: Storage, user_id: uuid.UUID, status: str | None, limit: int, cursor: str | None
) -> GenerationPage:
    rows = await repository.page(reads, user_id, status, limit, decode_cursor(cursor) if cursor else None)
    shown = rows[:limit]
    next_cursor = encode_cursor(shown[-1].created_at, shown[-1].id) if len(rows) > limit else None
    items = await to_out_many(shown, storage)
    return GenerationPage(generations=items, count=len(items), next_cursor=next_cursor)


async def stats(reads: Reads, user: Caller) -> UserStats:
    """The credits as read for this request (moments ago), and the gallery's counts."""
    count, newest = await repository.completed_stats(reads, user.id)
    return UserStats(credits=user.credits, total_generations=count, last_generation_date=newest)


async def to_out_many(generations: Sequence[Any], storage: Storage) -> list[GenerationOut]:
    """Answers for generations (ORM objects or rows of `repository.SHOWN`), their URLs signed in one batch.

    Rows are unpacked by position and validated in one call: attribute access per field and one model per item
    cost more than the query on a page of fifty."""
    rows = [tuple(getattr(g, c.key) for c in repository.SHOWN) if isinstance(g, Generation) else g
            for g in generations]
    keys = sorted({key for row in rows for key in row[4:8] if key})
    url = dict(zip(keys, await storage.urls(keys), strict=True))
    return _GENERATIONS.validate_python([
        {"id": id_, "user_id": str(user_id), "style": style, "status": status, "original_image_url": url[original],
         "original_thumbnail_url": url[original_thumbnail] if original_thumbnail else None,
         "generated_image_url": url[generated] if generated else None,
         "thumbnail_url": url[thumbnail] if thumbnail else None, "credits_used": credits_used,
         "error_message": error_message, "model": model, "created_at": created_at, "updated_at": updated_at}
        for (id_, user_id, style, status, original, original_thumbnail, generated, thumbnail, credits_used,
             error_message, model, created_at, updated_at) in rows
    ])


_GENERATIONS = TypeAdapter(list[GenerationOut])


async def to_out(generation: Generation, storage: Storage) -> GenerationOut:
    return (await to_out_many([generation], storage))[0]
