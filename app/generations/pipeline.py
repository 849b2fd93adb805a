"""Turning a pending generation into a completed or failed one (runs as a background task).

A worker first claims the generation with a lease; only the lease holder may finish it, so a generation is
never processed twice at once, and a worker whose lease ran out (it was presumed dead and the work re-queued)
cannot overwrite the newer attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, or_, select, update

from app import credits
from app.db import begin_write
from app.errors import UploadFailed, describe_exception
from app.generations.service import storage_key
from app.images import clean_image, make_thumbnail
from app.models import Generation, GenerationStatus, utcnow
from app.providers import outages
from app.providers.base import ProviderError, ProviderResult
from app.services import Services
from app.storage import StorageError
from app.storage.base import content_type_for
from app.styles import STYLES

logger = logging.getLogger(__name__)

# Results are kept at full model resolution; the pixel limit still guards against hostile answers.
RESULT_MAX_SIDE = 4096

MSG_INTERNAL = "Something went wrong on our side while creating your avatar."
MSG_BAD_RESULT = "The image model returned an image we could not use. Please try again."
MSG_ABANDONED = "We could not finish this generation after several attempts."


@dataclass(frozen=True)
class Claim:
    generation_id: str
    token: str


async def claim(services: Services, generation_id: str) -> Claim | None:
    """Take the generation for this worker, unless it is finished or another worker's lease still holds."""
    now = utcnow()
    token = str(uuid.uuid4())
    async with services.sessionmaker() as session:
        await begin_write(session)
        result = await session.execute(
            update(Generation)
            .where(
                Generation.id == generation_id,
                Generation.status == GenerationStatus.PENDING,
                or_(Generation.lease_expires_at.is_(None), Generation.lease_expires_at < now),
                Generation.attempts < services.settings.generation_max_attempts,
            )
            .values(
                lease_token=token,
                lease_expires_at=now + timedelta(seconds=services.settings.generation_lease_seconds),
                attempts=Generation.attempts + 1,
            )
        )
        await session.commit()
    return Claim(generation_id, token) if result.rowcount == 1 else None  # type: ignore[attr-defined]


async def process(services: Services, generation_id: str) -> None:
    held = await claim(services, generation_id)
    if held is None:
        logger.info("generation %s: not claimed (finished, or held by another worker)", generation_id)
        return
    started = time.monotonic()
    try:
        await _run(services, held)
    except asyncio.CancelledError:
        # Shutting down: hand the work back at once so the next start resumes it without waiting for the lease.
        await asyncio.shield(_release(services, held))
        raise
    except Exception as exc:
        logger.error("generation %s: unexpected failure: %s", generation_id, describe_exception(exc))
        await fail(services, held, MSG_INTERNAL, refund=True)
    finally:
        logger.info("generation %s: done in %.0f ms", generation_id, (time.monotonic() - started) * 1000)


async def _run(services: Services, held: Claim) -> None:
    settings = services.settings
    async with services.sessionmaker() as session:
        generation = await session.get_one(Generation, held.generation_id)
    try:
        result = await _call_model(services, generation)
    except StorageError as exc:
        logger.error("generation %s: original unreadable: %s", held.generation_id, describe_exception(exc))
        await fail(services, held, MSG_INTERNAL, refund=True)
        return
    except ProviderError as exc:
        # Policy: a failure before the model was called is refunded; a model failure only if configured.
        refund = not exc.model_called or settings.refund_model_failures
        logger.warning("generation %s: provider failed (%s, model called: %s)", generation.id, exc.kind,
                       exc.model_called)
        await fail(services, held, str(exc), refund=refund)
        if not services.provider.is_available():  # this process's breaker has opened: tell every process
            await _record_outage(services)
        return

    try:
        image = await asyncio.to_thread(
            clean_image, result.image, max_pixels=settings.max_image_pixels, max_side=RESULT_MAX_SIDE,
            output="png",
        )
        thumbnail = await asyncio.to_thread(make_thumbnail, image.data, size=settings.thumbnail_size)
    except UploadFailed:
        logger.warning("generation %s: model answer is not a usable image", generation.id)
        await fail(services, held, MSG_BAD_RESULT, refund=settings.refund_model_failures, result=result)
        return

    keys = {
        "generated": storage_key(generation.id, f"result.{image.extension}"),
        "thumbnail": storage_key(generation.id, "thumbnail.webp"),
    }
    try:
        await services.storage.put(keys["generated"], image.data, image.content_type)
        await services.storage.put(keys["thumbnail"], thumbnail, "image/webp")
    except StorageError as exc:
        logger.error("generation %s: storing the result failed: %s", generation.id, describe_exception(exc))
        await services.storage.delete(keys.values())
        await fail(services, held, MSG_INTERNAL, refund=True)
        return

    if not await _complete(services, held, keys["generated"], keys["thumbnail"], result):
        # Deleted meanwhile, or taken over by a newer attempt: what we stored belongs to nobody.
        await services.storage.delete(keys.values())


async def _call_model(services: Services, generation: Generation) -> ProviderResult:
    # The original is read once a model slot is free, so queued work holds no image in memory.
    async with services.model_slots:
        original = await services.storage.get(generation.original_image_key)
        return await services.provider.generate(
            original, content_type_for(generation.original_image_key), STYLES[generation.style],
            generation_id=generation.id,
        )


def _usage(result: ProviderResult) -> dict[str, object]:
    return {
        "model": result.model,
        "provider_generation_id": result.provider_generation_id,
        "cost_usd": result.cost_usd,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
    }


def _held_by(held: Claim) -> list[ColumnElement[bool]]:
    return [
        Generation.id == held.generation_id,
        Generation.status == GenerationStatus.PENDING,
        Generation.lease_token == held.token,
    ]


async def _record_outage(services: Services) -> None:
    until = utcnow() + timedelta(seconds=services.settings.breaker_reset_seconds)
    async with services.sessionmaker() as session:
        await begin_write(session)
        await outages.record(session, services.provider.name, until)
        await session.commit()
    logger.warning("provider %s: outage recorded until %s", services.provider.name, until.isoformat())


async def _complete(
    services: Services, held: Claim, generated_key: str, thumbnail_key: str, result: ProviderResult
) -> bool:
    async with services.sessionmaker() as session:
        await begin_write(session)
        done = await session.execute(
            update(Generation).where(*_held_by(held)).values(
                status=GenerationStatus.COMPLETED, generated_image_key=generated_key,
                thumbnail_key=thumbnail_key, lease_token=None, lease_expires_at=None, updated_at=utcnow(),
                **_usage(result),
            )
        )
        await outages.end(session, services.provider.name)  # a completed call is the best sign it is back
        await session.commit()
    return done.rowcount == 1  # type: ignore[attr-defined]


async def fail(
    services: Services, held: Claim | None, message: str, *, refund: bool,
    generation_id: str | None = None, result: ProviderResult | None = None,
) -> bool:
    """Mark the generation failed (and refund it when asked) in one transaction; False if it was not ours."""
    target = held.generation_id if held else generation_id
    conditions = _held_by(held) if held else [
        Generation.id == target, Generation.status == GenerationStatus.PENDING,
    ]
    async with services.sessionmaker() as session:
        await begin_write(session)
        generation = await session.scalar(select(Generation).where(*conditions).with_for_update())
        if generation is None:
            await session.rollback()
            return False
        if refund:
            await credits.refund_generation(session, generation.user_id, generation.id, generation.credits_used)
            message = f"{message} Your {generation.credits_used} credits were refunded."
        generation.status = GenerationStatus.FAILED
        generation.error_message = message
        generation.lease_token = None
        generation.lease_expires_at = None
        if result is not None:
            for field, value in _usage(result).items():
                setattr(generation, field, value)
        await session.commit()
    return True


async def _release(services: Services, held: Claim) -> None:
    try:
        async with services.sessionmaker() as session:
            await begin_write(session)
            await session.execute(
                # Not this attempt's fault: it does not count towards the attempt limit.
                update(Generation).where(*_held_by(held)).values(
                    lease_token=None, lease_expires_at=None, attempts=Generation.attempts - 1
                )
            )
            await session.commit()
    except Exception as exc:  # the lease will simply run out
        logger.warning("generation %s: could not release lease: %s", held.generation_id, describe_exception(exc))
