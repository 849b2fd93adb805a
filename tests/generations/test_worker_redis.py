"""Generations through Redis and separate `taskiq worker` processes, as when one machine is not enough."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.config import Settings
from app.generations.tasks import STREAM
from app.models import Generation
from tests.fake_openrouter import KEY, FakeOpenRouter, serving
from tests.support import PORTRAIT, REDIS_URL, ROOT, Api

StartWorker = Callable[..., subprocess.Popen[bytes]]


def _require_redis() -> None:
    url = make_url(REDIS_URL.replace("redis://", "redis+x://", 1))
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 6379), timeout=2).close()
    except OSError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: start it (or set TEST_REDIS_URL).")


@pytest.fixture
async def start_worker(settings: Settings, tmp_path: Path) -> AsyncIterator[StartWorker]:
    """Start `taskiq worker` processes on the test's database and storage; each is stopped after the test."""
    _require_redis()
    redis = Redis.from_url(REDIS_URL)
    await redis.delete(STREAM)  # no message of an earlier test is delivered to this one's workers
    await redis.aclose()
    started: list[tuple[subprocess.Popen[bytes], object]] = []

    def start(name: str = "worker", **env: str) -> subprocess.Popen[bytes]:
        full_env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "STORAGE_DIR": str(settings.storage_dir),
            "AUTH_SECRET": settings.auth_secret.get_secret_value(),
            "TASK_BROKER_URL": REDIS_URL,
            "AI_PROVIDER": "local",
            "APP_ENV": "test",
            **env,
        }
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "taskiq", "worker", "app.worker:broker", "--workers", "1"],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: taskiq runs the worker in a child process
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()  # type: ignore[attr-defined]


async def test_a_generation_completes_in_a_separate_worker_process(start_api, settings: Settings,
                                                                   start_worker: StartWorker) -> None:
    worker = start_worker()
    api: Api = await start_api(settings.model_copy(update={"task_broker_url": REDIS_URL}))
    me = await api.register()

    accepted = await api.upload(me, style="marvel", extra_headers={"Prefer": "wait=45"})

    log = Path(settings.storage_dir).parent / "worker.log"
    assert accepted.status_code == 201, (accepted.text, log.read_text() if log.exists() else "")
    generation = accepted.json()["generation"]
    assert generation["status"] == "completed"
    assert generation["model"] == "standard"
    assert (await api.client.get(generation["generatedImageUrl"])).status_code == 200
    assert await api.credits(me) == 20
    # The worker process did the work (it logs each generation it finishes), and is still serving.
    assert worker.poll() is None
    assert f"generation {generation['id']}: done" in log.read_text()


async def test_the_work_of_a_killed_worker_is_delivered_again_within_seconds(
    start_api, settings: Settings, start_worker: StartWorker
) -> None:
    fake = FakeOpenRouter()
    fake.delay = 120  # the first worker hangs in the model call until it is killed
    lease = 2
    with serving(fake) as fake_url:
        provider = {"AI_PROVIDER": "openrouter", "OPENROUTER_API_KEY": KEY, "OPENROUTER_BASE_URL": fake_url,
                    "GENERATION_LEASE_SECONDS": str(lease)}
        api: Api = await start_api(settings.model_copy(update={
            "task_broker_url": REDIS_URL, "generation_lease_seconds": lease,
            # The API's recovery sweep must not be what finds the work: the queue itself delivers it again.
            "recovery_interval_seconds": 3600,
        }))
        me = await api.register()
        first = start_worker("first", **provider)
        accepted = await api.upload(me)
        assert accepted.status_code == 202, accepted.text
        generation_id = accepted.json()["generation"]["id"]
        await _until(lambda: len(fake.received) == 1, 30, "the first worker never called the model")

        os.killpg(first.pid, signal.SIGKILL)  # the worker and its child: no chance to hand the work back
        first.wait(10)
        fake.delay = 0
        start_worker("second", **provider)

        # With the recovery sweep off, only the queue's redelivery can bring the work to the second worker.
        done = await api.wait_done(me, generation_id, timeout=60)

    assert done["status"] == "completed", done
    assert len(fake.received) == 2  # one call each: never two workers at once on it
    async with api.services.sessionmaker() as session:
        assert await session.scalar(select(Generation.attempts).where(Generation.id == generation_id)) == 2
    assert await api.credits(me) == 20


async def _until(condition: Callable[[], bool], seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, failure
        await asyncio.sleep(0.05)


async def test_a_pro_subscribers_work_starts_first_in_a_worker_too(
    start_api, settings: Settings, start_worker: StartWorker
) -> None:
    fake = FakeOpenRouter()
    fake.delay = 1  # each model call takes a second, one at a time
    with serving(fake) as fake_url:
        start_worker(AI_PROVIDER="openrouter", OPENROUTER_API_KEY=KEY, OPENROUTER_BASE_URL=fake_url,
                     MODEL_CONCURRENCY="1")
        api: Api = await start_api(settings.model_copy(update={
            "task_broker_url": REDIS_URL, "rate_limit_per_minute": 100, "signup_credits": 100}))
        others, pro = await api.register(), await api.register()
        url = (await api.client.post("/billing/checkout", headers=pro, json={"plan": "pro"})).json()["checkoutUrl"]
        await api.client.post(f"{urlsplit(url).path}/pay", headers={"Origin": "http://localhost:8000"})

        async def upload(me: dict[str, str], wish: str) -> str:
            # Each with its own wishes, so the model's log tells which request reached it when.
            sent = await api.client.post("/generations", headers=me, data={"prompt": wish},
                                         files={"image": ("p.jpg", PORTRAIT.read_bytes(), "image/jpeg")})
            return str(sent.json()["generation"]["id"])

        blocker = await upload(others, "blocker")
        await _until(lambda: len(fake.received) == 1, 30, "the worker never called the model")
        waiting = [await upload(others, f"other-{i}") for i in range(3)]
        first = await upload(pro, "pro")
        for generation_id in [blocker, *waiting]:
            await api.wait_done(others, generation_id, timeout=60)
        await api.wait_done(pro, first, timeout=60)

    wishes = [next(w for w in ("blocker", "pro", "other-0", "other-1", "other-2")
                   if f'"""{w}"""' in body["messages"][0]["content"][0]["text"]) for _, body in fake.received]
    assert wishes == ["blocker", "pro", "other-0", "other-1", "other-2"]
