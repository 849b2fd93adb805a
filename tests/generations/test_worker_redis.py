"""Generations through Redis and a separate `taskiq worker` process, as when one machine is not enough."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.config import Settings
from tests.support import REDIS_URL, ROOT, Api


def _require_redis() -> None:
    url = make_url(REDIS_URL.replace("redis://", "redis+x://", 1))
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 6379), timeout=2).close()
    except OSError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: start it (or set TEST_REDIS_URL).")


@pytest.fixture
def worker(settings: Settings, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    _require_redis()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "STORAGE_DIR": str(settings.storage_dir),
        "AUTH_SECRET": settings.auth_secret.get_secret_value(),
        "TASK_BROKER_URL": REDIS_URL,
        "AI_PROVIDER": "local",
        "APP_ENV": "test",
    }
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "taskiq", "worker", "app.worker:broker", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


async def test_a_generation_completes_in_a_separate_worker_process(start_api, settings: Settings, worker) -> None:
    api: Api = await start_api(settings.model_copy(update={"task_broker_url": REDIS_URL}))
    me = await api.register()

    accepted = await api.upload(me, style="marvel", extra_headers={"Prefer": "wait=45"})

    log = Path(settings.storage_dir).parent / "worker.log"
    assert accepted.status_code == 201, (accepted.text, log.read_text() if log.exists() else "")
    generation = accepted.json()["generation"]
    assert generation["status"] == "completed"
    assert generation["model"] == "local"
    assert (await api.client.get(generation["generatedImageUrl"])).status_code == 200
    assert await api.credits(me) == 20
    # The worker process did the work (it logs each generation it finishes), and is still serving.
    assert worker.poll() is None
    assert f"generation {generation['id']}: done" in log.read_text()
