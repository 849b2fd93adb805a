"""The ledger: every credit movement, whoever makes it (sign-up, a generation, a refund, a purchase, an administrator).

The balance on the user row and its ledger row change together in the caller's unit of work, so a user's
`credits` always equals the sum of their `credit_ledger.amount`. Nothing here commits; each function flushes.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CreditLedgerEntry, LedgerKind, User


async def _move(
    session: AsyncSession, user_id: uuid.UUID, amount: int, kind: LedgerKind, *,
    only_if: ColumnElement[bool] | None = None, generation_id: str | None = None, note: str | None = None,
) -> int | None:
    """Change the balance by `amount` with its ledger row; the new balance, or None when `only_if` did not hold.

    One conditional UPDATE: concurrent movements cannot both pass a check and then both spend. On PostgreSQL its
    row lock also serialises a user's concurrent movements until the unit of work ends.
    """
    balance = await session.scalar(
        update(User)
        .where(User.id == user_id, only_if if only_if is not None else true())
        .values(credits=User.credits + amount)
        .returning(User.credits)
        .execution_options(synchronize_session=False)
    )
    if balance is None:
        return None
    session.add(CreditLedgerEntry(user_id=user_id, generation_id=generation_id, kind=kind, amount=amount,
                                  balance_after=int(balance), note=note))
    await session.flush()
    return int(balance)


async def grant_signup(session: AsyncSession, user_id: uuid.UUID, amount: int) -> int:
    balance = await _move(session, user_id, amount, LedgerKind.SIGNUP_GRANT, note="welcome credits")
    assert balance is not None  # an unconditional grant to a row this unit of work just wrote
    return balance


async def debit_for_generation(
    session: AsyncSession, user_id: uuid.UUID, cost: int, generation_id: str
) -> int | None:
    """Take `cost` credits if the user has them; the new balance, or None when they do not."""
    return await debit_for_generations(session, user_id, cost, [generation_id])


async def debit_for_generations(
    session: AsyncSession, user_id: uuid.UUID, cost: int, generation_ids: list[str]
) -> int | None:
    """Take `cost` credits for each generation, all or nothing, in one conditional UPDATE; one ledger row per
    generation. The new balance, or None when the user has too few credits for them all."""
    total = cost * len(generation_ids)
    balance = await session.scalar(
        update(User).where(User.id == user_id, User.credits >= total).values(credits=User.credits - total)
        .returning(User.credits).execution_options(synchronize_session=False)
    )
    if balance is None:
        return None
    after = int(balance) + total
    for generation_id in generation_ids:
        after -= cost
        session.add(CreditLedgerEntry(user_id=user_id, generation_id=generation_id, kind=LedgerKind.GENERATION_DEBIT,
                                      amount=-cost, balance_after=after))
    await session.flush()
    return int(balance)


async def refund_generation(session: AsyncSession, user_id: uuid.UUID, generation_id: str, amount: int) -> None:
    """Give back a generation's credits. The ledger's unique (generation, kind) makes a second refund fail."""
    await _move(session, user_id, amount, LedgerKind.REFUND, generation_id=generation_id)


async def adjust(session: AsyncSession, user_id: uuid.UUID, amount: int, note: str) -> int:
    """An administrator's correction (positive or negative); the balance can never go below zero."""
    balance = await _move(session, user_id, amount, LedgerKind.ADMIN_ADJUSTMENT, only_if=User.credits + amount >= 0,
                          note=note)
    if balance is None:
        raise ValueError("the adjustment would make the balance negative, or the user does not exist")
    return balance


async def grant_purchase(session: AsyncSession, user_id: uuid.UUID, amount: int, note: str) -> int:
    balance = await _move(session, user_id, amount, LedgerKind.PURCHASE, note=note)
    if balance is None:
        raise ValueError("no such account")
    return balance


async def take_back_purchase(session: AsyncSession, user_id: uuid.UUID, amount: int, note: str) -> int:
    """Take back up to `amount` credits of a refunded purchase, never below a balance of 0; what was taken."""
    current = await session.scalar(select(User.credits).where(User.id == user_id).with_for_update())
    taken = min(amount, int(current or 0))
    if taken > 0:
        await _move(session, user_id, -taken, LedgerKind.PURCHASE_REFUND, only_if=User.credits >= taken, note=note)
    return taken


# How each kind of movement is named to the account's owner.
REASONS = {
    LedgerKind.SIGNUP_GRANT: "signup",
    LedgerKind.GENERATION_DEBIT: "generation",
    LedgerKind.REFUND: "refund",
    LedgerKind.PURCHASE: "purchase",
    LedgerKind.PURCHASE_REFUND: "purchase_refund",
    LedgerKind.ADMIN_ADJUSTMENT: "admin",
}


async def statement(
    session: AsyncSession, user_id: uuid.UUID, limit: int, before_id: int | None
) -> list[CreditLedgerEntry]:
    """The account's movements, newest first, `limit` of them from before the entry `before_id`."""
    query = select(CreditLedgerEntry).where(CreditLedgerEntry.user_id == user_id)
    if before_id is not None:
        query = query.where(CreditLedgerEntry.id < before_id)
    return list(await session.scalars(query.order_by(CreditLedgerEntry.id.desc()).limit(limit)))


async def balance(session: AsyncSession, user_id: uuid.UUID) -> int:
    return int(await session.scalar(select(User.credits).where(User.id == user_id)) or 0)
