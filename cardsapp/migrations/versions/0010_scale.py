"""partial indexes for waiting and held rejected cards, audit by target, batch files stored

Revision ID: 0010_scale
Revises: 0009_donors
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_scale"
down_revision: str | None = "0009_donors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "status = 'approved' AND batch_id IS NULL"
HELD = "status = 'rejected' AND message IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_cards_waiting",
        "cards",
        ["campaign_id", "id"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.create_index(
        "ix_cards_rejected_held",
        "cards",
        ["decided_at"],
        postgresql_where=sa.text(HELD),
        sqlite_where=sa.text(HELD),
    )
    op.create_index("ix_audit_target_id", "audit_events", ["target", "id"])
    op.create_table(
        "batch_files",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"]),
        sa.PrimaryKeyConstraint("batch_id", "kind", "part"),
    )


def downgrade() -> None:
    op.drop_table("batch_files")
    op.drop_index("ix_audit_target_id", table_name="audit_events")
    op.drop_index("ix_cards_rejected_held", table_name="cards")
    op.drop_index("ix_cards_waiting", table_name="cards")
