"""Reconciliation: ask the payment provider for recent paid orders and apply any that a lost webhook missed,
through the same exactly-once path as the webhooks (an order already applied is left as it is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.billing import service
from app.billing.payments import create_payments
from app.config import Settings
from app.db import create_engine, create_sessionmaker, unit_of_work
from app.models import utcnow


@dataclass
class SyncReport:
    seen: int = 0
    applied: int = 0
    credits_taken_back: int = 0


async def sync(settings: Settings, days: int) -> SyncReport:
    report = SyncReport()
    payments = create_payments(settings)
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async for order in payments.paid_orders(utcnow() - timedelta(days=days)):
            report.seen += 1
            async with unit_of_work(sessionmaker) as session:  # one order per unit of work: one bad one stops nothing
                if order.refunded_amount > 0:
                    # Granted now counts as applied even when the refund is too small to take a credit back.
                    granted = await service.apply_paid_order(session, settings, order, payments.name)
                    taken = await service.apply_refunded_order(session, settings, order, payments.name)
                    report.credits_taken_back += taken
                    report.applied += granted or taken > 0
                elif await service.apply_paid_order(session, settings, order, payments.name):
                    report.applied += 1
    finally:
        await payments.aclose()
        await engine.dispose()
    return report
