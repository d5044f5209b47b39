"""campaign key pairs, keyholders' personal keys and their key slots

Revision ID: 0012_keys
Revises: 0011_security
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_keys"
down_revision: str | None = "0011_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_keys",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_table(
        "personal_keys",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("time_cost", sa.Integer(), nullable=False),
        sa.Column("memory_kib", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "key_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=True),
        sa.Column("time_cost", sa.Integer(), nullable=True),
        sa.Column("memory_kib", sa.Integer(), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "user_id"),
    )
    with op.batch_alter_table("key_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_slots_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_key_slots_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("key_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_slots_user_id"))
        batch_op.drop_index(batch_op.f("ix_key_slots_campaign_id"))
    op.drop_table("key_slots")
    op.drop_table("personal_keys")
    op.drop_table("campaign_keys")
