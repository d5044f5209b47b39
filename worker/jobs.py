"""Job entry points: ids in, open a session, call a service, commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy.orm import Session

_app: Flask | None = None


def use_app(app: Flask) -> None:
    """Let jobs in this process use an app built by the worker (or a test)."""
    global _app
    _app = app


def _current_app() -> Flask:
    global _app
    if _app is None:
        from cardsapp import create_app

        _app = create_app()
    return _app


@contextmanager
def job_session() -> Iterator[Session]:
    """An app context and a session; commits on success, rolls back on error."""
    from cardsapp.extensions import db

    with _current_app().app_context():
        try:
            yield db.session
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def refresh_counter(campaign_id: int) -> dict[str, int]:
    """Recompute a campaign's public counter from its rows."""
    from cardsapp.services.counter import recount

    with job_session() as session:
        reading = recount(session, campaign_id)
    return {"participants": reading.participants, "cards": reading.cards}
