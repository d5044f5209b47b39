"""Writing a card: the form, its no-JavaScript preview, and sending."""

from __future__ import annotations

import secrets

from flask import (
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded

from cardsapp.extensions import db, limiter
from cardsapp.models import Campaign
from cardsapp.security import is_submission
from cardsapp.services.campaigns import CampaignPhase, campaign_phase
from cardsapp.services.submissions import DraftRefused, WritingClosed, check_draft, submit_card
from cardsapp.web.donate import bp
from cardsapp.web.donate.campaign import (
    available_designs,
    config,
    current_campaign,
    same_for_everyone,
    set_lasting_cookie,
)
from cardsapp.web.donate.cards import remember_sent
from cardsapp.web.donate.forms import WriteForm, posted_draft, posted_is_bot, posted_preview
from cardsapp.web.donate.messages import sentences
from cardsapp.web.donate.pictures import preview_limit
from cardsapp.web.donate.write_page import blank_write_page, write_form, write_page

DONOR_COOKIE = "cardsapp_donor"


def _write_limit() -> str:
    return config().rate_limit_write


def _is_preview_request() -> bool:
    return request.method == "POST" and "preview" in request.form


@bp.route("/write", methods=["GET", "POST"])
@bp.route("/c/<campaign_slug>/write", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"], exempt_when=_is_preview_request)
@limiter.shared_limit(
    preview_limit, "preview", methods=["POST"], exempt_when=lambda: not _is_preview_request()
)
def write(campaign_slug: str = "") -> Response | str | tuple[str, int]:
    """The writing form; its Preview button works without JavaScript, its Send stores the card."""
    public, campaign = current_campaign()
    if campaign is None:
        return render_template("donate/no_campaign.html")
    if not is_submission() and same_for_everyone():
        return blank_write_page(public, campaign)
    phase = campaign_phase(campaign)
    # Only a POST is a submission: HEAD (served by this view too) must never store a card.
    if not is_submission() or phase is not CampaignPhase.OPEN:
        status = 409 if is_submission() else 200
        return write_page(write_form(public), campaign, status=status)
    # A card sent as it should be is read without building the form (WTForms), which only
    # the pages that show the form again need.
    if posted_is_bot(request.form):
        return write_page(write_form(public), campaign, status=400, honeypot_error=True)
    if posted_preview(request.form):
        return _no_script_preview(write_form(public), campaign)
    try:
        submission = submit_card(
            db.session,
            campaign,
            posted_draft(request.form),
            available_designs(),
            browser_token=_browser_token(),
            secret_key=current_app.config["SECRET_KEY"],
        )
    except DraftRefused as refused:
        db.session.rollback()
        form = write_form(public)
        return write_page(form, campaign, status=422, errors=sentences(refused))
    except WritingClosed:
        db.session.rollback()
        return write_page(write_form(public), campaign, status=409)
    reference = submission.reference
    db.session.commit()
    remember_sent(reference)
    session.pop("draft", None)
    response = redirect(url_for("donate.thanks", reference=reference), code=303)
    _remember_browser(response)
    return response


def _no_script_preview(form: WriteForm, campaign: Campaign) -> tuple[str, int]:
    """Check the draft; keep it in the donor's own session cookie for the image request."""
    try:
        checked = check_draft(db.session, campaign, form.draft(), available_designs())
    except DraftRefused as refused:
        return write_page(form, campaign, status=422, errors=sentences(refused))
    nonce = secrets.token_hex(4)
    # The draft travels only in the donor's signed session cookie: never in a URL (which a
    # proxy could log), Redis or the database.
    session["draft"] = {
        "d": checked.design.slug,
        "m": checked.message,
        "s": checked.signature,
        "n": nonce,
    }
    return write_page(form, campaign, preview_url=url_for("donate.draft_image", v=nonce))


def _browser_token() -> str:
    token = request.cookies.get(DONOR_COOKIE, "")
    if len(token) != 43 or not token.replace("-", "").replace("_", "").isalnum():
        token = secrets.token_urlsafe(32)
    request.environ["cardsapp.donor_token"] = token
    return token


def _remember_browser(response: Response) -> None:
    """Set the random per-browser token (the server keeps only its keyed hash)."""
    token = request.environ.get("cardsapp.donor_token")
    if token and token != request.cookies.get(DONOR_COOKIE):
        set_lasting_cookie(response, DONOR_COOKIE, token)


@bp.errorhandler(RateLimitExceeded)
def _too_many(_exc: RateLimitExceeded) -> tuple[str | Response, int]:
    """Too fast: say so beside the form and keep everything the donor wrote."""
    sentence = _("You are sending very quickly. Please wait a minute and try again.")
    if request.endpoint == "donate.write":
        public, campaign = current_campaign()
        if campaign is not None:
            return write_page(write_form(public), campaign, status=429, general_error=sentence)
    if request.endpoint == "donate.preview":
        return jsonify(errors={"form": sentence}), 429
    title = _("Too many requests")
    return render_template("error.html", status=429, title=title, detail=sentence), 429
