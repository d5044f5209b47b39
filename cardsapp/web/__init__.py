"""One blueprint per audience."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Mount every audience's blueprint."""
    from cardsapp.web.api import bp as api_bp
    from cardsapp.web.donate import bp as donate_bp

    for blueprint in (donate_bp, api_bp):
        app.register_blueprint(blueprint)
