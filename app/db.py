"""Database engine, sessions and the unit of work, for PostgreSQL (asyncpg) and the embedded SQLite default.

`unit_of_work` is the one place where a transaction is committed or rolled back. The request's session dependency
(`app.deps`), background tasks and the admin command all open one; services and repositories only `flush()`.
Work that must wait for the commit (queueing a task about a row it wrote) is registered with `after_commit`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# A database that hangs must not hang requests: connecting and each statement give up after these.
CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_SECONDS = 8
POOL_TIMEOUT_SECONDS = 5
BURST_CONNECTIONS = 10

# SQLSTATEs that say the server cannot answer now, not that the statement is wrong: a connection exception (08...),
# too few resources such as connection slots (53...), the server shutting down or starting up (57P...), and the
# statement_timeout or lock_timeout running out (57014, 55P03).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57P")
_UNAVAILABLE_SQLSTATES = frozenset({"57014", "55P03"})
# Of those, the ones after which the connection itself is gone.
_LOST_CONNECTION_SQLSTATES = frozenset({"57P01", "57P02"})
# SQLite's counterparts: another writer holds the lock past busy_timeout, or the file cannot be opened or read.
_UNAVAILABLE_SQLITE_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
                                       sqlite3.SQLITE_IOERR})

_AFTER_COMMIT = "aivenger_after_commit"
# Schema changes count as writes too, so a migration runs in one transaction; so does a savepoint, which would
# otherwise open a deferred transaction of its own.
_WRITE_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|SAVEPOINT)\b", re.IGNORECASE)
_IN_WRITE_TRANSACTION = "aivenger_in_write_transaction"


def create_engine(database_url: str, *, serving: bool = True, pool_size: int = 20, **kwargs: Any) -> AsyncEngine:
    """The engine for `database_url`; `serving=False` (migrations, tools) lifts the time limits meant for requests.
    `pool_size` connections stay open between requests (PostgreSQL); a burst beyond it opens up to
    `BURST_CONNECTIONS` more, each closed again when returned."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        if serving:
            kwargs.setdefault("pool_size", pool_size)
            kwargs.setdefault("max_overflow", BURST_CONNECTIONS)
            kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
            kwargs.setdefault("connect_args", {
                "timeout": CONNECT_TIMEOUT_SECONDS,
                "command_timeout": STATEMENT_TIMEOUT_SECONDS,
                "server_settings": {"statement_timeout": str(STATEMENT_TIMEOUT_SECONDS * 1000)},
            })
        # No pre-ping: it would cost a round trip per request. A connection that broke is found by the statement
        # that uses it, and SQLAlchemy then replaces the whole pool, so the service recovers by itself.
        engine = create_async_engine(url, pool_recycle=1800, **kwargs)
    else:
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # How long a write waits for another's lock: within a request's time limit while serving, so a database
        # held too long by someone else is a 503 like a hanging server; longer for migrations and tools.
        busy_timeout = STATEMENT_TIMEOUT_SECONDS if serving else 30
        engine = create_async_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)
        _defer_sqlite_transactions_to_the_first_write(engine)
    _report_outages_as_database_errors(engine)
    return engine


def unavailable_reason(error: BaseException) -> str | None:
    """Why `error` means that the database could not answer now (down, unreachable, hung, out of connections,
    locked by another writer), or None when it is anything else, such as a wrong statement or a broken constraint.

    The reason names an error class or a code, never a driver's message: those can carry hosts and user names."""
    for cause in reversed(list(_causes(error))):  # the innermost cause is the most telling
        if isinstance(cause, sa_exc.TimeoutError):
            return "no free connection in the pool"
        if isinstance(cause, OSError):  # refused, reset, unreachable; asyncio's TimeoutError is one too
            return type(cause).__name__
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and (sqlstate in _UNAVAILABLE_SQLSTATES
                                          or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)):
            return f"SQLSTATE {sqlstate}"
        if isinstance(cause, sqlite3.Error) and cause.sqlite_errorcode & 0xFF in _UNAVAILABLE_SQLITE_CODES:
            return cause.sqlite_errorname
    if any(isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated for cause in _causes(error)):
        return "connection lost"
    return None


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means that the database could not answer now: worth a 503 and a retry, not a 500."""
    return unavailable_reason(error) is not None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what it wraps: SQLAlchemy's `orig` (the driver's error), or the explicit cause. The implicit
    context is not followed: an error raised while handling an outage is not an outage itself."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "orig", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__


def connection_is_lost(error: BaseException) -> bool:
    """Whether the connection that raised `error` can no longer be used: it broke, or a statement on it timed out on
    our side (asyncpg's command_timeout), which leaves the connection waiting for a cancellation the server may never
    acknowledge."""
    for cause in _causes(error):
        if isinstance(cause, OSError):
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _LOST_CONNECTION_SQLSTATES):
            return True
    return False


def _report_outages_as_database_errors(engine: AsyncEngine) -> None:
    """Every way the database can fail to answer surfaces as a SQLAlchemy error, and a connection that cannot be
    used again leaves the pool at once.

    SQLAlchemy lets the driver's own errors through when connecting (asyncpg raises OSError, TimeoutError or its own
    errors there), and asyncpg's command_timeout as a bare TimeoutError. It does drop the connection that timed out,
    but politely, waiting up to 2 s more for a goodbye from the server that stopped answering, and it keeps the pool's
    other connections to that server, each of which would make its next request wait out the timeout again."""

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.Error:
            raise
        except Exception as exc:
            # As the driver's own error class, so that SQLAlchemy wraps it like any other; the cause stays attached.
            raise dialect.loaded_dbapi.OperationalError(
                f"could not connect to the database: {type(exc).__name__}") from exc

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        error = context.original_exception
        if not connection_is_lost(error):
            return None
        connection = context.connection
        if connection is not None and not connection.closed and not connection.invalidated:  # it still holds one
            # Closed without a goodbye, which nobody would answer.
            terminate = getattr(connection.connection.driver_connection, "terminate", None)
            if callable(terminate):
                terminate()
            context.is_disconnect = True
            # The pool's older connections go too (they are replaced as they are next taken), as SQLAlchemy does for
            # the disconnects it recognizes itself, but not for a timeout.
            context.invalidate_pool_on_disconnect = True
        if context.sqlalchemy_exception is None:
            return sa_exc.OperationalError(context.statement, context.parameters, error, hide_parameters=True,
                                           connection_invalidated=context.is_disconnect)
        return None


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
