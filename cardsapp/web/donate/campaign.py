"""What every donor page reads first: settings, designs, language, and the campaign."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from cardsapp.config import Config
from cardsapp.models import Campaign
from cardsapp.render.designs import Design, designs
from cardsapp.services.public import PublicView
from cardsapp.web import public_view


def config() -> Config:
    """The app's settings."""
    return current_app.extensions["cardsapp.config"]


def available_designs() -> Mapping[str, Design]:
    """Every design on disk, by slug."""
    return designs(config().designs_dir)


def language() -> str:
    """The language this request is answered in."""
    return str(get_locale() or "en")


def current_campaign() -> tuple[PublicView, Campaign | None]:
    """The campaign a donor page is about, and the public view it was read from.

    The one place a donor page decides which campaign it shows.
    """
    public = public_view()
    return public, public.campaign


def same_for_everyone() -> bool:
    """A plain visit: no staff login, no message waiting to be shown, no query string.

    Such a visitor's page may be made once and shown to every other such visitor.
    """
    return (
        not request.query_string and "_flashes" not in session and not current_user.is_authenticated
    )


def set_lasting_cookie(response: Response, name: str, value: str) -> None:
    """A first-party cookie kept for a year, never sent to other sites or read by scripts."""
    response.set_cookie(
        name,
        value,
        max_age=365 * 86400,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
