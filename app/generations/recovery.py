"""No generation stays pending forever: stalled work is queued again, or failed and refunded.

Work is stalled when its worker's lease ran out (the worker crashed or the process was killed), or when it was
never claimed for a while (the queue lost it, e.g. an in-process queue across a restart).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from app.errors import describe_exception
from app.generations import pipeline, repository
from app.generations.failures import MSG_ABANDONED, Fault
from app.models import utcnow
from app.services import Services

logger = logging.getLogger(__name__)


async def recover_stalled(services: Services) -> int:
    now = utcnow()
    unclaimed_before = now - timedelta(seconds=services.settings.generation_unclaimed_grace_seconds)
    async with services.reader() as session:
        stalled = await repository.stalled(session, now=now, unclaimed_before=unclaimed_before)
    for generation_id, attempts in stalled:
        if attempts >= services.settings.generation_max_attempts:
            await pipeline.fail(services, generation_id, MSG_ABANDONED, Fault.OURS)
            logger.warning("generation %s: abandoned after %d attempts", generation_id, attempts)
        else:
            await services.queue.put(generation_id)
            logger.info("generation %s: re-queued (attempt %d)", generation_id, attempts + 1)
    return len(stalled)


async def run_periodically(services: Services, stop: asyncio.Event) -> None:
    """Sweep now and then every interval, until `stop` is set (never mid-sweep: a cancelled query can leave a
    database connection half-used)."""
    while not stop.is_set():
        try:
            await recover_stalled(services)
        except Exception as exc:  # keep sweeping; the next round may succeed
            logger.error("recovery sweep failed: %s", describe_exception(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), services.settings.recovery_interval_seconds)
