"""The donor's pages: the campaign, writing, preview, thanks, the badge and the language switch."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from sqlalchemy import select

from cardsapp.config import Config
from cardsapp.domain.layout import Layout
from cardsapp.domain.text import grapheme_count
from cardsapp.extensions import db, limiter
from cardsapp.i18n import LANG_COOKIE, LANGUAGES
from cardsapp.models import Campaign, Card
from cardsapp.render.card import layout_card
from cardsapp.render.designs import Design, designs
from cardsapp.render.preview import compose_thumbnail, preview_jpeg
from cardsapp.services.campaigns import CampaignPhase, campaign_phase
from cardsapp.services.counter import read_counter
from cardsapp.services.public import PublicView
from cardsapp.services.submissions import (
    Draft,
    DraftRefused,
    WritingClosed,
    check_draft,
    offered_designs,
    submit_card,
)
from cardsapp.web import public_view
from cardsapp.web.donate import bp
from cardsapp.web.donate.forms import WriteForm, posted_draft, posted_is_bot, posted_preview
from cardsapp.web.donate.messages import error_sentence
from cardsapp.web.shared import share

DONOR_COOKIE = "cardsapp_donor"
PREVIEW_WIDTH_PX = 1000
THUMBNAIL_WIDTH_PX = 320
# Rendering is the one costly thing a stranger can ask for: a few at a time per process, so
# that a flood (even with Redis, and so the rate limits, down) cannot take every CPU.
_RENDER_SLOTS = threading.BoundedSemaphore(4)
_RENDER_WAIT_S = 5
_REMEMBERED_CARDS = 5


def _config() -> Config:
    return current_app.extensions["cardsapp.config"]


def _write_limit() -> str:
    return _config().rate_limit_write


def _preview_limit() -> str:
    return _config().rate_limit_preview


def _is_preview_request() -> bool:
    return request.method == "POST" and "preview" in request.form


def _available() -> Mapping[str, Design]:
    return designs(_config().designs_dir)


def _language() -> str:
    return str(get_locale() or "en")


@bp.get("/")
def landing() -> str:
    """The campaign, its counter and the way to write."""
    public = public_view()
    campaign = public.campaign
    if campaign is None:
        return render_template("donate/no_campaign.html")

    def page() -> str:
        return render_template(
            "donate/landing.html",
            campaign=campaign,
            phase=campaign_phase(campaign),
            counter=public.counter,
        )

    if not _same_for_everyone():
        return page()
    language = _language()
    share(public, language)
    return public.page(("landing", language), page)


def _same_for_everyone() -> bool:
    """A plain visit: no staff login, no message waiting to be shown, no query string.

    Such a visitor's page may be made once and shown to every other such visitor.
    """
    return (
        not request.query_string and "_flashes" not in session and not current_user.is_authenticated
    )


@bp.route("/write", methods=["GET", "POST"])
@limiter.limit(_write_limit, methods=["POST"], exempt_when=_is_preview_request)
@limiter.shared_limit(
    _preview_limit, "preview", methods=["POST"], exempt_when=lambda: not _is_preview_request()
)
def write() -> Response | str | tuple[str, int]:
    """The writing form; its Preview button works without JavaScript, its Send stores the card."""
    public = public_view()
    campaign = public.campaign
    if campaign is None:
        return render_template("donate/no_campaign.html")
    if request.method == "GET" and _same_for_everyone():
        return _blank_write_page(public, campaign)
    phase = campaign_phase(campaign)
    if request.method == "GET" or phase is not CampaignPhase.OPEN:
        status = 200 if request.method == "GET" else 409
        return _write_page(_write_form(public), campaign, status=status)
    # A card sent as it should be is read without building the form (WTForms), which only
    # the pages that show the form again need.
    if posted_is_bot(request.form):
        return _write_page(_write_form(public), campaign, status=400, honeypot_error=True)
    if posted_preview(request.form):
        return _no_script_preview(_write_form(public), campaign)
    try:
        submission = submit_card(
            db.session,
            campaign,
            posted_draft(request.form),
            _available(),
            browser_token=_browser_token(),
            secret_key=current_app.config["SECRET_KEY"],
        )
    except DraftRefused as refused:
        db.session.rollback()
        form = _write_form(public)
        return _write_page(form, campaign, status=422, errors=_sentences(refused))
    except WritingClosed:
        db.session.rollback()
        return _write_page(_write_form(public), campaign, status=409)
    reference = submission.reference
    db.session.commit()
    session["sent"] = [reference, *session.get("sent", [])][:_REMEMBERED_CARDS]
    session.pop("draft", None)
    response = redirect(url_for("donate.thanks", reference=reference), code=303)
    _remember_browser(response)
    return response


# Holds the place of the visitor's form token in the blank writing page kept for everyone.
_VISITOR_FIELD_PLACE = "\x00form-token\x00"


def _blank_write_page(public: PublicView, campaign: Campaign) -> str:
    """The empty writing page, made once per language; only its form token is the visitor's."""
    token = generate_csrf()

    def page() -> str:
        html, _status = _write_page(_write_form(public), campaign)
        return html.replace(token, _VISITOR_FIELD_PLACE)

    return public.page(("write", _language()), page).replace(_VISITOR_FIELD_PLACE, token)


def _write_form(public: PublicView) -> WriteForm:
    assert public.campaign is not None
    form = WriteForm()
    language = _language()
    form.set_choices(
        [(d.slug, d.title(language)) for d in offered_designs(public.campaign, _available())],
        list(public.recipients),
    )
    return form


def _write_page(
    form: WriteForm,
    campaign: Campaign,
    *,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    preview_url: str | None = None,
    honeypot_error: bool = False,
    general_error: str | None = None,
) -> tuple[str, int]:
    language = _language()
    page = render_template(
        "donate/write.html",
        form=form,
        campaign=campaign,
        phase=campaign_phase(campaign),
        designs=[(d, d.title(language)) for d in offered_designs(campaign, _available())],
        errors=errors or {},
        preview_url=preview_url,
        honeypot_error=honeypot_error,
        general_error=general_error,
        count_forms=_count_forms(),
        characters_left=campaign.max_message_length - grapheme_count(form.message.data or ""),
    )
    return page, status


def _count_forms() -> dict[str, dict[str, str]]:
    """Every plural form of the live counter's sentences, for write.js to pick with Intl."""
    samples = {"one": 1, "few": 2, "many": 5, "other": 5}
    return {
        "left": {
            category: ngettext(
                "%(count)s character left", "%(count)s characters left", n, count="{n}"
            )
            for category, n in samples.items()
        },
        "over": {
            category: ngettext(
                "%(count)s character too many", "%(count)s characters too many", n, count="{n}"
            )
            for category, n in samples.items()
        },
    }


def _sentences(refused: DraftRefused) -> dict[str, str]:
    return {field: error_sentence(error) for field, error in refused.errors.items()}


def _no_script_preview(form: WriteForm, campaign: Campaign) -> tuple[str, int]:
    """Check the draft; keep it in the donor's own session cookie for the image request."""
    try:
        checked = check_draft(db.session, campaign, form.draft(), _available())
    except DraftRefused as refused:
        return _write_page(form, campaign, status=422, errors=_sentences(refused))
    nonce = secrets.token_hex(4)
    # The draft travels only in the donor's signed session cookie: never in a URL (which a
    # proxy could log), Redis or the database.
    session["draft"] = {
        "d": checked.design.slug,
        "m": checked.message,
        "s": checked.signature,
        "n": nonce,
    }
    return _write_page(form, campaign, preview_url=url_for("donate.draft_image", v=nonce))


@bp.post("/preview")
@limiter.shared_limit(_preview_limit, "preview")
def preview() -> Response | tuple[Response, int]:
    """The card exactly as it will print, as a JPEG; 422 with the reasons when it cannot be."""
    public = public_view()
    campaign = public.campaign
    if campaign is None:
        abort(404)
    try:
        checked = check_draft(db.session, campaign, posted_draft(request.form), _available())
    except DraftRefused as refused:
        sentences = _sentences(refused)
        if request.accept_mimetypes.best == "application/json" or request.headers.get(
            "X-Requested-With"
        ):
            return jsonify(errors=sentences), 422
        body = "\n".join(sentences.values())
        return Response(body, status=422, mimetype="text/plain"), 422
    return _jpeg(_render(checked.design, checked.layout))


@bp.get("/preview.jpg")
@limiter.shared_limit(_preview_limit, "preview")
def draft_image() -> Response:
    """The no-JavaScript preview's picture, from the draft in the donor's session."""
    draft = session.get("draft")
    campaign = public_view().campaign
    if not isinstance(draft, dict) or campaign is None:
        abort(404)
    try:
        checked = check_draft(
            db.session,
            campaign,
            Draft(
                design=draft.get("d", ""), message=draft.get("m", ""), signature=draft.get("s", "")
            ),
            _available(),
        )
    except DraftRefused:
        abort(404)
    return _jpeg(_render(checked.design, checked.layout))


def _render(design: Design, layout: Layout) -> bytes:
    if not _RENDER_SLOTS.acquire(timeout=_RENDER_WAIT_S):
        abort(429)
    try:
        return preview_jpeg(design, layout, width_px=PREVIEW_WIDTH_PX)
    finally:
        _RENDER_SLOTS.release()


def _jpeg(data: bytes, cache: str = "private, no-store") -> Response:
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = cache
    return response


@bp.get("/designs/<slug>.jpg")
def design_thumbnail(slug: str) -> Response:
    """A design's bare artwork for the picker; the same bytes for everyone, cached long."""
    design = _available().get(slug)
    if design is None:
        abort(404)
    response = _jpeg(
        compose_thumbnail(design, width_px=THUMBNAIL_WIDTH_PX), cache="public, max-age=86400"
    )
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/thanks/<reference>")
def thanks(reference: str) -> str:
    """Thank you, the card's picture and reference, and the counter."""
    card = _own_card(reference)
    return render_template(
        "donate/thanks.html",
        card=card,
        counter=read_counter(db.session, card.campaign_id),
    )


@bp.get("/thanks/<reference>/card.jpg")
def thanks_image(reference: str) -> Response:
    """The picture of a card this browser has just sent."""
    card = _own_card(reference)
    design = _available().get(card.design_slug)
    if design is None or card.message is None:
        abort(404)
    return _jpeg(_render(design, layout_card(design, card.message, card.signature or "")))


def _own_card(reference: str) -> Card:
    """Only the browser that sent a card may see it again: other donors' messages stay private."""
    if reference not in session.get("sent", []):
        abort(404)
    card = db.session.scalars(select(Card).where(Card.reference == reference)).first()
    if card is None:
        abort(404)
    return card


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
        response.set_cookie(
            DONOR_COOKIE,
            token,
            max_age=365 * 86400,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )


@bp.get("/counter.svg")
def counter_badge() -> Response:
    """An embeddable badge: "N people have written M cards", in ?lang= or the browser's language."""
    reading = public_view().counter
    participants = reading.participants if reading else 0
    cards = reading.cards if reading else 0
    language = request.args.get("lang")
    with force_locale(language if language in LANGUAGES else _language()):
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


@bp.errorhandler(RateLimitExceeded)
def _too_many(_exc: RateLimitExceeded) -> tuple[str | Response, int]:
    """Too fast: say so beside the form and keep everything the donor wrote."""
    sentence = _("You are sending very quickly. Please wait a minute and try again.")
    if request.endpoint == "donate.write":
        public = public_view()
        if public.campaign is not None:
            return _write_page(
                _write_form(public), public.campaign, status=429, general_error=sentence
            )
    if request.endpoint == "donate.preview":
        return jsonify(errors={"form": sentence}), 429
    title = _("Too many requests")
    return render_template("error.html", status=429, title=title, detail=sentence), 429


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
