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


def client_key() -> str:
    """Rate-limit key: the client address, kept only inside Redis with an expiry."""
    from flask import request

    # Behind a proxy CARDS_PROXY_HOPS turns on ProxyFix; Tor clients all share one
    # address, which is why the limits are generous per minute.
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_key, strategy="moving-window")
