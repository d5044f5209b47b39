"""One blueprint per audience."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from cardsapp.services.public import PublicCache, PublicView


def public_cache() -> PublicCache:
    """This app's snapshot of what every donor sees (see `cardsapp.services.public`)."""
    return current_app.extensions["cardsapp.public"]


def public_view() -> PublicView:
    """The campaign, its recipients and its counter as donor pages show them now."""
    from cardsapp.extensions import db

    return public_cache().view(db.session)


def register_blueprints(app: Flask) -> None:
    """Mount every audience's blueprint."""
    from cardsapp.web.api import bp as api_bp
    from cardsapp.web.donate import bp as donate_bp

    for blueprint in (donate_bp, api_bp):
        app.register_blueprint(blueprint)
    register_staff_blueprints(app)


def register_staff_blueprints(app: Flask) -> None:
    """Mount the staff blueprints: logins, moderation and admin."""
    from cardsapp.web.admin import bp as admin_bp
    from cardsapp.web.auth import bp as auth_bp
    from cardsapp.web.moderate import bp as moderate_bp

    for blueprint in (auth_bp, moderate_bp, admin_bp):
        app.register_blueprint(blueprint)
    register_print_blueprints(app)


def register_print_blueprints(app: Flask) -> None:
    """Mount the volunteers' print batches."""
    from cardsapp.web.batches import bp as batches_bp

    app.register_blueprint(batches_bp)
