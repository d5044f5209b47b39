"""Who may open what: declared once per blueprint, checked on the server.

- `restrict_to(bp, *roles)`: every route of a blueprint needs one of the roles.
- `require_roles(*roles)`: one route narrows its blueprint's roles further.
- `recent_password_required`: the route shows or hands out addresses, so the password must
  have been typed in the last few minutes (config.fresh_login_minutes); otherwise the user is
  sent to /reauth and brought back.
- Sessions end after config.session_idle_minutes without a request.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, logout_user
from werkzeug.wrappers import Response

from cardsapp.extensions import db, login_manager
from cardsapp.models import Role, User

# Filled by restrict_to(); the access-matrix test reads it.
BLUEPRINT_ROLES: dict[str, tuple[Role, ...]] = {}
# Session keys (the session is a signed cookie, so these cannot be forged).
SEEN_AT = "seen_at"
FRESH_AT = "fresh_at"

View = TypeVar("View", bound=Callable[..., Any])


class StaffUser(UserMixin):
    """The logged-in account as Flask-Login sees it."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        # The session token is rotated at logout, so an old cookie stops working.
        return f"{self.user.id}:{self.user.session_token}"

    @property
    def is_active(self) -> bool:
        return self.user.active

    def has_role(self, *roles: Role) -> bool:
        return self.user.has_role(*roles)


@login_manager.user_loader
def _load_user(session_id: str) -> StaffUser | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return StaffUser(user)


def restrict_to(blueprint: Blueprint, *roles: Role) -> None:
    """Every route of the blueprint needs a login holding one of the roles."""
    BLUEPRINT_ROLES[blueprint.name] = roles

    @blueprint.before_request
    def _check_role() -> Response | None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(*roles):
            abort(403)
        return _enrol_second_factor()


def _enrol_second_factor() -> Response | None:
    """Send an account whose roles need a second factor to set one up before anything else."""
    from cardsapp.services.two_factor import two_factor_required

    user = current_user.user
    roles = current_app.extensions["cardsapp.config"].two_factor_roles
    if user.totp_enabled_at is None and two_factor_required(user, roles):
        return redirect(url_for("auth.two_factor"))
    return None


def require_roles(*roles: Role) -> Callable[[View], View]:
    """Narrow one route to some of its blueprint's roles (admins always pass)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # type: ignore[attr-defined]  # read by the access test
        return wrapper  # type: ignore[return-value]

    return decorate


def mark_password_entered() -> None:
    """Remember that the password was typed just now (at login or on the re-auth page)."""
    session[FRESH_AT] = int(time.time())


def password_is_recent() -> bool:
    """Whether the password was typed within config.fresh_login_minutes."""
    entered = session.get(FRESH_AT)
    limit = current_app.extensions["cardsapp.config"].fresh_login_minutes * 60
    return isinstance(entered, int) and 0 <= time.time() - entered <= limit


def recent_password_required(view: View) -> View:
    """Before any address is shown or downloaded: ask for the password again if it is stale."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not password_is_recent():
            return redirect(url_for("auth.reauth", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    wrapper.recent_password = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def safe_next(target: str | None, default: str) -> str:
    """A local path to go on to after a login (or a language choice), never another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    # A line break or other control character would split the Location header (a 500 then,
    # a header injection with a laxer server).
    if len(target) > 2000 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _forget_cached_user() -> None:
    """Load the user afresh for each request: roles or deactivation apply at once."""
    # Flask-Login caches the user on g, and g outlives a request whenever an app context is
    # shared (the test suite, a CLI command that serves requests).
    if "_user_id" in session:
        g.pop("_login_user", None)
        return
    # No login in this session (a donor's, holding a form token): nobody to load. Left to
    # Flask-Login, its "strong" session protection would find the session without a login
    # fingerprint, mark it and so re-sign and re-send the donor's cookie on every page.
    g._login_user = login_manager.anonymous_user()


def _end_idle_session() -> None:
    """Log out a session that has been idle longer than config.session_idle_minutes."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    now = int(time.time())
    seen = session.get(SEEN_AT)
    idle = current_app.extensions["cardsapp.config"].session_idle_minutes * 60
    if not isinstance(seen, int) or now - seen > idle:
        logout_user()
        session.clear()
        flash(_("You were logged out after a time without activity. Please log in again."))
        return
    session[SEEN_AT] = now


def session_fingerprint() -> str:
    """What ties a staff session to its browser: a keyed hash of the User-Agent, no address.

    Flask-Login's default puts an unsalted sha512 of the client's IP address and User-Agent
    in the session cookie: anyone holding the cookie can recover the address by trying all of
    them. Addresses also change under a staff member on a phone or Tor, so they are left out.
    """
    agent = request.headers.get("User-Agent", "").encode("utf-8", "replace")
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"session-fingerprint\x00" + agent, hashlib.sha256).hexdigest()


def init_app(app: Flask) -> None:
    """Wire Flask-Login and the idle timeout."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager._session_identifier_generator = session_fingerprint
    app.before_request(_forget_cached_user)
    app.before_request(_end_idle_session)


def init_public_app(app: Flask) -> None:
    """A donors-only process knows no staff: every visitor is anonymous, no account is loaded."""
    no_staff = LoginManager()
    no_staff.user_loader(lambda _session_id: None)
    no_staff.init_app(app)
