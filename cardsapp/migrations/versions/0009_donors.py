"""one card per draft, and likely duplicates found without reading texts

Revision ID: 0009_donors
Revises: 0008_people_staff
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_donors"
down_revision: str | None = "0008_people_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("text_key", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_cards_draft_key", ["draft_key"], unique=True)
        batch_op.create_index("ix_cards_text_key", ["campaign_id", "text_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_text_key")
        batch_op.drop_index("ix_cards_draft_key")
        batch_op.drop_column("text_key")
        batch_op.drop_column("draft_key")
