"""The public participant counter: aggregate counts only, kept as counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
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


def count_card(session: Session, campaign_id: int) -> None:
    """Add one card to the counter, atomically in the database."""
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(cards_count=Campaign.cards_count + 1)
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
            select(func.count(Participant.id)).where(Participant.campaign_id == campaign_id)
        )
        or 0
    )
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(cards_count=cards, participants_count=participants)
    )
    return CounterReading(participants=participants, cards=cards, updated=utcnow())
