"""staff accounts: invite links remembered once used; deleted accounts keep their number

Revision ID: 0008_people_staff
Revises: 0005_campaigns
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_people_staff"
down_revision: str | None = "0005_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invite_used_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_users_invite_used_hash", ["invite_used_hash"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_invite_used_hash", type_="unique")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("invite_used_hash")
