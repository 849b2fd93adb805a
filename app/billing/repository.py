"""Every query of purchases, subscriptions and webhook deliveries. Nothing here commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import insert_for
from app.models import Purchase, Subscription, WebhookDelivery, utcnow

# A subscription in one of these is a plan the account has now (past_due: a renewal payment is being retried).
LIVE_STATUSES = ("active", "trialing", "past_due")


async def record_delivery(session: AsyncSession, webhook_id: str, event_type: str) -> bool:
    """Whether this delivery is new. The insert waits for a concurrent one with the same id to end."""
    inserted = await session.execute(
        insert_for(session, WebhookDelivery).values(webhook_id=webhook_id, event_type=event_type,
                                                    received_at=utcnow())
        .on_conflict_do_nothing(index_elements=[WebhookDelivery.webhook_id])
    )
    return bool(inserted.rowcount == 1)  # type: ignore[attr-defined]


async def add_purchase(session: AsyncSession, purchase: Purchase) -> bool:
    """Record an order as applied; False when it was already (by any delivery, however concurrent)."""
    values = {c.key: getattr(purchase, c.key) for c in Purchase.__table__.columns
              if getattr(purchase, c.key, None) is not None}
    inserted = await session.execute(
        insert_for(session, Purchase).values(**values).on_conflict_do_nothing(index_elements=[Purchase.order_id])
    )
    return bool(inserted.rowcount == 1)  # type: ignore[attr-defined]


async def purchase_for_update(session: AsyncSession, order_id: str) -> Purchase | None:
    return await session.scalar(select(Purchase).where(Purchase.order_id == order_id).with_for_update())


async def record_refund(session: AsyncSession, order_id: str, refunded_amount: int, credits_taken_back: int) -> None:
    await session.execute(
        update(Purchase).where(Purchase.order_id == order_id)
        .values(refunded_amount=refunded_amount, credits_taken_back=credits_taken_back)
        .execution_options(synchronize_session=False)
    )


async def has_purchases(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return await session.scalar(select(Purchase.order_id).where(Purchase.user_id == user_id).limit(1)) is not None


async def purchases(session: AsyncSession, user_id: uuid.UUID, limit: int = 100) -> list[Purchase]:
    return list(await session.scalars(
        select(Purchase).where(Purchase.user_id == user_id).order_by(Purchase.created_at.desc()).limit(limit)
    ))


async def save_subscription(session: AsyncSession, subscription: Subscription) -> bool:
    """Store the provider's description unless a newer one is stored already; whether it was stored."""
    values = {c.key: getattr(subscription, c.key) for c in Subscription.__table__.columns}
    changes = {key: value for key, value in values.items() if key not in ("id", "user_id", "provider")}
    insert = insert_for(session, Subscription).values(**values)
    saved = await session.execute(insert.on_conflict_do_update(
        index_elements=[Subscription.id], set_=changes,
        where=Subscription.version <= insert.excluded.version,
    ))
    return bool(saved.rowcount == 1)  # type: ignore[attr-defined]


async def subscription(session: AsyncSession, subscription_id: str) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def current_subscription(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> Subscription | None:
    """The plan the account has now: a live subscription not yet past its end, the latest if several."""
    found = await session.scalars(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.status.in_(LIVE_STATUSES),
                                   Subscription.ended_at.is_(None))
        .order_by(Subscription.version.desc())
    )
    for candidate in found:
        if candidate.ends_at is None or candidate.ends_at > now:
            return candidate
    return None
