"""`python -m app serve`: the API as production runs it, in as many processes as asked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.config import Settings
from tests.support import ROOT, free_port


def test_serve_answers_from_two_processes(settings: Settings, tmp_path: Path, empty_tables: None) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "STORAGE_DIR": str(tmp_path / "media"),
           "AUTH_SECRET": settings.auth_secret.get_secret_value(), "APP_ENV": "test",
           "FRONTEND_DIST": str(tmp_path / "no-spa")}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "2"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "the server did not start within a minute"
                time.sleep(0.2)
        assert health.status_code == 200
        assert "server" not in health.headers  # no advertising of what runs it
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert output.count("Application startup complete") == 2, output
