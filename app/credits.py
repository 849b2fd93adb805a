"""Every credit movement: the balance on the user row and its ledger row change together, in one transaction.

A user's `credits` always equals the sum of their `credit_ledger.amount`. Callers own the transaction: these
functions only flush.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CreditLedgerEntry, LedgerKind, User


async def debit_for_generation(
    session: AsyncSession, user_id: uuid.UUID, cost: int, generation_id: str
) -> int | None:
    """Take `cost` credits if the user has them; the new balance, or None when they do not.

    One conditional UPDATE: concurrent requests cannot both pass a check and then both spend. On PostgreSQL
    the row lock it takes also serialises a user's concurrent requests until the transaction ends.
    """
    balance = await session.scalar(
        update(User)
        .where(User.id == user_id, User.credits >= cost)
        .values(credits=User.credits - cost)
        .returning(User.credits)
    )
    if balance is None:
        return None
    session.add(CreditLedgerEntry(
        user_id=user_id, generation_id=generation_id, kind=LedgerKind.GENERATION_DEBIT, amount=-cost,
    ))
    await session.flush()
    return balance


async def refund_generation(session: AsyncSession, user_id: uuid.UUID, generation_id: str, amount: int) -> None:
    """Give back a generation's credits. The ledger's unique (generation, kind) makes a second refund fail."""
    session.add(CreditLedgerEntry(user_id=user_id, generation_id=generation_id, kind=LedgerKind.REFUND,
                                  amount=amount))
    await session.execute(update(User).where(User.id == user_id).values(credits=User.credits + amount))
    await session.flush()


def signup_grant(user_id: uuid.UUID, amount: int) -> CreditLedgerEntry:
    return CreditLedgerEntry(user_id=user_id, kind=LedgerKind.SIGNUP_GRANT, amount=amount, note="welcome credits")


async def adjust(session: AsyncSession, user_id: uuid.UUID, amount: int, note: str) -> int:
    """An administrator's correction (positive or negative); the balance can never go below zero."""
    balance = await session.scalar(
        update(User)
        .where(User.id == user_id, User.credits + amount >= 0)
        .values(credits=User.credits + amount)
        .returning(User.credits)
    )
    if balance is None:
        raise ValueError("the adjustment would make the balance negative, or the user does not exist")
    session.add(CreditLedgerEntry(user_id=user_id, kind=LedgerKind.ADMIN_ADJUSTMENT, amount=amount, note=note))
    await session.flush()
    return balance


async def balance(session: AsyncSession, user_id: uuid.UUID) -> int:
    return int(await session.scalar(select(User.credits).where(User.id == user_id)) or 0)
