"""Writing a card: the form, its language, its no-JavaScript preview, and sending.

Nothing a donor wrote is lost on the way: every answer to a posted form that is not the
thanks page shows the form again with what was posted, and says whether the card was sent.
"""

from __future__ import annotations

import logging
import secrets

from flask import (
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from cardsapp.extensions import db, hashing_key, limiter
from cardsapp.i18n import LANGUAGES
from cardsapp.models import Campaign
from cardsapp.ratelimits import Sender, count_send, keyed_hash, send_refusal
from cardsapp.security import is_submission
from cardsapp.services.campaigns import CampaignPhase, campaign_phase
from cardsapp.services.public import PublicView
from cardsapp.services.submissions import (
    DraftRefused,
    WritingClosed,
    check_draft,
    draft_digest,
    sent_card_reference,
    submit_card,
)
from cardsapp.web.donate import bp
from cardsapp.web.donate.campaign import (
    available_designs,
    config,
    current_campaign,
    language,
    same_for_everyone,
    set_lasting_cookie,
)
from cardsapp.web.donate.cards import remember_sent, sent_from_here
from cardsapp.web.donate.forms import WriteForm, posted_draft, posted_is_bot, posted_preview
from cardsapp.web.donate.landing import remember_language
from cardsapp.web.donate.messages import sentences
from cardsapp.web.donate.pictures import preview_limit
from cardsapp.web.donate.write_page import blank_write_page, write_form, write_page

log = logging.getLogger(__name__)
DONOR_COOKIE = "cardsapp_donor"


def _is_preview_request() -> bool:
    return request.method == "POST" and "preview" in request.form


@bp.route("/write", methods=["GET", "POST"])
@bp.route("/c/<campaign_slug>/write", methods=["GET", "POST"])
@limiter.shared_limit(
    preview_limit, "preview", methods=["POST"], exempt_when=lambda: not _is_preview_request()
)
def write(campaign_slug: str = "") -> BaseResponse | str | tuple[str, int]:
    """The writing form; its Preview button works without JavaScript, its Send stores the card."""
    public, campaign = current_campaign()
    if campaign is None:
        return render_template("donate/no_campaign.html")
    # Only a POST is a submission: HEAD (served by this view too) must never store a card.
    if not is_submission():
        if same_for_everyone():
            return blank_write_page(public, campaign)
        return write_page(write_form(public), campaign)
    if "switch_language" in request.form:
        return _in_language(public, campaign, request.form.get("switch_language", ""))
    if "find_recipient" in request.form:
        return write_page(write_form(public), campaign)
    if campaign_phase(campaign) is not CampaignPhase.OPEN:
        return write_page(write_form(public), campaign, status=409)
    # A card sent as it should be is read without building the form (WTForms), which only
    # the pages that show the form again need.
    if posted_is_bot(request.form):
        return write_page(write_form(public), campaign, status=400, honeypot_error=True)
    if posted_preview(request.form):
        return _no_script_preview(write_form(public), campaign)
    return _send(public, campaign)


def _send(public: PublicView, campaign: Campaign) -> BaseResponse | tuple[str, int]:
    draft = posted_draft(request.form)
    secret = current_app.config["SECRET_KEY"]
    connection = current_app.extensions["cardsapp.queues"].connection
    sender = _sender()
    digest = draft_digest(secret, draft)
    try:
        earlier = sent_from_here(digest) or sent_card_reference(db.session, draft.token, secret)
        if earlier is not None:
            return _thanks(earlier, digest)
        refusal = send_refusal(connection, sender, config().send_limits)
        if refusal is not None:
            return write_page(
                write_form(public), campaign, status=429, general_error=_too_fast(refusal)
            )
        submission = submit_card(
            db.session,
            campaign,
            draft,
            available_designs(),
            browser_token=request.environ["cardsapp.donor_token"],
            secret_key=secret,
        )
        db.session.commit()
    except DraftRefused as refused:
        db.session.rollback()
        return write_page(write_form(public), campaign, status=422, errors=sentences(refused))
    except WritingClosed:
        db.session.rollback()
        return write_page(write_form(public), campaign, status=409)
    except IntegrityError:
        # The same draft sent twice at once (a double tap): the first one stored it.
        db.session.rollback()
        earlier = sent_card_reference(db.session, draft.token, secret)
        if earlier is None:
            raise
        return _thanks(earlier, digest)
    except Exception as exc:
        # Whatever failed, nothing was stored: the donor gets her form back, not a dead end.
        db.session.rollback()
        log.error("sending a card failed: %s", type(exc).__name__)
        failed = _(
            "Something went wrong on our side and your card has not been sent. "
            "Your text is still here: please press “Send the card” again in a minute."
        )
        return write_page(write_form(public), campaign, status=503, general_error=failed)
    if not submission.repeated:
        count_send(connection, sender)
    return _thanks(submission.reference, digest)


def _thanks(reference: str, digest: str) -> BaseResponse:
    remember_sent(reference, digest)
    session.pop("draft", None)
    # Its own fragment: a redirect keeps the form's (#write-form) unless it names one.
    response = make_response(
        redirect(url_for("donate.thanks", reference=reference, _anchor="sent-card"), code=303)
    )
    _remember_browser(response)
    return response


def _too_fast(refusal: str) -> str:
    if refusal == "browser":
        return _(
            "You have sent several cards in a short time. Your card has not been sent yet; "
            "your text is still here. Please wait ten minutes and press “Send the card” again."
        )
    return _(
        "Many cards are being sent right now. Your card has not been sent yet; your text "
        "is still here. Please wait a minute and press “Send the card” again."
    )


def _in_language(public: PublicView, campaign: Campaign, code: str) -> Response:
    """The same form with the same draft, in another language (works without JavaScript)."""
    code = code if code in LANGUAGES else language()
    with force_locale(code):
        html, status = write_page(write_form(public), campaign)
    response = make_response(html, status)
    remember_language(response, code)
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


def _sender() -> Sender:
    """This browser and this address, as keyed hashes under the hour's key."""
    token = request.cookies.get(DONOR_COOKIE, "")
    if len(token) != 43 or not token.replace("-", "").replace("_", "").isalnum():
        token = secrets.token_urlsafe(32)
    request.environ["cardsapp.donor_token"] = token
    key = hashing_key()
    return Sender(
        browser=keyed_hash(key, "browser:" + token),
        address=keyed_hash(key, "address:" + (request.remote_addr or "unknown")),
    )


def _remember_browser(response: BaseResponse) -> None:
    """Set the random per-browser token (the server keeps only its keyed hash)."""
    token = request.environ.get("cardsapp.donor_token")
    if token and token != request.cookies.get(DONOR_COOKIE):
        set_lasting_cookie(response, DONOR_COOKIE, token)


def _campaign_if_writing() -> tuple[PublicView | None, Campaign | None]:
    """The campaign of a posted writing form, for an error handler (None when there is none)."""
    if request.endpoint != "donate.write" or request.method != "POST":
        return None, None
    try:
        return current_campaign()
    except HTTPException:
        return None, None


@bp.errorhandler(CSRFError)
def _expired(_exc: CSRFError) -> tuple[str | Response, int]:
    """An expired form: the same form with a fresh token and the text, not a dead end."""
    public, campaign = _campaign_if_writing()
    if campaign is not None:
        sentence = _(
            "This page was open for a long time, so we could not accept the form. Your card "
            "has not been sent yet; your text is still here. Please press “Send the card” again."
        )
        assert public is not None
        return write_page(write_form(public), campaign, status=400, general_error=sentence)
    title = _("This page was open for too long")
    detail = _("Please open the page again. Nothing was sent.")
    if request.endpoint == "donate.preview":
        return jsonify(errors={"form": detail}), 400
    return render_template("error.html", status=400, title=title, detail=detail), 400


@bp.errorhandler(RateLimitExceeded)
def _too_many(_exc: RateLimitExceeded) -> tuple[str | Response, int]:
    """Too fast: say so beside the form and keep everything the donor wrote."""
    sentence = _("You are going a little too fast. Please wait a minute and try again.")
    public, campaign = _campaign_if_writing()
    if public is not None and campaign is not None:
        return write_page(write_form(public), campaign, status=429, general_error=sentence)
    if request.endpoint == "donate.preview":
        return jsonify(errors={"form": sentence}), 429
    title = _("Too many requests")
    return render_template("error.html", status=429, title=title, detail=sentence), 429
