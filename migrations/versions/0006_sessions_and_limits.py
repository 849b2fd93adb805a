"""Login sessions that can be ended, per-address limits, and free credits once per email address.

Login tokens become random strings whose hash is stored, so that logging out or changing the password ends them
(signed tokens cannot be taken back). Tokens issued before this revision stop working: people log in again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fastapi_users_db_sqlalchemy.generics import GUID

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", GUID(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_access_tokens_user_id", "access_tokens", ["user_id"])
    op.create_table(
        "rate_limit_windows",
        sa.Column("bucket", sa.String(32), primary_key=True),
        sa.Column("client_key", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("hits", sa.Integer(), nullable=False),
    )
    op.create_index("ix_rate_limit_windows_window_start", "rate_limit_windows", ["window_start"])
    op.create_table(
        "granted_emails",
        sa.Column("email_hash", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Accounts that exist already had their free credits.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signup_credits_granted", sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("signup_credits_granted", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("signup_credits_granted")
    op.drop_table("granted_emails")
    op.drop_index("ix_rate_limit_windows_window_start", table_name="rate_limit_windows")
    op.drop_table("rate_limit_windows")
    op.drop_index("ix_access_tokens_user_id", table_name="access_tokens")
    op.drop_table("access_tokens")
