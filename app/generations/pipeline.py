"""Turning a pending generation into a completed or failed one (runs as a background task).

claim → call the provider → store the result → finish. A worker first claims the generation with a lease; only
the lease holder may finish it, so a generation is never processed twice at once, and a worker whose lease ran
out (it was presumed dead and the work re-queued) cannot overwrite the newer attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import timedelta

from app import credits, images, metrics
from app.db import after_commit, unit_of_work
from app.errors import describe_exception
from app.generations import repository
from app.generations.failures import MSG_BAD_RESULT, MSG_INTERNAL, Fault, provider_fault, refund_due
from app.generations.repository import Lease
from app.images import ImageRejected
from app.models import Generation, GenerationStatus, utcnow
from app.providers import outages
from app.providers.base import AnswerSlot, ProviderError, ProviderResult
from app.services import Services
from app.storage import StorageError
from app.storage.base import content_type_for
from app.storage.keys import generation_file
from app.styles import STYLES, instructions, refinement

logger = logging.getLogger(__name__)

# Results are kept at full model resolution; the pixel limit still guards against hostile answers.
RESULT_MAX_SIDE = 4096
# Results are what people keep and share: a high-quality JPEG with full-resolution colour, a third of a PNG's bytes
# and far quicker to make.
RESULT_QUALITY = 92


async def process(services: Services, generation_id: str, *, priority: bool = False) -> None:
    """`priority`: the account's plan lets its work start first while every model slot is busy."""
    while (lease := await claim(services, generation_id)) is None:
        # Held by another worker: it may be alive and about to finish, or dead with its lease about to run out
        # (how a queue that redelivers a dead worker's message finds it). Try again when the lease ends.
        async with services.reader() as session:
            until = await repository.held_until(session, generation_id, now=utcnow(),
                                                max_attempts=services.settings.generation_max_attempts)
        if until is None:
            logger.info("generation %s: nothing to do (finished, or out of attempts)", generation_id)
            return
        await asyncio.sleep(max(0.0, (until - utcnow()).total_seconds()) + 0.05)
    started = time.monotonic()
    try:
        with services.leases.keeping(lease):
            await _run(services, lease, priority, started)
    except asyncio.CancelledError:
        # Shutting down: hand the work back at once so the next start resumes it without waiting for the lease.
        await asyncio.shield(_release(services, lease))
        raise
    except Exception as exc:
        logger.error("generation %s: unexpected failure: %s", generation_id, describe_exception(exc))
        await fail(services, generation_id, MSG_INTERNAL, Fault.OURS, lease=lease, claimed_at=started)
    finally:
        logger.info("generation %s: done in %.0f ms", generation_id, (time.monotonic() - started) * 1000)


async def claim(services: Services, generation_id: str) -> Lease | None:
    """Take the generation for this worker, unless it is finished or another worker's lease still holds."""
    settings = services.settings
    lease = Lease(generation_id, str(uuid.uuid4()))
    now = utcnow()
    async with unit_of_work(services.sessionmaker) as session:
        claimed = await repository.claim(
            session, generation_id, lease, now=now, until=now + timedelta(seconds=settings.generation_lease_seconds),
            max_attempts=settings.generation_max_attempts,
        )
    return lease if claimed else None


async def _run(services: Services, lease: Lease, priority: bool, claimed_at: float) -> None:
    async with services.reader() as session:
        generation = await repository.get(session, lease.generation_id)
    if generation is None:
        return
    # Held from the moment the model's answer is read until its files are stored: see AnswerSlot.
    with AnswerSlot(services.answer_places) as slot:
        try:
            result = await _call_model(services, generation, priority, slot)
        except StorageError as exc:
            if await fail(services, generation.id, MSG_INTERNAL, Fault.OURS, lease=lease, claimed_at=claimed_at):
                logger.error("generation %s: original unreadable: %s", generation.id, describe_exception(exc))
            else:  # deleted by its owner meanwhile, files and all (or no longer this worker's): nothing is wrong
                logger.info("generation %s: gone before its original was read", generation.id)
            return
        except ProviderError as exc:
            logger.warning("generation %s: provider failed (%s, model called: %s)", generation.id, exc.kind,
                           exc.model_called)
            if not services.provider.is_available():  # this process's breaker has opened: tell every process
                await _record_outage(services)  # before the failure is told, so no one learns of one and not the other
            await fail(services, generation.id, str(exc), provider_fault(exc.kind, exc.model_called),
                       lease=lease, claimed_at=claimed_at)
            return

        try:
            image = await images.clean(  # before any upload waiting for an image thread: see images.IMAGE_SLOTS
                result.image, priority=True, max_pixels=services.settings.max_image_pixels, max_side=RESULT_MAX_SIDE,
                output="jpeg", quality=RESULT_QUALITY, full_colour=True,
                thumbnail_size=services.settings.thumbnail_size,
            )
        except ImageRejected:
            logger.warning("generation %s: model answer is not a usable image", generation.id)
            await fail(services, generation.id, MSG_BAD_RESULT, Fault.MODEL, lease=lease, result=result,
                       claimed_at=claimed_at)
            return

        generated_key = generation_file(generation.user_id, generation.id, f"result.{image.extension}")
        thumbnail_key = generation_file(generation.user_id, generation.id, "thumbnail.webp")
        try:
            await asyncio.gather(
                services.storage.put(generated_key, image.data, image.content_type),
                services.storage.put(thumbnail_key, image.thumbnail or b"", "image/webp"),
            )
        except StorageError as exc:
            logger.error("generation %s: storing the result failed: %s", generation.id, describe_exception(exc))
            await services.storage.delete([generated_key, thumbnail_key])
            await fail(services, generation.id, MSG_INTERNAL, Fault.OURS, lease=lease, claimed_at=claimed_at)
            return

        if await _complete(services, lease, generated_key, thumbnail_key, result, (image.width, image.height)):
            metrics.generation_finished("completed", generation.style, claimed_at=claimed_at,
                                        provider=services.provider.name, cost_usd=result.cost_usd)
        else:
            # Deleted meanwhile, or taken over by a newer attempt: what we stored belongs to nobody.
            await services.storage.delete([generated_key, thumbnail_key])


async def _call_model(services: Services, generation: Generation, priority: bool, slot: AnswerSlot) -> ProviderResult:
    # The original is read when the provider sends it (once a model slot is free, at each attempt), so work that
    # waits, in the queue or on the model, holds no image in memory.
    async def original() -> bytes:
        return await services.storage.get(generation.original_image_key)

    async with services.model_slots.hold(priority=priority):
        style = STYLES[generation.style]
        chosen = services.settings.model(generation.model_id)
        with metrics.MODEL_CALLS.track_inprogress():
            return await services.provider.generate(
                original, content_type_for(generation.original_image_key), style, generation_id=generation.id,
                # A refinement edits its parent's result as the person asked; a new portrait follows the style,
                # with the person's wishes framed as wishes.
                instructions=refinement(generation.prompt or "") if generation.parent_id
                else instructions(style, generation.prompt),
                aspect_ratio=generation.aspect_ratio, model=chosen.openrouter_model if chosen else None,
                answer_slot=slot,
            )


def _usage(result: ProviderResult) -> dict[str, object]:
    return {
        "model": result.model,
        "provider_generation_id": result.provider_generation_id,
        "cost_usd": result.cost_usd,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
    }


async def _record_outage(services: Services) -> None:
    until = utcnow() + timedelta(seconds=services.settings.breaker_reset_seconds)
    async with unit_of_work(services.sessionmaker) as session:
        await outages.record(session, services.provider.name, until)
    logger.warning("provider %s: outage recorded until %s", services.provider.name, until.isoformat())


async def _complete(
    services: Services, lease: Lease, generated_key: str, thumbnail_key: str, result: ProviderResult,
    size: tuple[int, int] | None = None,
) -> bool:
    width, height = size or (None, None)
    async with unit_of_work(services.sessionmaker) as session:
        done = await repository.complete(
            session, lease, generated_image_key=generated_key, thumbnail_key=thumbnail_key, updated_at=utcnow(),
            width=width, height=height, **_usage(result),
        )
        await outages.end(session, services.provider.name)  # a completed call is the best sign it is back
        if done:
            after_commit(session, lambda: services.events.announce(lease.generation_id))
    return done


async def fail(
    services: Services, generation_id: str, message: str, fault: Fault, *,
    lease: Lease | None = None, result: ProviderResult | None = None, claimed_at: float | None = None,
) -> bool:
    """Mark the pending generation failed, refunding it when the policy says so, in one unit of work.

    With a lease, only while that lease holds. False when the generation was not (or no longer) ours to fail.
    `claimed_at`: the time.monotonic() of this worker's claim, for the metrics.
    """
    refunded = 0
    async with unit_of_work(services.sessionmaker) as session:
        generation = await repository.lock_pending(session, generation_id, lease)
        if generation is None:
            return False
        style = generation.style
        if refund_due(fault, services.settings):
            await credits.refund_generation(session, generation.user_id, generation.id, generation.credits_used)
            message = f"{message} Your {generation.credits_used} credits were refunded."
            refunded = generation.credits_used
        generation.status = GenerationStatus.FAILED
        generation.error_message = message
        generation.lease_token = None
        generation.lease_expires_at = None
        generation.updated_at = utcnow()
        if result is not None:
            for field, value in _usage(result).items():
                setattr(generation, field, value)
        after_commit(session, lambda: services.events.announce(generation_id))
    metrics.generation_finished("failed", style, claimed_at=claimed_at, provider=services.provider.name,
                                cost_usd=result.cost_usd if result is not None else None)
    metrics.credits_refunded(refunded)
    return True


async def _release(services: Services, lease: Lease) -> None:
    try:
        async with unit_of_work(services.sessionmaker) as session:
            await repository.release(session, lease)
    except Exception as exc:  # the lease will simply run out
        logger.warning("generation %s: could not release lease: %s", lease.generation_id, describe_exception(exc))
