"""The campaign's front page, its embeddable badge and the language switch."""

from __future__ import annotations

from flask import Response, abort, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from markupsafe import escape

from cardsapp.i18n import LANG_COOKIE, LANGUAGES
from cardsapp.services.campaigns import CampaignPhase, campaign_phase, open_campaigns
from cardsapp.services.public import DEFAULT
from cardsapp.web.access import safe_next
from cardsapp.web.donate import bp
from cardsapp.web.donate.campaign import (
    current_campaign,
    language,
    same_for_everyone,
    set_lasting_cookie,
)
from cardsapp.web.shared import share


@bp.get("/")
@bp.get("/c/<campaign_slug>")
def landing(campaign_slug: str = DEFAULT) -> str:
    """The campaign, its counter and the way to write; on / a list when several are open."""
    public, campaign = current_campaign()
    if campaign is None:
        return render_template("donate/no_campaign.html")
    listed = open_campaigns(public.campaigns) if campaign_slug == DEFAULT else []

    def page() -> str:
        if len(listed) > 1:
            return render_template("donate/campaigns.html", campaigns=listed)
        return render_template(
            "donate/landing.html",
            campaign=campaign,
            phase=campaign_phase(campaign),
            counter=public.counter,
        )

    if not same_for_everyone():
        return page()
    lang = language()
    share(public, lang)
    return public.page(("landing", lang), page)


@bp.get("/c/<campaign_slug>/results")
def results(campaign_slug: str) -> str:
    """After writing has closed: the campaign's totals, never a figure per recipient."""
    from cardsapp.extensions import db
    from cardsapp.services.campaign_report import public_totals

    _public, campaign = current_campaign()
    if campaign is None or campaign_phase(campaign) is not CampaignPhase.CLOSED:
        abort(404)
    return render_template(
        "donate/results.html", campaign=campaign, totals=public_totals(db.session, campaign)
    )


@bp.get("/counter.svg")
@bp.get("/c/<campaign_slug>/counter.svg")
def counter_badge(campaign_slug: str = DEFAULT) -> Response:
    """An embeddable badge: "N people have written M cards", in ?lang= or the browser's language."""
    reading = current_campaign()[0].counter
    participants = reading.participants if reading else 0
    cards = reading.cards if reading else 0
    wanted = request.args.get("lang")
    with force_locale(wanted if wanted in LANGUAGES else language()):
        people = ngettext("%(num)d person has written", "%(num)d people have written", participants)
        written = ngettext("%(num)d card", "%(num)d cards", cards)
        text = f"{people} {written}"
    width = 20 + round(len(text) * 7.2)
    svg = render_template("donate/counter.svg", text=escape(text), width=width)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.vary.add("Accept-Language")
    return response


@bp.get("/language/<code>")
def choose_language(code: str) -> Response:
    """Remember a language choice and go back to the page it was made on."""
    # Only local paths: never an open redirect, never a broken header.
    target = safe_next(request.args.get("next"), url_for("donate.landing"))
    response = make_response(redirect(target))
    remember_language(response, code)
    return response


def remember_language(response: Response, code: str) -> None:
    """Set the language cookie when `code` is one of ours."""
    if code in LANGUAGES:
        set_lasting_cookie(response, LANG_COOKIE, code)
