"""What administrators do: every action in the caller's unit of work, with its audit record (and, for credits,
its ledger row)."""

from __future__ import annotations

import statistics
import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import credits
from app.errors import AlreadyRefunded, NotFound, ValidationFailed
from app.models import AccessToken, Generation, LedgerKind, User, utcnow
from app.operators import repository
from app.operators.schemas import DayCounts, GenerationCounts, Retention, Seconds, StatsOut


async def adjust_credits(session: AsyncSession, admin_id: uuid.UUID, user_id: uuid.UUID, amount: int,
                         note: str) -> int:
    if await session.get(User, user_id) is None:
        raise NotFound("User not found.")
    try:
        balance = await credits.adjust(session, user_id, amount, f"{note} (by an administrator)")
    except ValueError:
        raise ValidationFailed([{"loc": ["body", "amount"], "msg": "The balance cannot go below 0.",
                                 "type": "value_error"}],
                               message="That would take more credits than the account has.") from None
    repository.record(session, admin_id, "credits", user_id=user_id, target=str(amount), note=note)
    return balance


async def refund_generation(session: AsyncSession, admin_id: uuid.UUID, generation_id: str, note: str) -> int:
    """Give a generation's credits back, once: a second refund, or one of a generation refunded automatically,
    is refused (the ledger's unique (generation, kind) settles a race between two administrators)."""
    generation = await session.get(Generation, generation_id) if len(generation_id) <= 64 else None
    if generation is None:
        raise NotFound("Generation not found.")
    if await repository.refunded(session, generation_id):
        raise AlreadyRefunded()
    try:
        async with session.begin_nested():
            await credits.refund_generation(session, generation.user_id, generation_id, generation.credits_used)
    except IntegrityError:
        raise AlreadyRefunded() from None
    repository.record(session, admin_id, "refund", user_id=generation.user_id, target=generation_id, note=note)
    return await credits.balance(session, generation.user_id)


async def set_active(session: AsyncSession, admin_id: uuid.UUID, user_id: uuid.UUID, active: bool) -> None:
    """Disable (or enable again) an account. Its logins end; its API keys stop working while it is disabled."""
    changed = await session.execute(update(User).where(User.id == user_id).values(is_active=active)
                                    .execution_options(synchronize_session=False))
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("User not found.")
    if not active:
        await session.execute(delete(AccessToken).where(AccessToken.user_id == user_id))
    repository.record(session, admin_id, "enable" if active else "disable", user_id=user_id)


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


async def stats(session: AsyncSession, days: int) -> StatsOut:
    since = utcnow() - timedelta(days=days)
    rows = await repository.generations_since(session, since)
    status = Counter(row.status for row in rows)
    durations = sorted((row.updated_at - row.created_at).total_seconds() for row in rows if row.status == "completed")
    ledger = await repository.ledger_since(session, since)
    moved = Counter[str]()
    per_day: dict[str, Counter[str]] = {}
    for kind, amount, at in ledger:
        moved[kind] += amount
        per_day.setdefault(at.date().isoformat(), Counter())[kind] += amount
    for row in rows:
        if row.status in ("completed", "failed"):
            per_day.setdefault(row.created_at.date().isoformat(), Counter())[row.status] += 1
    firsts = {user_id: first_at for user_id, first_at in await repository.first_generations(session, since)}
    cost = float(sum(row.cost_usd or 0 for row in rows))
    revenue = await repository.revenue_since(session, since)
    finished = status["completed"] + status["failed"]
    hours = [0] * 24
    for row in rows:
        hours[row.created_at.hour] += 1
    return StatsOut(
        days=days,
        generations=GenerationCounts(total=len(rows), completed=status["completed"], failed=status["failed"],
                                     pending=status["pending"]),
        success_rate=round(status["completed"] / finished, 4) if finished else None,
        generation_seconds=Seconds(avg=round(statistics.fmean(durations), 3) if durations else None,
                                   p50=_percentile(durations, 0.5), p95=_percentile(durations, 0.95)),
        credits_spent=-moved[LedgerKind.GENERATION_DEBIT],
        credits_refunded=moved[LedgerKind.REFUND],
        credits_purchased=moved[LedgerKind.PURCHASE] + moved[LedgerKind.PURCHASE_REFUND],
        revenue_cents=revenue,
        provider_cost_usd=round(cost, 6),
        margin_cents=revenue - round(cost * 100),
        signups=await repository.signups_since(session, since),
        active_users=len({row.user_id for row in rows}),
        retention=Retention(first_generation=len(firsts),
                            returned=await repository.returned_after_first(session, firsts)),
        by_style=dict(Counter(row.style for row in rows)),
        by_hour=hours,
        by_day=[DayCounts(day=day, completed=c["completed"], failed=c["failed"],
                          credits_spent=-c[LedgerKind.GENERATION_DEBIT],
                          credits_purchased=c[LedgerKind.PURCHASE] + c[LedgerKind.PURCHASE_REFUND])
                for day, c in sorted(per_day.items())],
    )
