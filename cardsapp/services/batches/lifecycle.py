"""A built batch's life: printed, mailed; its labels, drawn in memory."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cardsapp.crypto.memory import wipe_text
from cardsapp.domain.states import (
    CARD_STATUS_FOR_BATCH,
    IllegalTransition,
    card_sources,
    check_batch_move,
)
from cardsapp.models import (
    Batch,
    BatchStatus,
    Card,
    Envelope,
    Recipient,
    utcnow,
)
from cardsapp.render.envelopes_pdf import DEFAULT_ENVELOPE, render_envelopes_pdf
from cardsapp.render.labels_pdf import DEFAULT_SHEET, LabelItem, render_labels_pdf
from cardsapp.services.batches.policy import BatchNotReady, IllegalBatchMove
from cardsapp.services.keyholders import OpenCampaignKey

log = logging.getLogger(__name__)
DELETED_LABEL = ("Recipient deleted:", "do not post this envelope.", "Destroy its cards.")


def move_batch(session: Session, batch: Batch, to: BatchStatus) -> None:
    """Mark a batch printed or mailed, with its cards; the caller commits."""
    if to not in CARD_STATUS_FOR_BATCH:
        raise IllegalBatchMove(f"a batch is not moved to {to} by hand")
    try:
        check_batch_move(batch.status, to)
    except IllegalTransition as exc:
        raise IllegalBatchMove(str(exc)) from exc
    card_status = CARD_STATUS_FOR_BATCH[to]
    now = utcnow()
    batch.status = to
    if to == BatchStatus.PRINTED:
        batch.printed_at = now
    else:
        batch.mailed_at = now
    session.execute(
        update(Card)
        .where(Card.batch_id == batch.id, Card.status.in_(card_sources(card_status)))
        .values(status=card_status)
    )


def labels_available(batch: Batch) -> bool:
    """Whether a batch's address labels can still be drawn: built, not yet mailed or purged."""
    return batch.status in (BatchStatus.READY, BatchStatus.PRINTED) and batch.purged_at is None


def _refuse_unless_labels_available(batch: Batch) -> None:
    if not labels_available(batch):
        # Not built yet, or failed; or its envelopes are in the post and nobody needs the
        # addresses again.
        raise BatchNotReady("the batch is not ready, or already mailed")


def label_items(session: Session, key: OpenCampaignKey, batch: Batch) -> Iterator[LabelItem]:
    """One label per envelope, in envelope order, opened with the campaign key at hand.

    Each address is held decrypted only while its label is drawn: when the next label is
    asked for (or the loop ends), the previous one's texts are overwritten in memory.
    """
    if key.campaign_id != batch.campaign_id:
        raise BatchNotReady("the key is another campaign's")
    query = (
        select(Envelope.code, Envelope.card_count, Recipient.address_token)
        .join(Recipient, Recipient.id == Envelope.recipient_id)
        .where(Envelope.batch_id == batch.id)
        .order_by(Envelope.position)
    )
    for code, count, token in session.execute(query).all():
        routing = f"{batch.code} · {code} · {count}"
        if token is None:
            # Her address was erased after the batch was built: the envelope must not go.
            yield LabelItem(routing, DELETED_LABEL)
            continue
        address = key.open(bytes(token))
        lines = address.lines()
        try:
            yield LabelItem(routing, tuple(lines))
        finally:
            address.wipe()
            for line in lines:
                wipe_text(line)


def write_labels(
    session: Session,
    key: OpenCampaignKey,
    batch: Batch,
    target: object,
    sheet: str = DEFAULT_SHEET,
    offset_mm: tuple[float, float] = (0.0, 0.0),
) -> int:
    """Render a batch's labels into `target` (in memory), with its campaign's key opened."""
    _refuse_unless_labels_available(batch)
    return render_labels_pdf(
        target,  # type: ignore[arg-type]
        label_items(session, key, batch),
        sheet,
        offset_mm,
        title=f"Labels {batch.code}",
    )


def write_envelopes(
    session: Session,
    key: OpenCampaignKey,
    batch: Batch,
    target: object,
    size: str = DEFAULT_ENVELOPE,
    offset_mm: tuple[float, float] = (0.0, 0.0),
) -> int:
    """Render a batch's envelopes (C6 or DL) into `target`, from the labels' addresses."""
    _refuse_unless_labels_available(batch)
    return render_envelopes_pdf(
        target,  # type: ignore[arg-type]
        label_items(session, key, batch),
        size,
        offset_mm,
        title=f"Envelopes {batch.code}",
    )
