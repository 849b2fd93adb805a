"""Connections for plain-row reads: who is calling, a gallery page, the counts. The requests asked most do nothing
else, so on PostgreSQL these go straight through asyncpg.

SQLAlchemy's connection, execution context and result rows cost more than such a read itself. The connection still
comes from SQLAlchemy's pool, and the statements stay SQLAlchemy Core (one query, written once, for both databases):
each is compiled once for asyncpg, and its parameters and result columns pass through the same type processors
SQLAlchemy would apply. On SQLite a read is a SQLAlchemy connection, as any other.
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Select
from sqlalchemy.util import greenlet_spawn

from app.db import connection_is_lost

# What asyncpg raises when the database cannot answer (refused, reset, timed out) or refuses a statement.
_DRIVER_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Rows:
    """What a read returned, with the part of SQLAlchemy's Result the repositories use."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Any]:
        return self._rows

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise (sa_exc.NoResultFound if not self._rows else sa_exc.MultipleResultsFound)("not exactly one row")
        return self._rows[0]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order of $1, $2...
    defaults: Mapping[str, Any]  # values the statement carries itself (a literal compared with)
    to_driver: tuple[Callable[[Any], Any] | None, ...]
    from_driver: tuple[Callable[[Any], Any] | None, ...]
    row: Callable[..., Any]  # a named tuple: rows are read by position and by column name


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    binds = [compiled.binds[name] for name in names]
    columns = list(statement.selected_columns)
    return _Compiled(
        sql=compiled.string,
        names=names,
        defaults={name: bind.value for name, bind in zip(names, binds, strict=True) if bind.value is not None},
        to_driver=tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds),
        from_driver=tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns),
        row=collections.namedtuple("Row", [column.key for column in columns], rename=True)._make,  # type: ignore[misc,attr-defined]
    )


def _as_database_error(error: Exception, statement: str, lost: bool) -> sa_exc.DBAPIError:
    """The driver's error as SQLAlchemy's, which the API answers like any other (503 when the database is down)."""
    return sa_exc.DBAPIError(statement, None, error, hide_parameters=True,  # type: ignore[arg-type]
                             connection_invalidated=lost)


class DriverReads:
    """One asyncpg connection, read from by SQLAlchemy Core statements built once (module constants)."""

    def __init__(self, connection: asyncpg.Connection, dialect: Dialect, cache: dict[Select[Any], _Compiled]) -> None:
        self._connection = connection
        self._dialect = dialect
        self._cache = cache
        self.lost = False

    async def execute(self, statement: Select[Any], parameters: Mapping[str, Any] | None = None) -> Rows:
        compiled = self._cache.get(statement)
        if compiled is None:
            compiled = self._cache[statement] = _compile(statement, self._dialect)
        given = parameters or {}
        arguments = []
        for name, convert in zip(compiled.names, compiled.to_driver, strict=True):
            value = given[name] if name in given else compiled.defaults[name]
            arguments.append(convert(value) if convert is not None and value is not None else value)
        try:
            records = await self._connection.fetch(compiled.sql, *arguments)
        except _DRIVER_ERRORS as error:
            # Lost as SQLAlchemy's asyncpg dialect judges it (the connection closed), or timed out on our side.
            self.lost = self._connection.is_closed() or connection_is_lost(error)
            raise _as_database_error(error, compiled.sql, self.lost) from error
        processors = compiled.from_driver
        make = compiled.row
        if not any(processors):
            return Rows([make(record) for record in records])
        return Rows([make([convert(value) if convert is not None else value
                           for convert, value in zip(processors, record, strict=True)]) for record in records])


Reads = AsyncConnection | DriverReads


class ReadConnections:
    """Where plain-row reads get their connection: on PostgreSQL the asyncpg connection itself, from the engine's
    pool (no second pool to size or to watch); on SQLite a SQLAlchemy connection."""

    def __init__(self, reading: AsyncEngine) -> None:
        """`reading`: the engine whose connections read one statement at a time (app.db.create_reading_engine)."""
        self._engine = reading
        self._driver = reading.dialect.name == "postgresql"
        # Keyed by the statement object itself (statements compare by identity): they are built once, as module
        # constants, so this holds one entry per query of the code.
        self._compiled: dict[Select[Any], _Compiled] = {}

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Reads]:
        if not self._driver:
            async with self._engine.connect() as connection:
                yield connection
            return
        # Taken and returned in SQLAlchemy's own way: its pool limits, time-outs and outage reports still apply.
        # Nothing is left to roll back: asyncpg runs each statement on its own, outside any transaction.
        dialect = self._engine.dialect
        try:
            pooled = await self._engine.raw_connection()
        except dialect.loaded_dbapi.Error as error:
            # A connection SQLAlchemy could not open reaches a raw checkout as the driver adapter's error (app.db
            # gives every way of failing that form): wrapped here as SQLAlchemy wraps it for its own connections.
            raise sa_exc.DBAPIError.instance(None, None, error, dialect.loaded_dbapi.Error,
                                             hide_parameters=True) from error
        reads = DriverReads(pooled.driver_connection, dialect, self._compiled)
        try:
            yield reads
        finally:
            if reads.lost:
                # As the engine does when a statement finds the connection lost (app.db): this one is closed
                # without a goodbye nobody would answer, and the pool's others are replaced as they are next taken.
                await greenlet_spawn(pooled.invalidate)
                await self._engine.dispose(close=False)
            else:
                await greenlet_spawn(pooled.close)
