"""a campaign's print format and the text on a postcard's back

Revision ID: 0005_print
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_print"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "print_format",
                sa.Enum("flat", "postcard", name="print_format", native_enum=False, length=20),
                nullable=False,
                server_default="flat",
            )
        )
        batch_op.add_column(sa.Column("back_text", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("back_text")
        batch_op.drop_column("print_format")
