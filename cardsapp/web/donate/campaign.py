"""What every donor page reads first: settings, designs, language, and the campaign."""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from cardsapp.config import Config
from cardsapp.models import Campaign
from cardsapp.render.designs import Design, designs
from cardsapp.services.public import DEFAULT, PublicView
from cardsapp.web import public_view
from cardsapp.web.donate import bp


def config() -> Config:
    """The app's settings."""
    return current_app.extensions["cardsapp.config"]


def available_designs() -> Mapping[str, Design]:
    """Every design on disk, by slug."""
    return designs(config().designs_dir)


def language() -> str:
    """The language this request is answered in."""
    return str(get_locale() or "en")


# The donor pages that exist once per campaign, at /c/<campaign_slug>/...; the bare ones
# are the default campaign's (see services/campaigns.default_campaign).
PER_CAMPAIGN = frozenset(
    {
        "donate.landing",
        "donate.write",
        "donate.preview",
        "donate.draft_image",
        "donate.counter_badge",
    }
)


def current_campaign() -> tuple[PublicView, Campaign | None]:
    """The campaign a donor page is about, and the public view it was read from.

    The one place a donor page decides which campaign it shows: the one /c/<slug> names,
    else the default one. An unknown slug, or a draft asked for by anyone but staff, is 404.
    """
    slug = str((request.view_args or {}).get("campaign_slug", DEFAULT))
    public = public_view(slug)
    if slug != DEFAULT and public.campaign is None:
        abort(404)
    return public, public.campaign


@bp.url_defaults
def _stay_in_campaign(endpoint: str, values: dict[str, object]) -> None:
    """Links from a campaign's own pages lead to that campaign's pages."""
    if endpoint in PER_CAMPAIGN and has_request_context():
        slug = (request.view_args or {}).get("campaign_slug")
        if slug and "campaign_slug" not in values:
            values["campaign_slug"] = slug


def same_for_everyone() -> bool:
    """A plain visit: no staff login, no message waiting to be shown, no query string.

    Such a visitor's page may be made once and shown to every other such visitor.
    """
    return (
        not request.query_string and "_flashes" not in session and not current_user.is_authenticated
    )


def set_lasting_cookie(response: BaseResponse, name: str, value: str) -> None:
    """A first-party cookie kept for a year, never sent to other sites or read by scripts."""
    response.set_cookie(
        name,
        value,
        max_age=365 * 86400,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
