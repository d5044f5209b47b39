"""campaign life (status, time zone, demo flag), demo staff, and the counter's rule

Revision ID: 0005_campaigns
Revises: 0006_people
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_campaigns"
down_revision: str | None = "0006_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAMPAIGN_STATUS = sa.Enum(
    "draft",
    "published",
    "closed",
    "archived",
    name="campaign_status",
    native_enum=False,
    length=20,
)


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        # Campaigns made before drafts existed were shown to donors: they stay published.
        batch_op.add_column(
            sa.Column("status", CAMPAIGN_STATUS, nullable=False, server_default="published")
        )
        batch_op.add_column(
            sa.Column("timezone", sa.String(64), nullable=False, server_default="Europe/Minsk")
        )
        batch_op.add_column(
            sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        # Every browser counted so far had a card then; the rule applies from now on.
        batch_op.add_column(
            sa.Column("live_cards", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("participant_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_cards_participant_id_participants", "participants", ["participant_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_constraint("fk_cards_participant_id_participants", type_="foreignkey")
        batch_op.drop_column("participant_id")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("live_cards")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("demo")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("demo")
        batch_op.drop_column("timezone")
        batch_op.drop_column("status")
