"""A person's own wishes, the picture's shape, the model, variations of one request, and refinements.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompt", sa.String(300), nullable=True))
        batch_op.add_column(sa.Column("aspect_ratio", sa.String(8), server_default="1:1", nullable=False))
        batch_op.add_column(sa.Column("model_id", sa.String(32), server_default="standard", nullable=False))
        batch_op.add_column(sa.Column("batch_id", sa.String(40), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.String(64), nullable=True))
        batch_op.create_index("ix_generations_batch", ["batch_id"])


def downgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_index("ix_generations_batch")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("batch_id")
        batch_op.drop_column("model_id")
        batch_op.drop_column("aspect_ratio")
        batch_op.drop_column("prompt")
