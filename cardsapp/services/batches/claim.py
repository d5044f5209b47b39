"""Claiming approved cards into a batch, exactly once."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from itertools import islice

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from cardsapp.domain.envelopes import (
    BatchPlan,
    CandidateCard,
    RecipientState,
    plan_batch,
)
from cardsapp.models import (
    CARD_WAITING,
    Batch,
    BatchLayout,
    Campaign,
    Card,
    Recipient,
    utcnow,
)
from cardsapp.services.batches.plan_writes import among, write_plan
from cardsapp.services.batches.policy import (
    BATCH_QUEUE,
    BUILD_JOB,
    MAX_CARDS,
    SCAN_FACTOR,
    SCAN_PAGE,
    BatchError,
    BatchNotFound,
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
        if raw is None or raw.in_transaction:
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
        # CARD_WAITING is ix_cards_waiting's own condition: the walk reads waiting cards only,
        # never the batched ones before them (test_query_plans.py).
        query = (
            select(Card.id, Card.recipient_id, Card.recipient_chosen)
            .where(Card.campaign_id == campaign_id, CARD_WAITING, Card.id > after)
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


def _recipient_states(
    session: Session,
    campaign: Campaign,
    only: Collection[int] | None = None,
    lock: bool = False,
    least_served: int | None = None,
) -> dict[int, RecipientState]:
    """The campaign's recipients (or `only` these, or the `least_served` with room left)
    with their counts and caps."""
    query = select(
        Recipient.id,
        Recipient.cards_assigned,
        Recipient.cap_per_batch,
        Recipient.cap_per_campaign,
        Recipient.paused,
    )
    if least_served is not None:
        room = Recipient.cards_assigned < func.coalesce(
            Recipient.cap_per_campaign, campaign.cap_per_campaign
        )
        queries = [
            query.where(Recipient.campaign_id == campaign.id, Recipient.paused.is_(False), room)
            .order_by(Recipient.cards_assigned, Recipient.id)
            .limit(least_served)
        ]
    elif only is None:
        queries = [query.where(Recipient.campaign_id == campaign.id).order_by(Recipient.id)]
    else:
        wanted = sorted(only)
        queries = [
            query.where(c).order_by(Recipient.id) for c in among(session, Recipient.id, wanted)
        ]
    states = {}
    for part in queries:
        if lock:
            part = part.with_for_update(of=Recipient)
        for rid, assigned, per_batch, per_campaign, paused in session.execute(part):
            states[rid] = RecipientState(
                id=rid,
                assigned=assigned,
                cap_per_batch=per_batch if per_batch is not None else campaign.cap_per_batch,
                cap_per_campaign=per_campaign
                if per_campaign is not None
                else campaign.cap_per_campaign,
                paused=paused,
            )
    return states


def _planning_states(
    session: Session, campaign: Campaign, candidates: list[CandidateCard], max_cards: int
) -> dict[int, RecipientState]:
    """What the plan can use: the `max_cards` least-served recipients with room, and those
    the candidates' donors chose. Read unlocked.

    Enough for the same plan as with every recipient: "any recipient" cards go to the least
    served (by count, then id), so a recipient outside the first `max_cards` could only be
    reached after each of them had been given a card, when the batch is already full. A
    claim reads at most `max_cards` rows, not all ten thousand (tests/unit/test_envelopes.py
    and tests/integration/test_batches.py check fairness).
    """
    states = _recipient_states(session, campaign, least_served=max_cards)
    chosen = {c.recipient_id for c in candidates if c.recipient_id is not None} - states.keys()
    if chosen:
        states.update(_recipient_states(session, campaign, only=chosen))
    return states


def _plan_with_locked_recipients(
    session: Session,
    campaign: Campaign,
    candidates: list[CandidateCard],
    max_cards: int,
    lock: bool,
) -> BatchPlan:
    """Plan on an unlocked read of the recipients, then lock only those the plan gives cards.

    Fairness and caps read counts that concurrent claims change, so the recipients a plan
    uses are locked (FOR UPDATE, in id order) and read again; if any changed meanwhile, the
    plan is made again with what was read, until it rests on locked rows only. Everyone else
    stays free: an admin pausing a recipient this batch does not touch never waits for it.
    On SQLite the claim's BEGIN IMMEDIATE already keeps every other writer out.
    """
    states = _planning_states(session, campaign, candidates, max_cards)
    plan = plan_batch(candidates, states.values(), max_cards)
    if not lock:
        return plan
    locked: dict[int, RecipientState] = {}
    for _ in range(5):
        wanted = set(plan.cards_per_recipient()) - set(locked)
        if not wanted:
            return plan
        fresh = _recipient_states(session, campaign, only=wanted, lock=True)
        locked.update(fresh)
        if fresh.keys() == wanted and all(states[rid] == fresh[rid] for rid in wanted):
            return plan
        for gone in wanted - fresh.keys():
            states.pop(gone)  # deleted since the unlocked read
        states.update(fresh)
        plan = plan_batch(candidates, states.values(), max_cards)
    # Counts kept moving under us: lock the rest of the campaign too, and plan once more.
    states = _recipient_states(session, campaign, lock=True)
    return plan_batch(candidates, states.values(), max_cards)


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
    # As many as the batch holds, and more (up to SCAN_FACTOR times) only while cards for
    # paused or full recipients leave it short: every card read is a card locked.
    source = _candidates(session, campaign_id, max_cards * SCAN_FACTOR, lock)
    # A quarter more than the batch holds at first: cards that wait for a paused or full
    # recipient rarely leave it short then, and a short plan is made again (twice the work).
    candidates = list(islice(source, max_cards + max_cards // 4))
    if not candidates:
        raise NothingToBatch("no approved cards are waiting")
    while True:
        plan = _plan_with_locked_recipients(session, campaign, candidates, max_cards, lock)
        more = list(islice(source, max_cards)) if plan.card_count < max_cards else []
        if not more:
            break
        candidates.extend(more)
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
    write_plan(session, batch, plan)
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
