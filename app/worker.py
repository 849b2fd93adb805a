"""Entry point of separate worker processes: `taskiq worker app.worker:broker` (needs TASK_BROKER_URL)."""

from __future__ import annotations

import logging

from taskiq import TaskiqEvents, TaskiqState

from app.config import get_settings
from app.generations.tasks import GenerationQueue, build_broker
from app.services import Services

settings = get_settings()
settings.check_startable()
if not settings.task_broker_url:
    raise SystemExit("TASK_BROKER_URL is not set: without a broker the API runs generations in-process.")
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

broker = build_broker(settings)


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def _start(state: TaskiqState) -> None:
    state.services = await Services.start(settings, queue=GenerationQueue(broker), listen=False)


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def _stop(state: TaskiqState) -> None:
    await state.services.aclose()
