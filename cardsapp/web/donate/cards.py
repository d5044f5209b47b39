"""A sent card, for its donor: the thanks page and its picture."""

from __future__ import annotations

from flask import Response, abort, render_template, session
from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import Campaign, Card
from cardsapp.render.card import layout_card
from cardsapp.services.counter import read_counter
from cardsapp.web.donate import bp
from cardsapp.web.donate.campaign import available_designs
from cardsapp.web.donate.pictures import jpeg, render

REMEMBERED_CARDS = 5


def remember_sent(reference: str) -> None:
    """Let this browser see the card again (its thanks page), and only this browser."""
    others = [r for r in session.get("sent", []) if r != reference]
    session["sent"] = [reference, *others][:REMEMBERED_CARDS]


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
