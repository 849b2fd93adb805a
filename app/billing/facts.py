"""What this service reads of a payment provider's orders and subscriptions, whoever reports them (a Polar
webhook, the reconciliation command, the offline checkout). Only the fields used; anything else is ignored, so a
field Polar adds or an SDK model that lags behind cannot break a delivery."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CustomerFacts(_Lenient):
    external_id: str | None = None


class OrderFacts(_Lenient):
    id: str
    status: str
    billing_reason: str
    product_id: str | None = None
    net_amount: int
    currency: str = "usd"
    refunded_amount: int = 0
    customer: CustomerFacts | None = None
    metadata: dict[str, str | int | float | bool] = {}
    created_at: datetime

    @property
    def user_ref(self) -> str | None:
        """The account's id, as the checkout passed it: Polar's external customer id, else the metadata."""
        found = (self.customer.external_id if self.customer else None) or self.metadata.get("user_id")
        return str(found) if found is not None else None

    @property
    def was_paid(self) -> bool:
        return self.status in ("paid", "refunded", "partially_refunded")


class SubscriptionFacts(_Lenient):
    id: str
    status: str
    product_id: str | None = None
    customer: CustomerFacts | None = None
    metadata: dict[str, str | int | float | bool] = {}
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    ends_at: datetime | None = None
    ended_at: datetime | None = None
    created_at: datetime
    modified_at: datetime | None = None

    @property
    def user_ref(self) -> str | None:
        found = (self.customer.external_id if self.customer else None) or self.metadata.get("user_id")
        return str(found) if found is not None else None

    @property
    def version(self) -> datetime:
        return self.modified_at or self.created_at
