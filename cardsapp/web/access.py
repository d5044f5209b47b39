"""Who may open what: declared once per blueprint, checked on the server."""

from __future__ import annotations

from flask import Blueprint, Flask, abort
from flask_login import UserMixin, current_user

from cardsapp.extensions import db, login_manager
from cardsapp.models import Role, User

# Filled by restrict_to(); the access-matrix test reads it.
BLUEPRINT_ROLES: dict[str, tuple[Role, ...]] = {}


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
    def _check_role() -> None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(*roles):
            abort(403)
        return None


def init_app(app: Flask) -> None:
    """Wire Flask-Login."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
