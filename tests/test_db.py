"""The unit of work: one commit or one rollback, work after the commit only, and writers that queue on SQLite."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import after_commit, create_engine, create_sessionmaker, unit_of_work
from app.models import User


@pytest.fixture
async def sessionmaker(database_url: str, empty_tables: None) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def add_user(sessionmaker: async_sessionmaker[AsyncSession], credits: int = 0) -> uuid.UUID:
    async with unit_of_work(sessionmaker) as session:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", hashed_password="x", credits=credits)
        session.add(user)
    return user.id


async def credits_of(sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(User.credits).where(User.id == user_id)) or 0)


async def test_the_work_is_committed_and_then_what_waited_for_it_runs(sessionmaker) -> None:
    user_id = await add_user(sessionmaker)
    seen_after_commit: list[int] = []

    async with unit_of_work(sessionmaker) as session:
        await session.execute(update(User).where(User.id == user_id).values(credits=7))

        async def look() -> None:  # runs after the commit: another session sees the change
            seen_after_commit.append(await credits_of(sessionmaker, user_id))

        after_commit(session, look)
        assert seen_after_commit == []

    assert seen_after_commit == [7]


async def test_an_error_rolls_everything_back_and_nothing_waiting_runs(sessionmaker) -> None:
    user_id = await add_user(sessionmaker, credits=5)
    ran: list[str] = []

    async def never() -> None:
        ran.append("ran")

    async def failing_route() -> None:
        async with unit_of_work(sessionmaker) as session:
            await session.execute(update(User).where(User.id == user_id).values(credits=0))
            after_commit(session, never)
            raise RuntimeError("the route failed")

    with pytest.raises(RuntimeError):
        await failing_route()

    assert await credits_of(sessionmaker, user_id) == 5
    assert ran == []


async def test_transactions_that_read_before_they_write_all_succeed_side_by_side(sessionmaker) -> None:
    """On SQLite a transaction that read, then writes after another writer committed, fails at once with
    "database is locked" unless it takes the write lock at its first write: every one of these must pass."""
    user_id = await add_user(sessionmaker)

    async def read_then_write() -> None:
        async with unit_of_work(sessionmaker) as session:
            await session.scalar(select(User.credits).where(User.id == user_id))
            await asyncio.sleep(0.01)  # let the others read too
            await session.execute(update(User).where(User.id == user_id).values(credits=User.credits + 1))
            await session.scalar(select(User.credits).where(User.id == user_id))
            await session.execute(update(User).where(User.id == user_id).values(credits=User.credits + 1))

    await asyncio.gather(*(read_then_write() for _ in range(12)))

    assert await credits_of(sessionmaker, user_id) == 24
