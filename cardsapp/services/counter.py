"""The public participant counter: aggregate counts only, kept as counters.

The rule, the same on /, /api/counter, the badges and every campaign's pages: a card counts
once it is sent and while it is not rejected; a person (one browser) counts while she has
at least one card that counts. A rejection takes the card off, and its sender too when it
was her last. The card keeps a link to its sender only while it waits for review: after
the decision nothing ties cards to the browser that sent them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cardsapp.models import Campaign, Card, CardStatus, Participant, utcnow


@dataclass(frozen=True)
class CounterReading:
    participants: int
    cards: int
    updated: datetime


def read_counter(session: Session, campaign_id: int) -> CounterReading:
    """One primary-key read, whatever the number of cards."""
    row = session.execute(
        select(Campaign.participants_count, Campaign.cards_count).where(Campaign.id == campaign_id)
    ).one()
    return CounterReading(participants=row[0], cards=row[1], updated=utcnow())


def count_card(session: Session, campaign_id: int, *, new_participant: bool = False) -> None:
    """Add one card (and its browser, when new) to the counter, atomically in the database."""
    campaigns = cast(Table, Campaign.__table__)
    values = {"cards_count": campaigns.c.cards_count + 1}
    if new_participant:
        values["participants_count"] = campaigns.c.participants_count + 1
    # A plain UPDATE on the table: the ORM's first looks for the campaign among the session's
    # objects to change them too, which cost more than the statement itself.
    session.connection().execute(
        update(campaigns).where(campaigns.c.id == campaign_id).values(values)
    )


def uncount_card(session: Session, campaign_id: int, participant_id: int | None = None) -> None:
    """Take a rejected card off the public count (and its sender, if it was her last card)."""
    values: dict[str, object] = {"cards_count": Campaign.cards_count - 1}
    if participant_id is not None:
        left = session.scalar(
            update(Participant)
            .where(Participant.id == participant_id, Participant.live_cards > 0)
            .values(live_cards=Participant.live_cards - 1)
            .returning(Participant.live_cards)
        )
        if left == 0:
            # Never below zero: two-argument max() is SQLite's spelling of greatest().
            larger = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
            values["participants_count"] = larger(Campaign.participants_count - 1, 0)
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.cards_count > 0)
        .values(values)
        .execution_options(synchronize_session=False)
    )


def participant_hash(secret_key: str, browser_token: str) -> str:
    """The keyed hash under which a browser's random token is kept (never the token itself)."""
    return hmac.new(
        secret_key.encode(), b"participant:" + browser_token.encode(), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class CountedSender:
    participant_id: int
    new: bool  # True when this card makes her count (first card, or first since rejections)


def add_participant_card(session: Session, campaign_id: int, token_hash: str) -> CountedSender:
    """Record one more counting card for this browser; safe under concurrent submits.

    The caller counts it: `count_card(..., new_participant=sender.new)`.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    participants = cast(Table, Participant.__table__)
    statement = insert(participants).values(
        campaign_id=campaign_id, token_hash=token_hash, live_cards=1
    )
    row = (
        session.connection()
        .execute(
            statement.on_conflict_do_update(
                index_elements=["campaign_id", "token_hash"],
                set_={"live_cards": participants.c.live_cards + 1},
            ).returning(participants.c.id, participants.c.live_cards)
        )
        .one()
    )
    return CountedSender(participant_id=row[0], new=row[1] == 1)


def add_participant(session: Session, campaign_id: int, token_hash: str) -> bool:
    """Record a browser once per campaign; True when it was new. Safe under concurrent submits.

    The caller counts it: `count_card(..., new_participant=True)`.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # ON CONFLICT DO NOTHING: two cards sent at once from one browser still count it once,
    # without a failed INSERT spoiling the caller's transaction.
    participants = cast(Table, Participant.__table__)
    return (
        session.connection()
        .execute(
            insert(participants)
            .values(campaign_id=campaign_id, token_hash=token_hash)
            .on_conflict_do_nothing(index_elements=["campaign_id", "token_hash"])
            .returning(participants.c.id)
        )
        .first()
        is not None
    )


def recount(session: Session, campaign_id: int) -> CounterReading:
    """Recompute the counters from the rows (a periodic repair, not for requests)."""
    counted = (
        CardStatus.SUBMITTED,
        CardStatus.APPROVED,
        CardStatus.BATCHED,
        CardStatus.PRINTED,
        CardStatus.MAILED,
    )
    cards = (
        session.scalar(
            select(func.count(Card.id)).where(
                Card.campaign_id == campaign_id, Card.status.in_(counted)
            )
        )
        or 0
    )
    participants = (
        session.scalar(
            select(func.count(Participant.id)).where(
                Participant.campaign_id == campaign_id, Participant.live_cards > 0
            )
        )
        or 0
    )
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(cards_count=cards, participants_count=participants)
    )
    return CounterReading(participants=participants, cards=cards, updated=utcnow())
