"""When the last password-reset and verification emails went out: one of each per account per cooldown.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reset_email_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verify_email_sent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("verify_email_sent_at")
        batch_op.drop_column("reset_email_sent_at")
