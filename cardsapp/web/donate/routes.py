"""GET / and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, make_response, redirect, render_template, request, url_for

from cardsapp.extensions import db
from cardsapp.i18n import LANG_COOKIE, LANGUAGES
from cardsapp.services.campaigns import campaign_phase, current_campaign
from cardsapp.services.counter import read_counter
from cardsapp.web.donate import bp


@bp.get("/")
def landing() -> str:
    """The campaign, its counter and the way to write."""
    campaign = current_campaign(db.session)
    if campaign is None:
        return render_template("donate/no_campaign.html")
    return render_template(
        "donate/landing.html",
        campaign=campaign,
        phase=campaign_phase(campaign),
        counter=read_counter(db.session, campaign.id),
    )


@bp.get("/language/<code>")
def choose_language(code: str) -> Response:
    """Remember a language choice and go back to the page it was made on."""
    target = request.args.get("next", "")
    # Only local paths: never an open redirect.
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = url_for("donate.landing")
    response = make_response(redirect(target))
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 86400,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response
