"""Reading a batch and building its files (cards PDF, packing list), idempotently."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.orm import Session

from cardsapp.domain.envelopes import (
    routing_code,
)
from cardsapp.models import (
    CARD_WAITING,
    Batch,
    BatchFile,
    BatchLayout,
    BatchStatus,
    Campaign,
    Card,
    Envelope,
    PrintFormat,
    utcnow,
)
from cardsapp.render.card_back import CardBack
from cardsapp.render.cards_pdf import PrintCard, page_of_card, render_cards_pdf
from cardsapp.render.designs import Design
from cardsapp.render.packing_pdf import PackingHeader, PackingRow, render_packing_pdf
from cardsapp.render.pdfx import SRGB, cmyk_target
from cardsapp.services.batches.policy import CARDS_FILE, FILE_PART, PACKING_FILE, BatchNotFound

log = logging.getLogger(__name__)


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
    # CARD_WAITING is ix_cards_waiting's condition: an index-only count of waiting cards,
    # not a walk of ix_cards_batch_id's null entries (test_query_plans.py).
    inner = (
        select(Card.id)
        .where(Card.campaign_id == campaign_id, CARD_WAITING)
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
        routing = routing_code(batch_code, envelope, position or 0, count)
        yield PrintCard(slug, message or "", signature or "", routing)


def batch_files(data_dir: Path, batch: Batch) -> dict[str, Path]:
    """Where batches built before files were kept in the database left theirs on disk."""
    folder = Path(data_dir) / batch.code
    return {"cards": folder / CARDS_FILE, "packing": folder / PACKING_FILE}


def build_batch(
    session: Session,
    batch_id: int,
    data_dir: Path,
    designs: Mapping[str, Design],
    progress: Callable[[int, int], None] | None = None,
    print_icc: Path | None = None,
) -> Batch:
    """Render the cards PDF and packing list of a building batch, store them; mark it ready.

    `print_icc`, a print shop's CMYK profile, makes print-shop files CMYK (else sRGB).

    The files are drawn in a scratch folder under `data_dir` (this machine's own disk) and
    stored in the database with the batch's new status, in one transaction: a web process
    on any machine serves them. Safe to run twice or after a crash: the cards of a batch
    never change, and a batch that is no longer building is left alone.
    """
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise BatchNotFound("no such batch")
    if batch.status != BatchStatus.BUILDING:
        return batch
    code, layout, total = batch.code, BatchLayout(batch.layout).value, batch.card_count
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    if progress is not None:
        progress(0, total)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".build-") as scratch:
        cards, packing = Path(scratch) / CARDS_FILE, Path(scratch) / PACKING_FILE
        render_cards_pdf(
            cards,
            _print_cards(session, batch_id, code),
            designs,
            layout,
            progress=(lambda done: progress(done, total)) if progress else None,
            title=f"Cards {code}",
            back=card_back(session.get(Campaign, batch.campaign_id)),
            output=cmyk_target(print_icc) if print_icc else SRGB,
        )
        header = PackingHeader(
            code, layout, batch.card_count, batch.envelope_count, f"{batch.created_at:%Y-%m-%d}"
        )
        render_packing_pdf(packing, header, packing_rows(session, batch))
        # Another build of the same batch may have finished meanwhile: wait for it, look again.
        locked = session.execute(
            select(Batch.status).where(Batch.id == batch_id).with_for_update()
        ).scalar_one()
        if locked != BatchStatus.BUILDING:
            session.refresh(batch)
            return batch
        session.execute(delete(BatchFile).where(BatchFile.batch_id == batch_id))
        store_file(session, batch_id, "cards", cards)
        store_file(session, batch_id, "packing", packing)
    now = utcnow()
    session.execute(
        update(Batch)
        .where(Batch.id == batch_id, Batch.status == BatchStatus.BUILDING)
        .values(status=BatchStatus.READY, ready_at=now, heartbeat_at=now, error=None)
    )
    session.refresh(batch)
    return batch


def store_file(session: Session, batch_id: int, kind: str, path: Path) -> None:
    """Keep a built file in the database, in parts of FILE_PART bytes (never all in memory)."""
    with path.open("rb") as source:
        part = 0
        while chunk := source.read(FILE_PART):
            session.execute(
                insert(BatchFile).values(batch_id=batch_id, kind=kind, part=part, data=chunk)
            )
            part += 1


def has_file(session: Session, batch_id: int, kind: str) -> bool:
    """True when the batch's file of this kind is stored."""
    found = session.scalar(
        select(BatchFile.part).where(
            BatchFile.batch_id == batch_id, BatchFile.kind == kind, BatchFile.part == 0
        )
    )
    return found is not None


def file_parts(session: Session, batch_id: int, kind: str) -> Iterator[bytes]:
    """The stored file, part by part: one part in memory at a time, however large."""
    part = 0
    while True:
        data = session.scalar(
            select(BatchFile.data).where(
                BatchFile.batch_id == batch_id, BatchFile.kind == kind, BatchFile.part == part
            )
        )
        if data is None:
            return
        yield bytes(data)
        part += 1


def read_file(session: Session, batch_id: int, kind: str) -> bytes:
    """The whole stored file (for the command line and tests)."""
    return b"".join(file_parts(session, batch_id, kind))


def packing_rows(session: Session, batch: Batch) -> Iterator[PackingRow]:
    """One row per envelope, with the pages of the cards PDF that hold its cards."""
    layout = BatchLayout(batch.layout).value
    two_sided = card_back(session.get(Campaign, batch.campaign_id)) is not None
    first_index = 0
    query = (
        select(Envelope.position, Envelope.code, Envelope.card_count)
        .where(Envelope.batch_id == batch.id)
        .order_by(Envelope.position)
    )
    for position, code, count in session.execute(query):
        last_index = first_index + count - 1
        yield PackingRow(
            position,
            code,
            count,
            page_of_card(first_index, layout, two_sided),
            page_of_card(last_index, layout, two_sided),
        )
        first_index += count


def card_back(campaign: Campaign | None) -> CardBack | None:
    """What the back of the campaign's cards says, or None when its cards have no back."""
    if campaign is None or campaign.print_format != PrintFormat.POSTCARD:
        return None
    texts = tuple(campaign.back_text.get(lang, "") for lang in ("be", "ru", "en"))
    title = campaign.title
    return CardBack(texts, title.get("be") or title.get("ru") or title.get("en") or "")


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
