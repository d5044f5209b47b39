"""print batches

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "card_claims",
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"]),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"]),
        sa.PrimaryKeyConstraint("card_id"),
    )
    with op.batch_alter_table("card_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_claims_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("card_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_claims_batch_id"))
    op.drop_table("card_claims")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
