"""Purchases and plans: applying what the payment provider reports, exactly once, through the one ledger.

Every function here works in the caller's unit of work (a webhook delivery, the reconciliation command, the
offline checkout's Pay) and only flushes. However often, in whatever order and however concurrently an order
is reported, it is applied once: its id is the purchase's primary key.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import credits
from app.billing import plans, repository
from app.billing.facts import OrderFacts, SubscriptionFacts
from app.config import Settings
from app.models import Purchase, Subscription, User, utcnow

logger = logging.getLogger(__name__)


async def _account(session: AsyncSession, user_ref: str | None) -> uuid.UUID | None:
    try:
        user_id = uuid.UUID(user_ref or "")
    except ValueError:
        return None
    return await session.scalar(select(User.id).where(User.id == user_id))


async def apply_paid_order(session: AsyncSession, settings: Settings, order: OrderFacts, provider: str) -> bool:
    """Grant an order's credits once; whether this call granted them."""
    if not order.was_paid:
        return False
    plan = plans.for_product(settings, order.product_id) if provider == "polar" else \
        plans.by_id(settings, str(order.metadata.get("plan", "")))
    user_id = await _account(session, order.user_ref)
    if plan is None or user_id is None:
        # Not ours to apply (another product of the organisation, or an account deleted since): said, not raised,
        # so the provider stops retrying.
        logger.warning("order %s not applied: %s", order.id, "unknown product" if plan is None else "no such account")
        return False
    amount = plans.credits_for_order(plan, order.billing_reason, order.net_amount)
    purchase = Purchase(order_id=order.id, user_id=user_id, provider=provider, plan_id=plan.id,
                        billing_reason=order.billing_reason, net_amount=order.net_amount, currency=order.currency,
                        credits=amount, refunded_amount=0, credits_taken_back=0, created_at=order.created_at)
    if not await repository.add_purchase(session, purchase):
        return False
    if amount:
        await credits.grant_purchase(session, user_id, amount, f"{plan.name} (order {order.id})")
    logger.info("order %s applied: %d credits for account %s", order.id, amount, user_id)
    return True


async def apply_refunded_order(session: AsyncSession, settings: Settings, order: OrderFacts, provider: str) -> int:
    """Take back the refunded share of an order's credits, once per refunded amount, never below a balance of 0;
    the credits taken. An order reported refunded before it was reported paid is applied first."""
    await apply_paid_order(session, settings, order, provider)
    purchase = await repository.purchase_for_update(session, order.id)  # waits for a concurrent refund of it
    if purchase is None or order.refunded_amount <= purchase.refunded_amount or purchase.net_amount <= 0:
        return 0
    share = min(order.refunded_amount, purchase.net_amount) / purchase.net_amount
    owed = math.floor(purchase.credits * share + 1e-9) - purchase.credits_taken_back
    taken = 0
    if owed > 0:
        taken = await credits.take_back_purchase(session, purchase.user_id, owed,
                                                 f"refund of order {order.id}")
    # What was owed counts as settled even when the balance could not cover it all: a later refund of the same
    # order takes only its own share.
    await repository.record_refund(session, order.id, order.refunded_amount, purchase.credits_taken_back + owed)
    logger.info("order %s refunded to %d cents: %d credits taken back", order.id, order.refunded_amount, taken)
    return taken


async def apply_subscription(
    session: AsyncSession, settings: Settings, facts: SubscriptionFacts, provider: str
) -> bool:
    """Let the account's plan follow the subscription; an older description never overwrites a newer one."""
    plan = plans.for_product(settings, facts.product_id) if provider == "polar" else \
        plans.by_id(settings, str(facts.metadata.get("plan", "")))
    user_id = await _account(session, facts.user_ref)
    if plan is None or user_id is None:
        logger.warning("subscription %s not applied: %s", facts.id,
                       "unknown product" if plan is None else "no such account")
        return False
    return await repository.save_subscription(session, Subscription(
        id=facts.id, user_id=user_id, provider=provider, plan_id=plan.id, status=facts.status,
        current_period_end=facts.current_period_end, cancel_at_period_end=facts.cancel_at_period_end,
        ends_at=facts.ends_at, ended_at=facts.ended_at, version=facts.version,
    ))


async def has_priority(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> bool:
    """Whether the account's work starts first while the model is busy: an active plan with priority (Pro)."""
    found = await repository.current_subscription(session, user_id, utcnow())
    plan = plans.by_id(settings, found.plan_id) if found and found.status in ("active", "trialing") else None
    return bool(plan and plan.priority)


@dataclass(frozen=True)
class PlanState:
    id: str
    status: str  # active | canceled | past_due
    renews_at: datetime | None
    ends_at: datetime | None


async def current_plan(session: AsyncSession, user_id: uuid.UUID) -> PlanState | None:
    found = await repository.current_subscription(session, user_id, utcnow())
    if found is None:
        return None
    if found.cancel_at_period_end:
        return PlanState(found.plan_id, "canceled", None, found.ends_at or found.current_period_end)
    status = "past_due" if found.status == "past_due" else "active"
    return PlanState(found.plan_id, status, found.current_period_end, None)
