"""The queries of the operators' console: finding accounts, and the rows the statistics are made from."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AdminAction, CreditLedgerEntry, Generation, LedgerKind, Purchase, User


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def find_users(
    session: AsyncSession, query: str | None, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[User]:
    """Accounts whose email contains `query`, newest first, after the cursor (created_at, id)."""
    select_users = select(User)
    if query:
        email = User.__table__.c.email  # declared by the library as a plain attribute
        select_users = select_users.where(email.ilike(f"%{_escaped(query.lower())}%", escape="\\"))
    if after is not None:
        at, user_id = after
        select_users = select_users.where(or_(User.created_at < at, and_(User.created_at == at, User.id < user_id)))
    return list(await session.scalars(select_users.order_by(User.created_at.desc(), User.id.desc()).limit(limit)))


async def generation_counts(session: AsyncSession, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not user_ids:
        return {}
    rows = await session.execute(select(Generation.user_id, func.count()).where(Generation.user_id.in_(user_ids))
                                 .group_by(Generation.user_id))
    return {user_id: count for user_id, count in rows.all()}


async def recent_generations(session: AsyncSession, user_id: uuid.UUID, limit: int = 20) -> list[Generation]:
    return list(await session.scalars(select(Generation).where(Generation.user_id == user_id)
                                      .order_by(Generation.created_at.desc()).limit(limit)))


async def actions_on(session: AsyncSession, user_id: uuid.UUID, limit: int = 50) -> list[AdminAction]:
    return list(await session.scalars(select(AdminAction).where(AdminAction.target_user_id == user_id)
                                      .order_by(AdminAction.id.desc()).limit(limit)))


def record(session: AsyncSession, admin_id: uuid.UUID | None, action: str, *, user_id: uuid.UUID | None = None,
           target: str | None = None, note: str | None = None) -> None:
    session.add(AdminAction(admin_id=admin_id, action=action, target_user_id=user_id, target=target, note=note))


async def refunded(session: AsyncSession, generation_id: str) -> bool:
    return await session.scalar(select(CreditLedgerEntry.id).where(
        CreditLedgerEntry.generation_id == generation_id, CreditLedgerEntry.kind == LedgerKind.REFUND)) is not None


# --- statistics ---------------------------------------------------------------------------------------------------

async def generations_since(session: AsyncSession, since: datetime) -> list[Any]:
    return list((await session.execute(
        select(Generation.user_id, Generation.style, Generation.status, Generation.created_at, Generation.updated_at,
               Generation.cost_usd).where(Generation.created_at >= since)
    )).all())


async def first_generations(session: AsyncSession, since: datetime) -> list[Any]:
    """Each account's first generation ever, for accounts whose first one is after `since`."""
    first = (select(Generation.user_id, func.min(Generation.created_at).label("first_at"))
             .group_by(Generation.user_id).subquery())
    return list((await session.execute(select(first.c.user_id, first.c.first_at).where(first.c.first_at >= since)))
                .all())


async def returned_after_first(session: AsyncSession, firsts: dict[uuid.UUID, datetime]) -> int:
    """How many of these accounts generated again at least a day after their first generation."""
    if not firsts:
        return 0
    rows = await session.execute(select(Generation.user_id, func.max(Generation.created_at))
                                 .where(Generation.user_id.in_(list(firsts))).group_by(Generation.user_id))
    return sum(1 for user_id, last in rows.all() if (last - firsts[user_id]).total_seconds() >= 24 * 3600)


async def ledger_since(session: AsyncSession, since: datetime) -> list[Any]:
    return list((await session.execute(
        select(CreditLedgerEntry.kind, CreditLedgerEntry.amount, CreditLedgerEntry.created_at)
        .where(CreditLedgerEntry.created_at >= since)
    )).all())


async def revenue_since(session: AsyncSession, since: datetime) -> int:
    return int(await session.scalar(select(func.coalesce(func.sum(Purchase.net_amount - Purchase.refunded_amount), 0))
                                    .where(Purchase.created_at >= since, Purchase.provider != "local")) or 0)


async def signups_since(session: AsyncSession, since: datetime) -> int:
    return int(await session.scalar(select(func.count()).select_from(User).where(User.created_at >= since)) or 0)


