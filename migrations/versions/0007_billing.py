"""Buying credits: purchases applied once per order, subscriptions, webhook deliveries; the balance after each
ledger movement.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fastapi_users_db_sqlalchemy.generics import GUID

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "kind IN ('signup_grant', 'generation_debit', 'refund', 'admin_adjustment')"
NEW_KINDS = ("kind IN ('signup_grant', 'generation_debit', 'refund', 'admin_adjustment', 'purchase', "
             "'purchase_refund')")


def upgrade() -> None:
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("balance_after", sa.Integer(), nullable=True))
        batch_op.drop_constraint("ck_ledger_kind", type_="check")
        batch_op.create_check_constraint("ck_ledger_kind", NEW_KINDS)
        batch_op.create_index("ix_credit_ledger_user_id_desc", ["user_id", "id"], unique=False)
    # Every earlier movement gets the balance it left: the running sum of the account's movements up to it.
    op.execute(
        "UPDATE credit_ledger SET balance_after = (SELECT SUM(earlier.amount) FROM credit_ledger AS earlier "
        "WHERE earlier.user_id = credit_ledger.user_id AND earlier.id <= credit_ledger.id)"
    )
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.alter_column("balance_after", existing_type=sa.Integer(), nullable=False)

    op.create_table(
        "purchases",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("user_id", GUID(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("plan_id", sa.String(32), nullable=False),
        sa.Column("billing_reason", sa.String(32), nullable=False),
        sa.Column("net_amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("refunded_amount", sa.Integer(), server_default="0", nullable=False),
        sa.Column("credits_taken_back", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_purchases_user_created", "purchases", ["user_id", "created_at"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", GUID(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("plan_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("webhook_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_subscriptions_user_id", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index("ix_purchases_user_created", table_name="purchases")
    op.drop_table("purchases")
    op.execute("DELETE FROM credit_ledger WHERE kind IN ('purchase', 'purchase_refund')")
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_ledger_user_id_desc")
        batch_op.drop_constraint("ck_ledger_kind", type_="check")
        batch_op.create_check_constraint("ck_ledger_kind", OLD_KINDS)
        batch_op.drop_column("balance_after")
