"""Database engine, sessions and the unit of work, for PostgreSQL (asyncpg) and the embedded SQLite default.

`unit_of_work` is the one place where a transaction is committed or rolled back. The request's session dependency
(`app.deps`), background tasks and the admin command all open one; services and repositories only `flush()`.
Work that must wait for the commit (queueing a task about a row it wrote) is registered with `after_commit`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# A database that hangs must not hang requests: connecting and each statement give up after these.
CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_SECONDS = 8
POOL_TIMEOUT_SECONDS = 5

_AFTER_COMMIT = "aivenger_after_commit"
# Schema changes count as writes too, so a migration runs in one transaction; so does a savepoint, which would
# otherwise open a deferred transaction of its own.
_WRITE_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|SAVEPOINT)\b", re.IGNORECASE)
_IN_WRITE_TRANSACTION = "aivenger_in_write_transaction"


def create_engine(database_url: str, *, serving: bool = True, **kwargs: Any) -> AsyncEngine:
    """The engine for `database_url`; `serving=False` (migrations, tools) lifts the time limits meant for requests."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        if serving:
            kwargs.setdefault("pool_size", 10)
            kwargs.setdefault("max_overflow", 20)
            kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
            kwargs.setdefault("connect_args", {
                "timeout": CONNECT_TIMEOUT_SECONDS,
                "command_timeout": STATEMENT_TIMEOUT_SECONDS,
                "server_settings": {"statement_timeout": str(STATEMENT_TIMEOUT_SECONDS * 1000)},
            })
        # No pre-ping: it would cost a round trip per request. A connection that broke is found by the statement
        # that uses it, and SQLAlchemy then replaces the whole pool, so the service recovers by itself.
        return create_async_engine(url, pool_recycle=1800, **kwargs)

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
    _defer_sqlite_transactions_to_the_first_write(engine)
    return engine


def _defer_sqlite_transactions_to_the_first_write(engine: AsyncEngine) -> None:
    """SQLite has one writer at a time. A transaction that read first and writes later fails at once with
    "database is locked" when another writer went in between, and one that takes the lock early holds it through
    everything slow in a request. So reads before the first write run on their own (autocommit), and the first
    write statement starts `BEGIN IMMEDIATE`: it waits its turn for the lock (busy_timeout) and holds it only
    until the unit of work commits. PostgreSQL needs none of this."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver must not open transactions by itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")  # ON DELETE CASCADE needs it
        cursor.execute("PRAGMA journal_mode = WAL")  # readers do not wait for the writer
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _begin_at_first_write(conn: Any, cursor: Any, statement: str, _parameters: Any, context: Any,
                              _executemany: bool) -> None:
        if not conn.info.get(_IN_WRITE_TRANSACTION) and _starts_writing(statement, context):
            cursor.execute("BEGIN IMMEDIATE")
            conn.info[_IN_WRITE_TRANSACTION] = True

    @event.listens_for(engine.sync_engine, "commit")
    @event.listens_for(engine.sync_engine, "rollback")
    def _transaction_ended(conn: Any) -> None:
        conn.info.pop(_IN_WRITE_TRANSACTION, None)

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _returned_to_pool(_dbapi_connection: Any, record: Any) -> None:
        # The pool rolls back what a returned connection left open, without the events above.
        record.info.pop(_IN_WRITE_TRANSACTION, None)


def _starts_writing(statement: str, context: Any) -> bool:
    if _WRITE_STATEMENT.match(statement):
        return True
    # SELECT ... FOR UPDATE reads in order to write: SQLite's dialect drops the clause from the SQL, so it is
    # found on the statement it was compiled from.
    compiled_from = getattr(getattr(context, "compiled", None), "statement", None)
    return getattr(compiled_from, "_for_update_arg", None) is not None


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def create_reading_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool for reading only (the caller's account, a gallery page): each statement stands alone, which
    on PostgreSQL spares the BEGIN and COMMIT round trips around a request's reads. SQLite reads that way already."""
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")



@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed when the block ends, or rolled back when it raises.

    What was registered with `after_commit` runs once the commit succeeded, never after a rollback.
    """
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        for callback in session.info.pop(_AFTER_COMMIT, []):
            await callback()


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None]]) -> None:
    """Run `callback` once the session's unit of work has committed (a task about a row must find the row)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def insert_for(session: AsyncSession, model: Any) -> Any:
    """An INSERT that can say ON CONFLICT (both databases speak it, each through its own dialect's construct)."""
    if session.get_bind().dialect.name == "sqlite":
        return sqlite_insert(model)
    return postgresql_insert(model)
