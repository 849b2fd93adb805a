"""Shared results: a short unguessable link per shared generation, whether its owner put it in the gallery, and
the size of each result.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))
    op.create_table(
        "shares",
        sa.Column("slug", sa.String(24), primary_key=True),
        sa.Column("generation_id", sa.String(64), sa.ForeignKey("generations.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("gallery", sa.Boolean(), nullable=False),
        sa.Column("taken_down", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_shares_gallery_created", "shares", ["gallery", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_shares_gallery_created", table_name="shares")
    op.drop_table("shares")
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_column("height")
        batch_op.drop_column("width")
