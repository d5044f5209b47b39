"""Print batches: claim approved cards exactly once, build the PDFs, follow them to the post.

The database is the truth. A batch is claimed in one transaction (PostgreSQL row locks with
SKIP LOCKED, SQLite `BEGIN IMMEDIATE`, and the `card_claims` primary key behind both), then
an RQ job carrying only the batch id builds its files. Building is idempotent: the cards of
a batch never change, files are written to a temporary name and renamed, and a batch whose
job went missing is re-enqueued by `recover_batches`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cardsapp.crypto import AddressBox
from cardsapp.domain.envelopes import (
    BatchPlan,
    CandidateCard,
    RecipientState,
    plan_batch,
    renew_codes,
    routing_code,
)
from cardsapp.domain.moderation import sources_of
from cardsapp.models import (
    Batch,
    BatchLayout,
    BatchStatus,
    Campaign,
    Card,
    CardClaim,
    CardStatus,
    Envelope,
    Recipient,
    utcnow,
)
from cardsapp.render.cards_pdf import PrintCard, cards_per_page, render_cards_pdf
from cardsapp.render.designs import Design
from cardsapp.render.labels_pdf import DEFAULT_SHEET, LabelItem, render_labels_pdf
from cardsapp.render.packing_pdf import PackingHeader, PackingRow, render_packing_pdf

log = logging.getLogger(__name__)

BUILD_JOB = "worker.jobs.build_batch"
BATCH_QUEUE = "batches"
# A build that raises is tried three times; a build lost with its worker (killed, Redis
# emptied) is not the batch's fault and is tried again up to MAX_ATTEMPTS in all.
MAX_FAILURES = 3
MAX_ATTEMPTS = 20
MAX_CARDS = 10_000
# How far past the requested number the claim looks for cards it may take (some wait for a
# paused or full recipient); bounded so that a claim costs the same whatever the backlog.
SCAN_FACTOR = 5
SCAN_PAGE = 1000
HEARTBEAT_EVERY_SECONDS = 2.0
CARDS_FILE = "cards.pdf"
PACKING_FILE = "packing.pdf"
# Where each status may go next: the printer prints, the addresser posts.
BATCH_MOVES: Mapping[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.BUILDING: frozenset({BatchStatus.READY, BatchStatus.FAILED}),
    BatchStatus.READY: frozenset({BatchStatus.PRINTED}),
    BatchStatus.PRINTED: frozenset({BatchStatus.MAILED}),
    BatchStatus.MAILED: frozenset(),
    BatchStatus.FAILED: frozenset(),
}


class BatchError(RuntimeError):
    """A batch request that cannot be carried out; the message is safe to show staff."""


class NothingToBatch(BatchError):
    """No approved card can go into a batch now (none waiting, or every recipient is full)."""


class BatchNotFound(BatchError, LookupError):
    """No batch with that code or id."""


class BatchNotReady(BatchError):
    """The batch's files are not built yet (or the batch failed)."""


class IllegalBatchMove(BatchError):
    """The batch cannot go from its status to the one asked for."""


class ClaimConflict(BatchError):
    """Another claim took one of these cards first; nothing was claimed, try again."""


class FreshTransactionNeeded(BatchError):
    """Claiming must start its own transaction; the session already had one open."""


# --- claiming ------------------------------------------------------------------------------


def _begin_write_transaction(session: Session) -> Connection:
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
    connection = _begin_write_transaction(session)
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
    batch.job_id = _job_id(batch)
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


def _job_id(batch: Batch) -> str:
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


# --- reading ---------------------------------------------------------------------------------


def batch_by_code(session: Session, code: str) -> Batch:
    """The batch with this code, or BatchNotFound."""
    batch = session.scalars(select(Batch).where(Batch.code == code.strip().upper())).first()
    if batch is None:
        raise BatchNotFound("no batch with that code")
    return batch


def recent_batches(session: Session, limit: int = 50, before_id: int | None = None) -> list[Batch]:
    """The newest batches first, paged by id."""
    query = select(Batch).order_by(Batch.id.desc()).limit(limit)
    if before_id:
        query = query.where(Batch.id < before_id)
    return list(session.scalars(query))


def waiting_cards(session: Session, campaign_id: int, cap: int = 10_000) -> tuple[int, bool]:
    """Approved cards not yet in a batch, counted up to `cap` (and whether there are more)."""
    inner = (
        select(Card.id)
        .where(
            Card.campaign_id == campaign_id,
            Card.status == CardStatus.APPROVED,
            Card.batch_id.is_(None),
        )
        .limit(cap + 1)
        .subquery()
    )
    count = session.scalar(select(func.count()).select_from(inner)) or 0
    return min(count, cap), count > cap


def _print_cards(session: Session, batch_id: int, batch_code: str) -> Iterator[PrintCard]:
    """The batch's cards in envelope order with their routing codes, streamed (a batch may
    hold thousands)."""
    query = (
        select(
            Card.design_slug,
            Card.message,
            Card.signature,
            Envelope.code,
            Envelope.card_count,
            Card.position_in_envelope,
        )
        .join(Envelope, Envelope.id == Card.envelope_id)
        .where(Card.batch_id == batch_id)
        .order_by(Envelope.position, Card.position_in_envelope)
        .execution_options(yield_per=500)
    )
    for slug, message, signature, envelope, count, position in session.execute(query):
        routing = routing_code(batch_code, envelope, position, count)
        yield PrintCard(slug, message or "", signature or "", routing)


def batch_files(data_dir: Path, batch: Batch) -> dict[str, Path]:
    """Where the batch's files live."""
    folder = Path(data_dir) / batch.code
    return {"cards": folder / CARDS_FILE, "packing": folder / PACKING_FILE}


# --- building --------------------------------------------------------------------------------


def build_batch(
    session: Session,
    batch_id: int,
    data_dir: Path,
    designs: Mapping[str, Design],
    progress: Callable[[int, int], None] | None = None,
) -> Batch:
    """Render the cards PDF and packing list of a building batch; mark it ready.

    Safe to run twice or after a crash: the cards of a batch never change, files go to a
    temporary name first, and a batch that is no longer building is left alone.
    """
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise BatchNotFound("no such batch")
    if batch.status != BatchStatus.BUILDING:
        return batch
    code, layout, total = batch.code, BatchLayout(batch.layout).value, batch.card_count
    files = batch_files(data_dir, batch)
    folder = files["cards"].parent
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(folder)
    if progress is not None:
        progress(0, total)

    with _replace_when_done(files["cards"]) as part:
        render_cards_pdf(
            part,
            _print_cards(session, batch_id, code),
            designs,
            layout,
            progress=(lambda done: progress(done, total)) if progress else None,
            title=f"Cards {code}",
        )
    header = PackingHeader(
        code, layout, batch.card_count, batch.envelope_count, f"{batch.created_at:%Y-%m-%d}"
    )
    with _replace_when_done(files["packing"]) as part:
        render_packing_pdf(part, header, packing_rows(session, batch))

    now = utcnow()
    # Conditional, so that a second build finishing at the same time changes nothing.
    session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.status == BatchStatus.BUILDING)
        .values(status=BatchStatus.READY, ready_at=now, heartbeat_at=now, error=None)
    )
    session.refresh(batch)
    return batch


def packing_rows(session: Session, batch: Batch) -> Iterator[PackingRow]:
    """One row per envelope, with the pages of the cards PDF that hold its cards."""
    per_page = cards_per_page(BatchLayout(batch.layout).value)
    first_index = 0
    query = (
        select(Envelope.position, Envelope.code, Envelope.card_count)
        .where(Envelope.batch_id == batch.id)
        .order_by(Envelope.position)
    )
    for position, code, count in session.execute(query):
        last_index = first_index + count - 1
        yield PackingRow(
            position, code, count, first_index // per_page + 1, last_index // per_page + 1
        )
        first_index += count


@contextmanager
def _replace_when_done(target: Path) -> Iterator[Path]:
    """A temporary file next to `target`, renamed over it only when writing succeeded."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    os.close(handle)
    part = Path(name)
    try:
        yield part
        with part.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def _remove_stale_parts(folder: Path, older_than: float = 3600) -> None:
    """Temporary files left by a crashed build (a live build's are younger)."""
    cutoff = time.time() - older_than
    for part in folder.glob(".*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
        except FileNotFoundError:
            pass


def touch_heartbeat(connection: Connection, batch_id: int) -> None:
    """Say that the batch's build is alive (on its own short transaction)."""
    connection.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.status == BatchStatus.BUILDING)
        .values(heartbeat_at=utcnow())
    )


def record_failure(session: Session, batch_id: int, error: Exception) -> None:
    """Remember why a build failed, in words with no personal data (the exception's kind)."""
    batch = session.get(Batch, batch_id)
    if batch is not None and batch.status == BatchStatus.BUILDING:
        batch.failures += 1
        batch.error = f"attempt {batch.attempts}: {type(error).__name__}"[:500]


# --- recovery --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """What one pass of recovery did."""

    requeued: list[str]
    failed: list[str]


def job_is_waiting(job_id: str | None) -> bool:
    """True if RQ holds the job in its queue (or deferred/scheduled): it will run.

    A job's status alone is not enough: a worker killed between taking the job off the queue
    and starting it leaves the job "queued" in no queue, and it would never run.
    """
    import redis
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    from cardsapp.queue import job_queues

    if not job_id:
        return False
    try:
        job = Job.fetch(job_id, connection=job_queues().connection, serializer=JSONSerializer)
        status = job.get_status(refresh=False)
        if status == JobStatus.QUEUED:
            return job_queues().queue(job.origin).get_job_position(job_id) is not None
    except NoSuchJobError:
        return False
    except redis.RedisError:
        raise
    return status in (JobStatus.DEFERRED, JobStatus.SCHEDULED)


@dataclass(frozen=True)
class Progress:
    """How far a batch's build has come, for the progress bar."""

    status: BatchStatus
    done: int
    total: int

    @property
    def percent(self) -> int:
        """Whole per cent done."""
        return 100 if not self.total else min(100, self.done * 100 // self.total)


def batch_progress(batch: Batch) -> Progress:
    """The batch's status with the count of cards its job has drawn (from job.meta)."""
    import redis
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.serializers import JSONSerializer

    from cardsapp.queue import job_queues

    status = BatchStatus(batch.status)
    if status != BatchStatus.BUILDING:
        done = batch.card_count if status != BatchStatus.FAILED else 0
        return Progress(status, done, batch.card_count)
    done = 0
    if batch.job_id:
        try:
            job = Job.fetch(
                batch.job_id, connection=job_queues().connection, serializer=JSONSerializer
            )
            done = int(job.get_meta(refresh=False).get("done", 0))
        except (NoSuchJobError, redis.RedisError, TypeError, ValueError):
            done = 0  # no progress to show; the batch itself is safe in the database
    return Progress(status, min(done, batch.card_count), batch.card_count)


def recover_batches(
    session: Session,
    stale_after: timedelta,
    now: datetime | None = None,
    waiting: Callable[[str | None], bool] = job_is_waiting,
) -> Recovery:
    """Re-enqueue building batches whose job is gone; fail those that used every attempt.

    A build beats its heartbeat every few seconds; a batch with a quiet heartbeat and no job
    waiting in the queue lost its job (worker killed, Redis restarted empty). The caller
    commits; the jobs are enqueued after the commit.
    """
    from cardsapp.queue import enqueue_after_commit

    now = now or utcnow()
    connection = _begin_write_transaction(session)
    query = (
        select(Batch)
        .where(Batch.status == BatchStatus.BUILDING, Batch.heartbeat_at < now - stale_after)
        .order_by(Batch.id)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    requeued, failed = [], []
    for batch in session.scalars(query):
        if waiting(batch.job_id):
            continue
        if batch.failures >= MAX_FAILURES or batch.attempts >= MAX_ATTEMPTS:
            batch.status = BatchStatus.FAILED
            batch.error = (
                f"Stopped after {batch.attempts} attempts"
                + (f" (last: {batch.error})" if batch.error else " (the build job was lost)")
            )[:500]
            failed.append(batch.code)
            log.warning("batch %s failed after %d attempts", batch.id, batch.attempts)
            continue
        batch.attempts += 1
        batch.job_id = _job_id(batch)
        batch.heartbeat_at = now
        enqueue_after_commit(session, BUILD_JOB, batch.id, queue=BATCH_QUEUE, job_id=batch.job_id)
        requeued.append(batch.code)
        log.info("batch %s re-enqueued (attempt %d)", batch.id, batch.attempts)
    return Recovery(requeued, failed)


# --- printing, posting, labels ---------------------------------------------------------------


def move_batch(session: Session, batch: Batch, to: BatchStatus) -> None:
    """Mark a batch printed or mailed, with its cards; the caller commits."""
    if to not in BATCH_MOVES[BatchStatus(batch.status)]:
        raise IllegalBatchMove(f"a {batch.status} batch cannot become {to}")
    card_status = {BatchStatus.PRINTED: CardStatus.PRINTED, BatchStatus.MAILED: CardStatus.MAILED}[
        to
    ]
    now = utcnow()
    batch.status = to
    if to == BatchStatus.PRINTED:
        batch.printed_at = now
    else:
        batch.mailed_at = now
    session.execute(
        update(Card)
        .where(Card.batch_id == batch.id, Card.status.in_(sources_of(card_status.value)))
        .values(status=card_status)
    )


def label_items(session: Session, box: AddressBox, batch: Batch) -> Iterator[LabelItem]:
    """One label per envelope, addresses decrypted in memory only, in envelope order."""
    query = (
        select(Envelope.code, Envelope.card_count, Recipient.address_token)
        .join(Recipient, Recipient.id == Envelope.recipient_id)
        .where(Envelope.batch_id == batch.id)
        .order_by(Envelope.position)
    )
    for code, count, token in session.execute(query):
        address = box.open(token)
        yield LabelItem(f"{batch.code} · {code} · {count}", tuple(address.lines()))


def write_labels(
    session: Session,
    box: AddressBox,
    batch: Batch,
    target: object,
    sheet: str = DEFAULT_SHEET,
    offset_mm: tuple[float, float] = (0.0, 0.0),
) -> int:
    """Render a batch's labels into `target` (a file-like object in memory)."""
    if batch.status in (BatchStatus.BUILDING, BatchStatus.FAILED):
        raise BatchNotReady("the batch is not ready")
    return render_labels_pdf(
        target,  # type: ignore[arg-type]
        label_items(session, box, batch),
        sheet,
        offset_mm,
        title=f"Labels {batch.code}",
    )


# --- retention -------------------------------------------------------------------------------


def purge_expired(
    session: Session, data_dir: Path, retention_days: int, now: datetime | None = None
) -> list[str]:
    """Forget message texts and files of batches mailed over `retention_days` ago; keep counts."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    batches = list(
        session.scalars(
            select(Batch).where(
                Batch.status == BatchStatus.MAILED,
                Batch.mailed_at < cutoff,
                Batch.purged_at.is_(None),
            )
        )
    )
    for batch in batches:
        session.execute(
            update(Card).where(Card.batch_id == batch.id).values(message=None, signature=None)
        )
        folder = batch_files(data_dir, batch)["cards"].parent
        shutil.rmtree(folder, ignore_errors=True)
        batch.purged_at = now
    return [b.code for b in batches]


def purge_rejected(session: Session, retention_days: int, now: datetime | None = None) -> int:
    """Forget the texts of cards rejected over `retention_days` ago; they never print."""
    now = now or utcnow()
    result = session.execute(
        update(Card)
        .where(
            Card.status == CardStatus.REJECTED,
            Card.decided_at < now - timedelta(days=retention_days),
            Card.message.is_not(None),
        )
        .values(message=None, signature=None)
    )
    return result.rowcount or 0
