"""A sent card, for its donor: the thanks page, its picture, and what became of it."""

from __future__ import annotations

from flask import Response, abort, make_response, render_template, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cardsapp.domain.moderation import RejectionReason
from cardsapp.extensions import db, limiter
from cardsapp.models import Campaign, Card
from cardsapp.render.card import layout_card
from cardsapp.services.counter import read_counter
from cardsapp.services.status import card_fate
from cardsapp.web.donate import bp
from cardsapp.web.donate.campaign import available_designs, config
from cardsapp.web.donate.pictures import jpeg, render

REMEMBERED_CARDS = 5
# Why a card was not printed, as its donor is told: the category only, never a note.
DONOR_REASONS = {
    RejectionReason.POLITICS: _l("it mentions politics, slogans or symbols, which a censor stops"),
    RejectionReason.CONTACT_DETAILS: _l("it has links, phone numbers or other contacts"),
    RejectionReason.NAMES: _l("it has full names or other details that could identify someone"),
    RejectionReason.UNKIND: _l("it could upset or frighten the person reading it"),
    RejectionReason.NOT_A_CARD: _l("it did not look like a card"),
    RejectionReason.OTHER: _l("another reason"),
}


def remember_sent(reference: str, digest: str = "") -> None:
    """Let this browser see the card again (its thanks page), and only this browser; with
    the digest of what was sent, the same draft sent again from a page that forgot its draft
    token (Back to a reloaded form) finds the card too."""
    others = [r for r in session.get("sent", []) if r != reference]
    session["sent"] = [reference, *others][:REMEMBERED_CARDS]
    if digest:
        drafts = [(d, r) for d, r in session.get("sent_drafts", []) if d != digest]
        session["sent_drafts"] = [(digest, reference), *drafts][:REMEMBERED_CARDS]


def sent_from_here(digest: str) -> str | None:
    """The card this browser sent with exactly this draft, if it sent one lately."""
    return next((r for d, r in session.get("sent_drafts", []) if d == digest), None)


@bp.get("/thanks/<reference>")
def thanks(reference: str) -> str:
    """Thank you, the card's picture and reference, and the counter."""
    card = _own_card(reference)
    return render_template(
        "donate/thanks.html",
        card=card,
        campaign_slug=db.session.scalar(
            select(Campaign.slug).where(Campaign.id == card.campaign_id)
        ),
        counter=read_counter(db.session, card.campaign_id),
    )


@bp.get("/thanks/<reference>/card.jpg")
def thanks_image(reference: str) -> Response:
    """The picture of a card this browser has just sent."""
    card = _own_card(reference)
    design = available_designs().get(card.design_slug)
    if design is None or card.message is None:
        abort(404)
    return jpeg(render(design, layout_card(design, card.message, card.signature or "")))


def _own_card(reference: str) -> Card:
    """Only the browser that sent a card may see it again: other donors' messages stay private."""
    if reference not in session.get("sent", []):
        abort(404)
    card = db.session.scalars(select(Card).where(Card.reference == reference)).first()
    if card is None:
        abort(404)
    return card


def _status_limit() -> str:
    return config().rate_limit_status


@bp.get("/status/<reference>")
@limiter.limit(_status_limit)
def card_status(reference: str) -> Response:
    """What became of a card, for whoever has its reference: nothing else is asked or kept."""
    fate = card_fate(db.session, reference.strip().upper())
    reason = DONOR_REASONS.get(fate.reason) if fate and fate.reason else None
    page = render_template("donate/status.html", fate=fate, reason=reason, reference=reference)
    response = make_response(page, 200 if fate else 404)
    response.headers["Cache-Control"] = "no-store"
    return response
