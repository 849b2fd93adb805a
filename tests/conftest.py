"""Shared fixtures: the API on SQLite and on PostgreSQL, real storage on disk, images made with Pillow.

Every test that uses `client` runs once per database. Migrations are applied once per database and run;
each test then starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import create_engine
from app.main import create_app
from tests.support import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, POSTGRES_ADMIN_URL, ROOT, Api, StartApi, free_port

TABLES = ("shares", "generations", "credit_ledger", "access_tokens", "api_keys", "admin_actions", "purchases",
          "subscriptions", "users", "provider_outages", "rate_limit_windows", "granted_emails", "webhook_deliveries")


def _reachable(url: str, default_port: int) -> bool:
    parsed = make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def migrate(database_url: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["skip_logging_config"] = True
    command.upgrade(config, "head")


async def _create_postgres_database() -> str:
    if not _reachable(POSTGRES_ADMIN_URL, 5432):
        pytest.exit(f"PostgreSQL is not reachable at {make_url(POSTGRES_ADMIN_URL).render_as_string()}: "
                    "start it (or set TEST_POSTGRES_URL) and run the tests again.", returncode=2)
    name = f"aivenger_test_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(url: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = await _create_postgres_database()
    await asyncio.to_thread(migrate, url)
    yield url
    if request.param == "postgresql":
        await _drop_postgres_database(url)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's real S3 server on a free loopback port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Fake credentials only, and no way for boto to pick up a developer's real profile.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "app_env": "test",
            "database_url": database_url,
            "auth_secret": "test-secret-" + "x" * 40,
            "storage_backend": "local",
            "storage_dir": tmp_path / "media",
            "ai_provider": "local",
            "frontend_dist": tmp_path / "no-spa",
            "recovery_interval_seconds": 3600,
            # Every in-process client comes from one address; the tests of these limits set their own.
            "signup_limit_per_ip_per_hour": 100_000,
            "login_limit_per_ip_per_hour": 100_000,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def empty_tables(database_url: str) -> AsyncIterator[None]:
    yield
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        for table in TABLES:
            await conn.execute(text(f"DELETE FROM {table}"))
    await engine.dispose()


@pytest.fixture
async def start_api(make_settings: Callable[..., Settings], empty_tables: None) -> AsyncIterator[StartApi]:
    """Start apps with given settings; each is shut down at the end of the test."""
    stack: list[tuple[Any, httpx.AsyncClient]] = []

    async def start(settings: Settings | None = None, **overrides: Any) -> Api:
        app = create_app(settings or make_settings(**overrides))
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000")
        stack.append((lifespan, client))
        return Api(app, client)

    yield start
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def api(start_api: StartApi) -> Api:
    return await start_api()


@pytest.fixture
def hashing_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the threads that hash or verify passwords during the test (the event loop's must not be one)."""
    from fastapi_users.password import PasswordHelper

    seen: list[int] = []
    for name in ("hash", "verify_and_update"):
        original = getattr(PasswordHelper, name)

        def recording(self: Any, *args: Any, _original: Any = original) -> Any:
            seen.append(threading.get_ident())
            return _original(self, *args)

        monkeypatch.setattr(PasswordHelper, name, recording)
    return seen
