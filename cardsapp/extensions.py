"""Flask extensions, created unbound and wired in create_app()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, with `session` typed as the Session it stands for."""

    if TYPE_CHECKING:
        # A scoped_session proxies every Session method to the request's own session, and
        # use cases take a Session (STYLE.md), so the type checker is told what it stands for.
        # Only the app's teardown calls the proxy's own `remove()`.
        session: Session  # type: ignore[assignment]


db = Database(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def hashing_key() -> bytes:
    """This hour's key for the keyed hashes that rate limits count by (ratelimits.py)."""
    from flask import current_app

    from cardsapp.ratelimits import HourlyKeys

    keys = current_app.extensions.get("cardsapp.hourly_keys")
    if keys is None:
        keys = HourlyKeys(current_app.config["SECRET_KEY"])
        current_app.extensions["cardsapp.hourly_keys"] = keys
    queues = current_app.extensions.get("cardsapp.queues")
    return keys.key(queues.connection if queues else None)


def client_key() -> str:
    """Rate-limit key: a keyed hash of the client address under this hour's key, never the
    address itself (behind a proxy, CARDS_PROXY_HOPS makes it the client's, not the proxy's)."""
    from flask import request

    from cardsapp.ratelimits import keyed_hash

    return "a" + keyed_hash(hashing_key(), request.remote_addr or "unknown")


# Fixed windows keep a number and an expiry per key; a moving window keeps the moment of
# every request, which would say when each card was sent.
limiter = Limiter(key_func=client_key, strategy="fixed-window")
