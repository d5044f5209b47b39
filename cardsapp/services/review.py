"""Moderation: the queue of submitted cards and the decisions on them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, literal, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from cardsapp.domain.moderation import rejection_text
from cardsapp.domain.states import card_sources
from cardsapp.models import CARD_REJECTED_HELD, Card, CardStatus, Recipient, utcnow
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.counter import uncount_card

PAGE_SIZE = 20
# Counting stops here: "1000+" is all a moderator needs, and the page costs the same at any size.
COUNT_CAP = 1000
# Rejected cards forgotten per transaction by a purge.
PURGE_CHUNK = 5000


class CardNotFound(LookupError):
    """No card with that id."""


class AlreadyDecided(RuntimeError):
    """Another moderator decided this card first; `status` is what they decided."""

    def __init__(self, card_id: int, status: CardStatus) -> None:
        self.card_id = card_id
        self.status = status
        super().__init__(f"card {card_id} is already {status}")


@dataclass(frozen=True)
class QueueEntry:
    card: Card
    recipient_label: str | None


@dataclass(frozen=True)
class QueuePage:
    entries: list[QueueEntry]
    next_after: int | None


@dataclass(frozen=True)
class Waiting:
    count: int
    more: bool  # True when there are more than `count` (the count stopped at the cap)


def list_queue(
    session: Session, campaign_ids: Collection[int], after_id: int = 0, limit: int = PAGE_SIZE
) -> QueuePage:
    """Submitted cards of these campaigns, oldest first, paged by id (keyset, not offset).

    One query per campaign, merged here: a campaign's queue costs the same however many
    cards the others hold.
    """
    rows = [
        row
        for campaign_id in sorted(set(campaign_ids))
        for row in session.execute(
            select(Card, Recipient.public_label)
            .outerjoin(Recipient, Recipient.id == Card.recipient_id)
            .where(Card.id.in_(_page_ids(campaign_id, after_id, limit + 1)))
            .order_by(Card.id)
        ).all()
    ]
    rows.sort(key=lambda row: row[0].id)
    entries = [QueueEntry(card, label) for card, label in rows[:limit]]
    more = len(rows) > limit
    return QueuePage(entries, entries[-1].card.id if more and entries else None)


def _page_ids(campaign_id: int, after_id: int, limit: int) -> Select[Any]:
    """The ids of one campaign's next page of submitted cards, from ix_cards_queue alone."""
    # An index-only scan of ix_cards_queue, by a row comparison no other index can serve;
    # only the page's rows are then read. Ordered by id alone, the planner may walk the
    # primary key of a table stored in id order (as after a restore) and filter past every
    # mailed card. `id > after` as well, which SQLite needs to start the range at the page.
    # Guarded by tests/integration/test_query_plans.py.
    return (
        select(Card.id)
        .where(
            Card.campaign_id == campaign_id,
            Card.status == CardStatus.SUBMITTED,
            Card.id > after_id,
            tuple_(Card.campaign_id, Card.status, Card.id)
            > tuple_(literal(campaign_id), literal(CardStatus.SUBMITTED.value), literal(after_id)),
        )
        .order_by(Card.campaign_id, Card.status, Card.id)
        .limit(limit)
    )


def count_waiting(session: Session, campaign_id: int, cap: int = COUNT_CAP) -> Waiting:
    """How many cards wait, counted up to `cap` so that the cost does not grow with the queue."""
    capped = (
        select(Card.id)
        .where(Card.campaign_id == campaign_id, Card.status == CardStatus.SUBMITTED)
        .limit(cap + 1)
        .subquery()
    )
    found = session.scalar(select(func.count()).select_from(capped)) or 0
    return Waiting(min(found, cap), found > cap)


def decide_card(
    session: Session,
    card_id: int,
    moderator_id: int,
    approve: bool,
    reason: str = "",
    note: str = "",
) -> CardStatus:
    """Approve or reject a submitted card exactly once; the caller commits.

    Raises AlreadyDecided when another moderator got there first, CardNotFound for no card,
    and ReasonMissing for a rejection without a usable reason.
    """
    target = CardStatus.APPROVED if approve else CardStatus.REJECTED
    stored_reason = None if approve else rejection_text(reason, note)
    sources = list(card_sources(target))
    # Read before the decision drops it (see services/counter.py for why the link is short).
    sender = session.scalar(select(Card.participant_id).where(Card.id == card_id))
    # A conditional UPDATE: of two moderators deciding at once, exactly one changes the row;
    # the other's WHERE no longer matches once the first commits.
    changed = cast(
        CursorResult[Any],
        session.execute(
            update(Card)
            .where(Card.id == card_id, Card.status.in_(sources))
            .values(
                status=target,
                decided_at=utcnow(),
                decided_by_id=moderator_id,
                rejection_reason=stored_reason,
                participant_id=None,
            )
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    row = session.execute(
        select(Card.status, Card.campaign_id).where(Card.id == card_id)
    ).one_or_none()
    if row is None:
        raise CardNotFound(card_id)
    if changed != 1:
        raise AlreadyDecided(card_id, row.status)
    if target is CardStatus.REJECTED:
        uncount_card(session, row.campaign_id, sender)
        record_event(
            session,
            moderator_id,
            AuditAction.CARD_REJECTED,
            f"card:{card_id}",
            reason=reason,
            note=bool(note.strip()),
        )
    else:
        record_event(session, moderator_id, AuditAction.CARD_APPROVED, f"card:{card_id}")
    # Objects already loaded in this session must not show the old state.
    loaded = session.identity_map.get(identity_key(Card, card_id))
    if loaded is not None:
        session.expire(loaded)
    return target


@dataclass(frozen=True)
class BulkResult:
    approved: list[int]
    already_decided: list[int]
    flagged: list[int]


def approve_unflagged(
    session: Session, card_ids: Iterable[int], moderator_id: int, campaign_ids: Collection[int]
) -> BulkResult:
    """Approve the listed cards that carry no flag (the page a moderator has just read)."""
    wanted = sorted({int(i) for i in card_ids})[:200]
    cards = session.scalars(
        select(Card).where(Card.id.in_(wanted), Card.campaign_id.in_(list(campaign_ids)))
    ).all()
    approved: list[int] = []
    already: list[int] = []
    flagged: list[int] = []
    for card in sorted(cards, key=lambda c: c.id):
        if card.flags:
            flagged.append(card.id)
            continue
        try:
            decide_card(session, card.id, moderator_id, approve=True)
        except AlreadyDecided:
            already.append(card.id)
        else:
            approved.append(card.id)
    return BulkResult(approved, already, flagged)


def purge_rejected(
    session: Session, retention_days: int, now: datetime | None = None, limit: int = PURGE_CHUNK
) -> int:
    """Forget the texts of up to `limit` cards rejected over `retention_days` ago (they never
    print); call again while it returns `limit`, committing in between."""
    now = now or utcnow()
    # CARD_REJECTED_HELD is ix_cards_rejected_held's condition: with nothing due this reads
    # an empty index range, not the cards table (test_query_plans.py); SKIP LOCKED lets two
    # purges share the work without waiting on each other.
    due = (
        select(Card.id)
        .where(CARD_REJECTED_HELD, Card.decided_at < now - timedelta(days=retention_days))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    result = session.execute(
        update(Card)
        .where(Card.id.in_(due))
        .values(message=None, signature=None, text_key=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
