"""Claiming approved cards into a batch, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cardsapp.domain.envelopes import (
    BatchPlan,
    CandidateCard,
    RecipientState,
    plan_batch,
    renew_codes,
)
from cardsapp.models import (
    Batch,
    BatchLayout,
    Campaign,
    Card,
    CardClaim,
    CardStatus,
    Envelope,
    Recipient,
    utcnow,
)
from cardsapp.services.batches.policy import (
    BATCH_QUEUE,
    BUILD_JOB,
    MAX_CARDS,
    SCAN_FACTOR,
    SCAN_PAGE,
    BatchError,
    BatchNotFound,
    ClaimConflict,
    FreshTransactionNeeded,
    NothingToBatch,
)

log = logging.getLogger(__name__)


def begin_write_transaction(session: Session) -> Connection:
    """Start the transaction that claims; on SQLite take the write lock up front."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        # pysqlite opens its own (deferred) transaction before the first write; we want the
        # database's write lock before the first read, so we issue BEGIN IMMEDIATE ourselves.
        if raw is None or raw.in_transaction:  # type: ignore[attr-defined]
            raise FreshTransactionNeeded("claim in a session with no write pending")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    return connection


def _candidates(
    session: Session, campaign_id: int, limit: int, lock: bool
) -> Iterator[CandidateCard]:
    """Approved, unbatched cards oldest first, in pages; locked (SKIP LOCKED) on PostgreSQL."""
    after = 0
    seen = 0
    while seen < limit:
        query = (
            select(Card.id, Card.recipient_id, Card.recipient_chosen)
            .where(
                Card.campaign_id == campaign_id,
                Card.status == CardStatus.APPROVED,
                Card.batch_id.is_(None),
                Card.id > after,
            )
            .order_by(Card.id)
            .limit(min(SCAN_PAGE, limit - seen))
        )
        if lock:
            query = query.with_for_update(skip_locked=True, of=Card)
        rows = session.execute(query).all()
        for card_id, recipient_id, chosen in rows:
            yield CandidateCard(card_id, recipient_id if chosen else None)
        if len(rows) < SCAN_PAGE:
            return
        seen += len(rows)
        after = rows[-1][0]


def _recipient_states(session: Session, campaign: Campaign, lock: bool) -> list[RecipientState]:
    """Every recipient of the campaign with her counts and caps; locked on PostgreSQL."""
    query = (
        select(
            Recipient.id,
            Recipient.cards_assigned,
            Recipient.cap_per_batch,
            Recipient.cap_per_campaign,
            Recipient.paused,
        )
        .where(Recipient.campaign_id == campaign.id)
        .order_by(Recipient.id)
    )
    if lock:
        # Fairness and caps read counts that concurrent claims change: claims queue here
        # for a moment (after their cards are safely their own), never on each other's cards.
        query = query.with_for_update(of=Recipient)
    return [
        RecipientState(
            id=rid,
            assigned=assigned,
            cap_per_batch=per_batch if per_batch is not None else campaign.cap_per_batch,
            cap_per_campaign=per_campaign
            if per_campaign is not None
            else campaign.cap_per_campaign,
            paused=paused,
        )
        for rid, assigned, per_batch, per_campaign, paused in session.execute(query).all()
    ]


def create_batch(
    session: Session,
    campaign_id: int,
    max_cards: int,
    layout: BatchLayout = BatchLayout.HOME_A4,
    created_by_id: int | None = None,
) -> Batch:
    """Claim up to `max_cards` cards into a new batch and enqueue its build after commit.

    Call it in a fresh session (it starts the claiming transaction); the caller commits.
    """
    from cardsapp.queue import enqueue_after_commit
    from cardsapp.services.audit import AuditAction, record_event

    if not 1 <= max_cards <= MAX_CARDS:
        raise BatchError(f"a batch holds 1 to {MAX_CARDS} cards")
    connection = begin_write_transaction(session)
    lock = connection.dialect.name == "postgresql"
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise BatchNotFound("no such campaign")
    # Cards first (SKIP LOCKED: concurrent claims take disjoint cards), then recipients.
    candidates = list(_candidates(session, campaign_id, max_cards * SCAN_FACTOR, lock))
    if not candidates:
        raise NothingToBatch("no approved cards are waiting")
    plan = plan_batch(candidates, _recipient_states(session, campaign, lock), max_cards)
    if not plan.card_count:
        raise NothingToBatch("every recipient is paused or has all the cards she may receive")

    now = utcnow()
    batch = Batch(
        campaign_id=campaign_id,
        layout=layout,
        card_count=plan.card_count,
        envelope_count=len(plan.envelopes),
        created_by_id=created_by_id,
        attempts=1,
        heartbeat_at=now,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    _write_plan(session, batch, plan)
    batch.job_id = job_id_of(batch)
    enqueue_after_commit(session, BUILD_JOB, batch.id, queue=BATCH_QUEUE, job_id=batch.job_id)
    record_event(
        session,
        created_by_id,
        AuditAction.BATCH_CREATED,
        target=f"batch:{batch.code}",
        cards=batch.card_count,
        envelopes=batch.envelope_count,
    )
    return batch


def job_id_of(batch: Batch) -> str:
    """The RQ job id of the batch's current attempt."""
    return f"batch-{batch.id}-{batch.attempts}"


def _write_plan(session: Session, batch: Batch, plan: BatchPlan) -> None:
    """Envelopes, claims, cards and recipients' counts for a planned batch."""
    codes = [e.code for e in plan.envelopes]
    taken: set[str] = set()
    for start in range(0, len(codes), 500):
        taken.update(
            session.scalars(
                select(Envelope.code).where(Envelope.code.in_(codes[start : start + 500]))
            )
        )
    if taken:
        renew_codes(plan, taken)
    envelopes = [
        Envelope(
            batch_id=batch.id,
            recipient_id=e.recipient_id,
            code=e.code,
            position=position,
            card_count=len(e.card_ids),
        )
        for position, e in enumerate(plan.envelopes, start=1)
    ]
    session.add_all(envelopes)
    session.flush()
    claims = []
    moves = []
    for envelope, planned in zip(envelopes, plan.envelopes, strict=True):
        for position, card_id in enumerate(planned.card_ids, start=1):
            claims.append({"card_id": card_id, "batch_id": batch.id})
            moves.append(
                {
                    "id": card_id,
                    "status": CardStatus.BATCHED,
                    "batch_id": batch.id,
                    "envelope_id": envelope.id,
                    "position_in_envelope": position,
                    "recipient_id": planned.recipient_id,
                }
            )
    try:
        # The primary key on card_claims.card_id is the last word: a card claimed twice fails
        # the whole transaction, so it can never sit in two batches.
        session.execute(CardClaim.__table__.insert(), claims)
    except IntegrityError as exc:
        raise ClaimConflict("another batch claimed some of these cards; try again") from exc
    session.execute(update(Card), moves)
    for recipient_id, count in plan.cards_per_recipient().items():
        session.execute(
            update(Recipient)
            .where(Recipient.id == recipient_id)
            .values(cards_assigned=Recipient.cards_assigned + count)
        )
