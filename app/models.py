"""All database tables, on one metadata so Alembic sees everything.

Schema is created only by the migrations in `migrations/`; these classes describe it for queries.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID
from fastapi_users_db_sqlalchemy.generics import GUID
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        # SQLite stores text: keep it naive there so every stored value has one sortable format.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("credits >= 0", name="ck_users_credits_non_negative"),)

    # Declared again (same column as the library's) so queries on it are typed as SQL expressions.
    id: Mapped[uuid.UUID] = mapped_column(GUID, primary_key=True, default=uuid.uuid4)
    credits: Mapped[int] = mapped_column(Integer, nullable=False, default=30, server_default="30")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # When the last password-reset and verification emails went out: forms anyone can fill in with any address
    # must not let them flood an inbox.
    reset_email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verify_email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Consecutive wrong passwords and when the last one came: enough of them in a row stop password guessing.
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Whether this account has had its free credits (at sign-up, or on confirming its email when that is required).
    signup_credits_granted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class AccessToken(Base):
    """A login session: the hash of its random token (never the token), so a logout or a new password ends it."""

    __tablename__ = "access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RateLimitWindow(Base):
    """How often one client address did one limited thing (sign up, log in) in one fixed window of time.

    The address is kept as a keyed hash: enough to count, not enough to tell who it was."""

    __tablename__ = "rate_limit_windows"

    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)


class GrantedEmail(Base):
    """Email addresses that have had free credits, as keyed hashes: deleting an account and signing up again with
    the same address grants none, and no deleted address is kept."""

    __tablename__ = "granted_emails"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class GenerationStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


def new_generation_id() -> str:
    return f"gen_{int(utcnow().timestamp() * 1000)}_{uuid.uuid4()}"


class Generation(Base):
    __tablename__ = "generations"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'completed', 'failed')", name="ck_generations_status"),
        CheckConstraint("credits_used >= 0", name="ck_generations_credits_used"),
        UniqueConstraint("user_id", "idempotency_key", name="uq_generations_user_idempotency_key"),
        # A user's gallery, newest first, optionally filtered by status (the cursor is (created_at, id)).
        Index("ix_generations_user_created", "user_id", "created_at", "id"),
        Index("ix_generations_user_status_created", "user_id", "status", "created_at", "id"),
        # Recovery of work whose worker went silent.
        Index("ix_generations_status_lease", "status", "lease_expires_at"),
        Index("ix_generations_batch", "batch_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_generation_id)
    user_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    style: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=GenerationStatus.PENDING)
    # Storage keys, never URLs: URLs are made per answer (presigned URLs expire).
    original_image_key: Mapped[str] = mapped_column(String(255), nullable=False)
    original_thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    # The result's size in pixels, once there is one.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # The person's own wishes (or, for a refinement, the instruction), the shape asked for, the chosen model (an
    # id of the MODELS setting), the request it was one variation of, and the generation it refines.
    prompt: Mapped[str | None] = mapped_column(String(300))
    aspect_ratio: Mapped[str] = mapped_column(String(8), nullable=False, default="1:1", server_default="1:1")
    model_id: Mapped[str] = mapped_column(String(32), nullable=False, default="standard", server_default="standard")
    batch_id: Mapped[str | None] = mapped_column(String(40), index=False)
    parent_id: Mapped[str | None] = mapped_column(String(64))
    generated_image_key: Mapped[str | None] = mapped_column(String(255))
    thumbnail_key: Mapped[str | None] = mapped_column(String(255))
    credits_used: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    error_message: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))

    model: Mapped[str | None] = mapped_column(String(128))
    provider_generation_id: Mapped[str | None] = mapped_column(String(128))
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)

    # Processing claim: a worker owns the generation while its lease holds; the token tells a stale
    # worker (whose lease ran out and was re-claimed) that its result no longer counts.
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    lease_token: Mapped[str | None] = mapped_column(String(36))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    def storage_keys(self) -> list[str]:
        keys = (self.original_image_key, self.original_thumbnail_key, self.generated_image_key, self.thumbnail_key)
        return [k for k in keys if k]


class LedgerKind(StrEnum):
    SIGNUP_GRANT = "signup_grant"
    GENERATION_DEBIT = "generation_debit"
    REFUND = "refund"
    ADMIN_ADJUSTMENT = "admin_adjustment"
    PURCHASE = "purchase"
    PURCHASE_REFUND = "purchase_refund"


class CreditLedgerEntry(Base):
    """One row per credit movement; a user's balance always equals the sum of their rows."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('signup_grant', 'generation_debit', 'refund', 'admin_adjustment', 'purchase', "
            "'purchase_refund')", name="ck_ledger_kind"
        ),
        # A generation is debited once and refunded at most once.
        UniqueConstraint("generation_id", "kind", name="uq_ledger_generation_kind"),
        Index("ix_credit_ledger_user", "user_id", "created_at"),
        # The account's statement, newest first, in pages (the cursor is the id).
        Index("ix_credit_ledger_user_id_desc", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # Kept as plain text, not a foreign key: the audit trail outlives a deleted generation.
    generation_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    balance_after: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ProviderOutage(Base):
    """A model provider found down by some process's circuit breaker. Every API process refuses new work (503,
    nothing charged) until `until`, also when the calls happen in separate worker processes."""

    __tablename__ = "provider_outages"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Purchase(Base):
    """A paid order, applied once: its primary key is the order's id, so however often, in whatever order and
    however concurrently an order is reported, one row (and one grant of credits) comes of it."""

    __tablename__ = "purchases"
    __table_args__ = (Index("ix_purchases_user_created", "user_id", "created_at"),)

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)  # polar | local
    plan_id: Mapped[str] = mapped_column(String(32), nullable=False)
    billing_reason: Mapped[str] = mapped_column(String(32), nullable=False)
    net_amount: Mapped[int] = mapped_column(Integer, nullable=False)  # cents, after discount, before tax
    currency: Mapped[str] = mapped_column(String(8), nullable=False)
    credits: Mapped[int] = mapped_column(Integer, nullable=False)
    # Refunds so far (cumulative, in cents) and the credits taken back for them.
    refunded_amount: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    credits_taken_back: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Subscription(Base):
    """An account's subscription as the payment provider last described it. `version` is the provider's
    modified_at (or created_at): an older description never overwrites a newer one."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    plan_id: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class WebhookDelivery(Base):
    """Each webhook event received and applied (by its webhook-id, the same on every retry)."""

    __tablename__ = "webhook_deliveries"

    webhook_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ApiKey(Base):
    """A developer's key: `aiv_...`, shown once; only its SHA-256 is kept, with a prefix to recognise it by."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                               index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdminAction(Base):
    """What an administrator did, to whom, when and why (credit movements are also in the ledger).

    Plain columns, not foreign keys: the record outlives the accounts it names."""

    __tablename__ = "admin_actions"
    __table_args__ = (Index("ix_admin_actions_target_user", "target_user_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    admin_id: Mapped[uuid.UUID | None] = mapped_column(GUID)  # None: the command line
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    target_user_id: Mapped[uuid.UUID | None] = mapped_column(GUID)
    target: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Share(Base):
    """A result its owner shared: a short unguessable link, and (by consent) a place in the public gallery.

    Deleting the share or the generation ends the link and its image at once; an administrator's takedown only
    removes it from the gallery."""

    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_gallery_created", "gallery", "created_at"),)

    slug: Mapped[str] = mapped_column(String(24), primary_key=True)
    generation_id: Mapped[str] = mapped_column(String(64), ForeignKey("generations.id", ondelete="CASCADE"),
                                               nullable=False, unique=True)
    gallery: Mapped[bool] = mapped_column(Boolean, nullable=False)
    taken_down: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
