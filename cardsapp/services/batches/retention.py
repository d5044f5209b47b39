"""Forgetting the texts and files of batches mailed long ago; counts stay."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cardsapp.models import (
    Batch,
    BatchStatus,
    Card,
    utcnow,
)
from cardsapp.services.batches.build import batch_files

log = logging.getLogger(__name__)


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
            update(Card)
            .where(Card.batch_id == batch.id)
            .values(message=None, signature=None, text_key=None)
        )
        folder = batch_files(data_dir, batch)["cards"].parent
        shutil.rmtree(folder, ignore_errors=True)
        batch.purged_at = now
    return [b.code for b in batches]
