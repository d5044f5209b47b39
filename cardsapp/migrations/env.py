"""Alembic environment: the URL and metadata come from the caller, never from a file."""

from __future__ import annotations

from typing import Literal

from alembic import context

from cardsapp.extensions import Base
from cardsapp.models import AwareDateTime  # also registers the tables


def render_item(type_: str, obj: object, autogen_context: object) -> str | Literal[False]:
    """Render our TypeDecorators as their plain SQLAlchemy types in migrations."""
    if type_ == "type" and isinstance(obj, AwareDateTime):
        return "sa.DateTime(timezone=True)"
    return False


config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `cardsapp init-db`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
