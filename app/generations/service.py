"""Creating, reading and deleting generations: where a credit is taken, and where a gallery is read."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import credits, cursors, images, metrics
from app.billing import service as billing
from app.config import DEFAULT_MODEL, Settings
from app.db import after_commit, unit_of_work
from app.errors import (
    InsufficientCredits,
    NotCompleted,
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
from app.storage.base import content_type_for
from app.storage.keys import generation_file
from app.styles import ASPECT_RATIOS, DEFAULT_ASPECT_RATIO, DEFAULT_STYLE, MAX_WISHES, STYLES
from app.users.repository import Caller

logger = logging.getLogger(__name__)

RATE_WINDOW = timedelta(minutes=1)
MAX_PREFER_WAIT = 60
MAX_VARIATIONS = 4
_GENERATION_ID = re.compile(r"gen_\d{1,16}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Submitted:
    generation: GenerationOut
    remaining_credits: int
    replayed: bool = False
    # Every generation of the request (variations), the first being `generation`.
    generations: list[GenerationOut] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    """What a person asks for besides the picture."""

    style: str = DEFAULT_STYLE
    prompt: str | None = None
    aspect_ratio: str = DEFAULT_ASPECT_RATIO
    model: str = DEFAULT_MODEL
    variations: int = 1


class _Replay(Exception):
    """The same Idempotency-Key was used before: answer with that generation (read again once the unit of work
    has rolled back, which leaves nothing it loaded usable)."""


@dataclass(frozen=True)
class _Picture:
    """A clean picture to start from, with its preview."""

    data: bytes
    content_type: str
    extension: str
    thumbnail: bytes


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"loc": ["body", field_name], "msg": message, "type": "value_error"}], message=message)


def _check(settings: Settings, options: Options) -> None:
    if options.style not in STYLES:
        raise ValidationFailed(
            [{"loc": ["body", "style"], "msg": f"Unknown style. Choose one of: {', '.join(STYLES)}.",
              "type": "enum"}],
            message=f"Unknown style '{options.style}'.",
        )
    if settings.model(options.model) is None:
        raise _invalid("model", f"Unknown model. Choose one of: {', '.join(m.id for m in settings.models)}.")
    if options.aspect_ratio not in ASPECT_RATIOS:
        raise _invalid("aspectRatio", f"Unknown shape. Choose one of: {', '.join(ASPECT_RATIOS)}.")
    if not 1 <= options.variations <= MAX_VARIATIONS:
        raise _invalid("variations", f"Ask for 1 to {MAX_VARIATIONS} variations.")
    if options.prompt is not None and (problem := wishes_problem(options.prompt)):
        raise _invalid("prompt", problem)


def wishes_problem(text: str) -> str | None:
    """Why a person's own words cannot be sent to the model, or None."""
    if len(text) > MAX_WISHES:
        return f"At most {MAX_WISHES} characters."
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and c not in " " for c in text):
        return "Control characters are not allowed."
    return None


async def submit(
    services: Services, user: Caller, upload: bytes, options: Options, *, idempotency_key: str | None,
    wait_seconds: int,
) -> Submitted:
    """Check and clean the upload, store it, charge for it and queue its work; with `wait_seconds`, wait for it.

    In that order: nothing invalid is ever charged, and the work is queued only once its row is committed.
    """
    settings = services.settings
    _check(settings, options)
    if (replay := await _replay_or_refuse(services, user, idempotency_key)) is not None:
        return replay
    original = await images.clean(
        upload, max_pixels=settings.max_image_pixels, max_side=settings.model_image_max_side, output="jpeg",
        thumbnail_size=settings.thumbnail_size, min_side=images.MIN_UPLOAD_SIDE, min_detail=images.MIN_UPLOAD_DETAIL,
    )
    picture = _Picture(original.data, original.content_type, original.extension, original.thumbnail or b"")
    return await _start(services, user, picture, options, None, idempotency_key, wait_seconds)


async def refine(
    services: Services, user: Caller, parent_id: str, instruction: str, *, idempotency_key: str | None,
    wait_seconds: int,
) -> Submitted:
    """A new generation whose input is a completed generation's result, changed as `instruction` says."""
    if (problem := wishes_problem(instruction)) is not None or not instruction.strip():
        raise ValidationFailed([{"loc": ["body", "instruction"], "msg": problem or "Say what to change.",
                                 "type": "value_error"}], message=problem or "Say what to change.")
    async with services.reader() as session:
        parent = await get_owned(session, user.id, parent_id)
    if parent.status != GenerationStatus.COMPLETED or not parent.generated_image_key:
        raise NotCompleted("Only a completed generation can be refined.")
    options = Options(style=parent.style, prompt=instruction.strip(), aspect_ratio=parent.aspect_ratio,
                      model=parent.model_id if services.settings.model(parent.model_id) else DEFAULT_MODEL)
    if (replay := await _replay_or_refuse(services, user, idempotency_key)) is not None:
        return replay
    picture = await _stored_picture(services.storage, parent.generated_image_key, parent.thumbnail_key)
    return await _start(services, user, picture, options, parent.id, idempotency_key, wait_seconds)


async def again(
    services: Services, user: Caller, source_id: str, options: Options, *, idempotency_key: str | None,
    wait_seconds: int,
) -> Submitted:
    """A new generation from the photo another one was made from (another style, say), without uploading it again.
    Any generation of one's own will do, whatever became of it: its photo is kept as it was cleaned."""
    _check(services.settings, options)
    async with services.reader() as session:
        source = await get_owned(session, user.id, source_id)
    if (replay := await _replay_or_refuse(services, user, idempotency_key)) is not None:
        return replay
    picture = await _stored_picture(services.storage, source.original_image_key, source.original_thumbnail_key)
    return await _start(services, user, picture, options, None, idempotency_key, wait_seconds)


async def _stored_picture(storage: Storage, key: str, thumbnail_key: str | None) -> _Picture:
    """A picture kept by an earlier generation (its result, or its photo), with its preview when it has one."""
    data, preview = await asyncio.gather(
        storage.get(key), storage.get(thumbnail_key) if thumbnail_key else asyncio.sleep(0, b""),
    )
    return _Picture(data, content_type_for(key), key.rsplit(".", 1)[-1], preview or b"")


async def _replay_or_refuse(services: Services, user: Caller, idempotency_key: str | None) -> Submitted | None:
    async with services.reader() as session:
        if idempotency_key and (previous := await repository.by_idempotency_key(session, user.id, idempotency_key)):
            return await _replayed(services, session, previous)
        if not services.provider.is_available() or await outages.ongoing(session, services.provider.name):
            raise ServiceUnavailable()
    return None


async def _replayed(services: Services, session: AsyncSession, first: Generation) -> Submitted:
    others = await repository.batch(session, first.batch_id) if first.batch_id else []
    batch = [first, *(g for g in others if g.id != first.id)]
    remaining = await credits.balance(session, first.user_id)
    outs = await to_out_many(batch, services.storage)
    return Submitted(outs[0], remaining, replayed=True, generations=outs)


async def _start(
    services: Services, user: Caller, picture: _Picture, options: Options, parent_id: str | None,
    idempotency_key: str | None, wait_seconds: int,
) -> Submitted:
    settings = services.settings
    chosen = settings.model(options.model)
    assert chosen is not None  # _check
    batch_id = f"batch_{uuid.uuid4().hex}" if options.variations > 1 else None
    generations = [
        Generation(id=new_generation_id(), user_id=user.id, style=options.style, status=GenerationStatus.PENDING,
                   credits_used=chosen.credits, idempotency_key=idempotency_key if i == 0 else None,
                   prompt=options.prompt, aspect_ratio=options.aspect_ratio, model_id=chosen.id, batch_id=batch_id,
                   parent_id=parent_id)
        for i in range(options.variations)
    ]
    stored: list[str] = []
    for generation in generations:  # each its own copy: deleting one variation leaves the others whole
        generation.original_image_key = generation_file(user.id, generation.id, f"original.{picture.extension}")
        generation.original_thumbnail_key = generation_file(user.id, generation.id, "original-thumbnail.webp")
        stored += [generation.original_image_key, generation.original_thumbnail_key]
    try:
        await asyncio.gather(*(put for g in generations for put in (
            services.storage.put(g.original_image_key, picture.data, picture.content_type),
            services.storage.put(g.original_thumbnail_key or "", picture.thumbnail, "image/webp"))))
    except BaseException:  # some may be stored: nothing is left behind
        await services.storage.delete(stored)
        raise

    async with contextlib.AsyncExitStack() as stack:
        # Watch before queueing, so that news of the end cannot come before anyone listens.
        watching = [await stack.enter_async_context(services.events.watching(g.id)) for g in generations] \
            if wait_seconds else []
        try:
            async with unit_of_work(services.sessionmaker) as session:
                remaining = await _charge(session, settings, generations, chosen.credits)
                priority = await billing.has_priority(session, settings, user.id)
                for generation in generations:
                    after_commit(session, functools.partial(_enqueue, services, generation.id, priority))
        except _Replay:
            await services.storage.delete(stored)
            async with services.reader() as session:
                previous = await repository.by_idempotency_key(session, user.id, idempotency_key or "")
                assert previous is not None  # found moments ago under the user's lock
                return await _replayed(services, session, previous)
        except BaseException:
            await services.storage.delete(stored)
            raise
        metrics.credits_spent(chosen.credits * len(generations))  # committed: a replay or refusal charged nothing
        if watching:
            deadline = asyncio.get_running_loop().time() + min(wait_seconds, MAX_PREFER_WAIT)
            for i, finished in enumerate(watching):
                left = max(0.0, deadline - asyncio.get_running_loop().time())
                generations[i] = await _wait_for_end(services, generations[i], finished, left)
            async with services.reader() as session:  # a refund may have landed meanwhile
                remaining = await credits.balance(session, user.id)
    outs = await to_out_many(generations, services.storage)
    return Submitted(outs[0], remaining, generations=outs)


async def _charge(session: AsyncSession, settings: Settings, generations: list[Generation], cost: int) -> int:
    """The debit for every generation of the request (all or nothing), their pending rows and ledger rows, in the
    caller's unit of work."""
    first = generations[0]
    key = first.idempotency_key
    try:
        # A savepoint: a replay found below gives back its own debit and nothing else.
        async with session.begin_nested():
            # The debit comes first: on PostgreSQL its row lock queues the user's concurrent requests here, so the
            # idempotency check and the rate limit below see every earlier request of theirs.
            remaining = await credits.debit_for_generations(session, first.user_id, cost,
                                                            [g.id for g in generations])
            if key and await repository.by_idempotency_key(session, first.user_id, key):
                raise _Replay()
            if remaining is None:
                raise InsufficientCredits()
            await _enforce_rate_limit(session, first.user_id, settings.rate_limit_per_minute, len(generations))
            # A microsecond apart, in the order they were made: a replay reads a batch back by (created_at, id)
            # (repository.batch), and the clock can give every variation the same microsecond.
            made_at = utcnow()
            for index, generation in enumerate(generations):
                generation.created_at = made_at + timedelta(microseconds=index)
                repository.add(session, generation)
            await session.flush()
    except IntegrityError:
        # The unique key is the last guard, should a same-key request ever slip past the lock.
        if key and await repository.by_idempotency_key(session, first.user_id, key):
            raise _Replay() from None
        raise
    return remaining


async def _enforce_rate_limit(session: AsyncSession, user_id: uuid.UUID, per_minute: int, adding: int = 1) -> None:
    now = utcnow()
    count, oldest = await repository.created_since(session, user_id, now - RATE_WINDOW)
    if count + adding > per_minute:
        if oldest is None:  # more variations at once than a minute allows
            raise RateLimited(f"At most {per_minute} generations a minute.", headers={"Retry-After": "60"})
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


async def get(
    reads: Reads, storage: Storage, user_id: uuid.UUID, generation_id: str, share_base: str = ""
) -> GenerationOut:
    """The user's generation; someone else's answers exactly like a missing one."""
    row = await repository.shown(reads, user_id, generation_id) if _is_generation_id(generation_id) else None
    if row is None:
        raise NotFound("Generation not found.")
    return (await to_out_many([row], storage, share_base))[0]


async def delete(session: AsyncSession, storage: Storage, user_id: uuid.UUID, generation_id: str) -> None:
    generation = await get_owned(session, user_id, generation_id)
    # Files first: if storage fails the row stays and the delete can be retried; nothing is left orphaned.
    await storage.delete(generation.storage_keys())
    await repository.delete_row(session, generation.id)


def _is_generation_id(value: str) -> bool:
    """An id this API could have made; anything else (a NUL byte, say) is not looked up at all."""
    return _GENERATION_ID.fullmatch(value) is not None


async def list_page(
    reads: Reads, storage: Storage, user_id: uuid.UUID, status: str | None, limit: int, cursor: str | None,
    share_base: str = "",
) -> GenerationPage:
    before = cursors.decode(cursor, _is_generation_id) if cursor else None
    rows = await repository.page(reads, user_id, status, limit, before)
    shown = rows[:limit]
    next_cursor = cursors.encode(shown[-1].created_at, shown[-1].id) if len(rows) > limit else None
    items = await to_out_many(shown, storage, share_base)
    return GenerationPage(generations=items, count=len(items), next_cursor=next_cursor)


async def stats(reads: Reads, user: Caller) -> UserStats:
    """The credits as read for this request (moments ago), and the gallery's counts."""
    count, newest = await repository.completed_stats(reads, user.id)
    return UserStats(credits=user.credits, total_generations=count, last_generation_date=newest)


async def to_out_many(generations: Sequence[Any], storage: Storage, share_base: str = "") -> list[GenerationOut]:
    """Answers for generations (ORM objects or rows of `repository.SHOWN`), their URLs signed in one batch.

    Rows are unpacked by position and validated in one call: attribute access per field and one model per item
    cost more than the query on a page of fifty."""
    # An ORM object answers for a generation just made or just finished, which nobody has shared yet.
    rows = [tuple(getattr(g, c.key, None) for c in repository.SHOWN) if isinstance(g, Generation) else g
            for g in generations]
    keys = sorted({key for row in rows for key in row[4:8] if key})
    url = dict(zip(keys, await storage.urls(keys), strict=True))
    return _GENERATIONS.validate_python([
        {"id": id_, "user_id": str(user_id), "style": style, "status": status, "original_image_url": url[original],
         "original_thumbnail_url": url[original_thumbnail] if original_thumbnail else None,
         "generated_image_url": url[generated] if generated else None,
         "thumbnail_url": url[thumbnail] if thumbnail else None, "credits_used": credits_used,
         "error_message": error_message, "model": model, "created_at": created_at, "updated_at": updated_at,
         "prompt": prompt, "aspect_ratio": aspect_ratio, "batch_id": batch_id, "parent_id": parent_id,
         "width": width, "height": height, "share_url": f"{share_base}/s/{slug}" if slug else None}
        for (id_, user_id, style, status, original, original_thumbnail, generated, thumbnail, credits_used,
             error_message, model, created_at, updated_at, prompt, aspect_ratio, batch_id, parent_id, width, height,
             slug) in rows
    ])


_GENERATIONS = TypeAdapter(list[GenerationOut])


async def to_out(generation: Generation, storage: Storage) -> GenerationOut:
    return (await to_out_many([generation], storage))[0]
