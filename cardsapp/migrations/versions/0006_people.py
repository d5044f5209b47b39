"""recipients' addresses can be erased (consent withdrawn, deleted); counts stay

Revision ID: 0006_people
Revises: 0005_print
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_people"
down_revision: str | None = "0005_print"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.alter_column("address_token", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.add_column(
            sa.Column(
                "erasure",
                sa.Enum(
                    "consent_withdrawn",
                    "deleted",
                    name="recipient_erasure",
                    native_enum=False,
                    length=20,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("label_search", sa.String(length=200), nullable=False, server_default="")
        )
    op.create_index("ix_recipients_page", "recipients", ["campaign_id", "id"])
    op.create_index(
        "ix_recipients_search", "recipients", ["campaign_id", "erasure", "label_search"]
    )
    # Python's casefold, not SQL's lower(): SQLite's lower() knows only ASCII.
    connection = op.get_bind()
    recipients = sa.table(
        "recipients", sa.column("id", sa.Integer), sa.column("public_label", sa.String)
    )
    rows = connection.execute(sa.select(recipients.c.id, recipients.c.public_label)).all()
    for rid, label in rows:
        connection.execute(
            sa.text("UPDATE recipients SET label_search = :key WHERE id = :id"),
            {"key": label.casefold()[:200], "id": rid},
        )


def downgrade() -> None:
    op.drop_index("ix_recipients_search", table_name="recipients")
    op.drop_index("ix_recipients_page", table_name="recipients")
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_column("label_search")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("erasure")
        batch_op.alter_column("address_token", existing_type=sa.LargeBinary(), nullable=False)
