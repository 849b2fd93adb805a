from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.credits import REASONS
from app.models import CreditLedgerEntry, LedgerKind
from app.schemas import CamelModel, Text


class PlanOut(CamelModel):
    id: str
    name: str
    kind: Literal["subscription", "one_time", "contact"]
    price_cents: int | None
    currency: str
    interval: Literal["month"] | None
    credits: int
    priority: bool = Field(description="Queued generations start first while the model is busy")
    contact_url: str | None


class PlansOut(CamelModel):
    plans: list[PlanOut]


class CheckoutIn(CamelModel):
    plan: Text = Field(max_length=32, description="A plan id from GET /billing/plans (not a contact plan)")


class CheckoutOut(CamelModel):
    checkout_url: str = Field(description="Send the browser here to pay")


class PortalOut(CamelModel):
    portal_url: str = Field(description="Send the browser here to manage or cancel a subscription")


class CurrentPlan(CamelModel):
    id: str
    status: Literal["active", "canceled", "past_due"]
    renews_at: datetime | None = Field(description="When the next period is paid for (null once canceled)")
    ends_at: datetime | None = Field(description="When a canceled plan ends")


class BillingOut(CamelModel):
    credits: int
    plan: CurrentPlan | None


class PurchaseOut(CamelModel):
    order_id: str
    plan_id: str
    amount_cents: int = Field(description="Paid, after discount and before tax")
    currency: str
    credits: int
    refunded_cents: int
    created_at: datetime


class PurchasesOut(CamelModel):
    purchases: list[PurchaseOut]


class LedgerEntryOut(CamelModel):
    id: int
    amount: int
    balance_after: int
    reason: Literal["signup", "generation", "refund", "purchase", "purchase_refund", "admin"]
    note: str | None
    generation_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, entry: CreditLedgerEntry) -> LedgerEntryOut:
        return cls(id=entry.id, amount=entry.amount, balance_after=entry.balance_after,
                   reason=REASONS[LedgerKind(entry.kind)],  # type: ignore[arg-type]
                   note=entry.note, generation_id=entry.generation_id, created_at=entry.created_at)


class LedgerOut(CamelModel):
    entries: list[LedgerEntryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null on the last")
