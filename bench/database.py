"""A fresh PostgreSQL database per run: created, migrated with the project's own Alembic, and dropped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.common import APP_DIR, BIN, base_env, progress

# The server the project's tests use too (`make services` starts it); overridable for other set-ups.
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Database:
    name: str
    dsn: str  # for asyncpg

    @property
    def sqlalchemy_url(self) -> str:
        """The same database as the app's DATABASE_URL spells it."""
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create(prefix: str) -> Database:
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return Database(name, _with_database(ADMIN_URL, name))


async def drop(database: Database) -> None:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        # FORCE: a process that failed to stop must not leave the database behind.
        await admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    finally:
        await admin.close()


async def migrate(database: Database, cwd: Path) -> None:
    """`alembic upgrade head`, the only thing that creates the schema, exactly as an operator runs it."""
    env = base_env() | {"DATABASE_URL": database.sqlalchemy_url}
    process = await asyncio.create_subprocess_exec(
        str(BIN / "alembic"), "-c", str(APP_DIR / "alembic.ini"), "upgrade", "head",
        cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"alembic upgrade head failed:\n{output.decode(errors='replace')[-3000:]}")


@contextlib.asynccontextmanager
async def temporary(prefix: str, cwd: Path) -> AsyncIterator[Database]:
    database = await create(prefix)
    progress(f"database {database.name} created")
    try:
        await migrate(database, cwd)
        progress(f"database {database.name} migrated")
        yield database
    finally:
        await drop(database)
        progress(f"database {database.name} dropped")
