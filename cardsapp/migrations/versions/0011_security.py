"""staff sign-in: failures from known browsers counted apart; TOTP two-factor

Revision ID: 0011_security
Revises: 0010_scale
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_security"
down_revision: str | None = "0010_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("known_failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("known_locked_until", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=32)))
        batch_op.add_column(sa.Column("totp_enabled_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer()))
        batch_op.add_column(
            sa.Column("recovery_codes", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name in (
            "recovery_codes",
            "totp_last_step",
            "totp_enabled_at",
            "totp_secret",
            "known_locked_until",
            "known_failed_logins",
        ):
            batch_op.drop_column(name)
