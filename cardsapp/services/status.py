"""A card's fate for its donor: what became of it, looked up by its reference alone."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cardsapp.domain.moderation import RejectionReason
from cardsapp.models import CODE_ALPHABET, Batch, Campaign, Card, CardStatus

MAX_REFERENCE_LENGTH = 16


class Fate(enum.StrEnum):
    """What a donor is told; never more than the card's place on its way."""

    WAITING = "waiting"  # not yet read by a moderator
    APPROVED = "approved"  # read and approved, waiting for a print batch
    PRINTED = "printed"
    POSTED = "posted"
    NOT_PRINTED = "not_printed"


@dataclass(frozen=True)
class CardFate:
    """A card's fate: never its text, its recipient or when exactly it was sent."""

    fate: Fate
    campaign_title: dict[str, str]
    posted_on: date | None = None
    reason: RejectionReason | None = None


_FATES = {
    CardStatus.SUBMITTED: Fate.WAITING,
    CardStatus.APPROVED: Fate.APPROVED,
    CardStatus.BATCHED: Fate.APPROVED,
    CardStatus.PRINTED: Fate.PRINTED,
    CardStatus.MAILED: Fate.POSTED,
    CardStatus.REJECTED: Fate.NOT_PRINTED,
}


def card_fate(session: Session, reference: str) -> CardFate | None:
    """The fate of the card with this reference; None for one nobody has or one purged.

    A purged card (its text forgotten after retention) answers as an unknown reference
    does, so that the page cannot tell an old card from a made-up code.
    """
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        return None
    if any(c not in CODE_ALPHABET for c in reference):
        return None
    row = session.execute(
        select(Card.status, Card.rejection_reason, Card.batch_id, Campaign.title)
        .join(Campaign, Campaign.id == Card.campaign_id)
        .where(Card.reference == reference, Card.message.is_not(None))
    ).first()
    if row is None:
        return None
    status, stored_reason, batch_id, title = row
    fate = _FATES[status]
    posted_on = None
    if fate is Fate.POSTED and batch_id is not None:
        mailed_at = session.scalar(select(Batch.mailed_at).where(Batch.id == batch_id))
        posted_on = mailed_at.date() if mailed_at else None
    return CardFate(fate, dict(title or {}), posted_on, _reason(stored_reason))


def _reason(stored: str | None) -> RejectionReason | None:
    """The preset category only: a moderator's own note is for staff, never the donor."""
    if not stored:
        return None
    try:
        return RejectionReason(stored.split(":", 1)[0])
    except ValueError:
        return RejectionReason.OTHER
