from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from app.billing.schemas import LedgerEntryOut
from app.schemas import CamelModel, Text


class AdminUserOut(CamelModel):
    id: uuid.UUID
    email: str
    credits: int
    is_active: bool
    is_verified: bool
    is_superuser: bool
    plan: str | None = Field(description="The plan the account has now, if any")
    generations: int
    created_at: datetime


class AdminUsersOut(CamelModel):
    users: list[AdminUserOut]
    next_cursor: str | None


class AdminGenerationOut(CamelModel):
    id: str
    style: str
    status: str
    error_message: str | None
    model: str | None
    cost_usd: Decimal | None = Field(description="What the model provider reported it cost")
    credits_used: int
    created_at: datetime
    share_slug: str | None = Field(None, description="Its public link's slug while shared (for a gallery takedown)")


class AdminActionOut(CamelModel):
    action: str
    admin_id: uuid.UUID | None
    target: str | None
    note: str | None
    created_at: datetime


class AdminUserDetail(AdminUserOut):
    ledger: list[LedgerEntryOut]
    recent_generations: list[AdminGenerationOut]
    admin_actions: list[AdminActionOut]


class CreditsIn(CamelModel):
    amount: int = Field(ge=-1_000_000, le=1_000_000, description="Positive to grant, negative to take")
    note: Text = Field(min_length=1, max_length=255, description="Why: kept in the ledger")


class RefundIn(CamelModel):
    note: Text = Field(min_length=1, max_length=255)


class CreditsOut(CamelModel):
    credits: int


class AccountChange(CamelModel):
    is_active: bool


class GenerationCounts(CamelModel):
    total: int
    completed: int
    failed: int
    pending: int


class Seconds(CamelModel):
    avg: float | None
    p50: float | None
    p95: float | None


class Retention(CamelModel):
    first_generation: int = Field(description="Accounts whose first generation ever was in the period")
    returned: int = Field(description="Of those, how many generated again on a later day")


class DayCounts(CamelModel):
    day: str
    completed: int
    failed: int
    credits_spent: int
    credits_purchased: int


class StatsOut(CamelModel):
    days: int
    generations: GenerationCounts
    success_rate: float | None
    generation_seconds: Seconds
    credits_spent: int
    credits_refunded: int
    credits_purchased: int
    revenue_cents: int
    provider_cost_usd: float
    margin_cents: int = Field(description="Revenue less the provider's cost, in cents")
    signups: int
    active_users: int
    retention: Retention
    by_style: dict[str, int]
    by_hour: list[int] = Field(description="Generations by hour of the day (UTC), 0 to 23")
    by_day: list[DayCounts]
