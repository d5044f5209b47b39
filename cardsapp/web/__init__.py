"""One blueprint per audience."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from cardsapp.services.public import PublicCache, PublicView


def public_cache() -> PublicCache:
    """This app's snapshot of what every donor sees (see `cardsapp.services.public`)."""
    return current_app.extensions["cardsapp.public"]


def public_view(slug: str = "") -> PublicView:
    """A campaign (by slug; "" the default one), its recipients and counter as donors see them.

    Staff also see drafts (never kept in the shared snapshot); donors never do.
    """
    from flask_login import current_user

    from cardsapp.extensions import db

    view = public_cache().view(db.session, slug)
    if view.campaign is None and slug and current_user.is_authenticated:
        return public_cache().staff_view(db.session, slug) or view
    return view


def register_blueprints(app: Flask, staff: bool = True) -> None:
    """Mount the donors' blueprints, and the staff's unless this app serves donors only."""
    from cardsapp.web.api import bp as api_bp
    from cardsapp.web.donate import bp as donate_bp

    for blueprint in (donate_bp, api_bp):
        app.register_blueprint(blueprint)
    if staff:
        register_staff_blueprints(app)


def register_staff_blueprints(app: Flask) -> None:
    """Mount the staff blueprints: logins, moderation and admin."""
    from cardsapp.web.admin import bp as admin_bp
    from cardsapp.web.auth import bp as auth_bp
    from cardsapp.web.moderate import bp as moderate_bp
    from cardsapp.web.state_names import state_names

    for blueprint in (auth_bp, moderate_bp, admin_bp):
        app.register_blueprint(blueprint)
    app.context_processor(state_names)
    register_print_blueprints(app)


def register_print_blueprints(app: Flask) -> None:
    """Mount the volunteers' print batches."""
    from cardsapp.web.batches import bp as batches_bp

    app.register_blueprint(batches_bp)
