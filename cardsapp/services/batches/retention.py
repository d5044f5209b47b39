"""Forgetting the texts and files of batches mailed long ago; counts stay.

A purge goes one batch per transaction (at most MAX_CARDS cards: a short transaction and
little WAL, however much is due), takes each batch with SKIP LOCKED on PostgreSQL or under
SQLite's write lock, and skips batches already purged, so two purges at once purge each
batch once; on PostgreSQL an advisory lock lets only one purge run at all. With nothing due
it reads a handful of batch rows and nothing else. Guarded by tests/integration/test_purge.py.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.orm import Session

from cardsapp.models import Batch, BatchFile, BatchStatus, Card, utcnow
from cardsapp.services.batches.claim import begin_write_transaction
from cardsapp.services.batches.policy import FreshTransactionNeeded

log = logging.getLogger(__name__)

# pg_advisory_lock key of the purge: "cardpurg" read as eight bytes.
PURGE_LOCK_KEY = int.from_bytes(b"cardpurg", "big") & 0x7FFF_FFFF_FFFF_FFFF


@contextmanager
def purge_turn(bind: Engine | Connection) -> Iterator[bool]:
    """True inside when this process may purge now: one purge at a time across workers.

    On PostgreSQL a session-level advisory lock on a connection of its own (in autocommit,
    so that it holds no transaction open); a purge that finds it taken does nothing. SQLite
    serialises every purge step with BEGIN IMMEDIATE instead.
    """
    engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        mine = bool(
            connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": PURGE_LOCK_KEY})
        )
        try:
            yield mine
        finally:
            if mine:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PURGE_LOCK_KEY})


def purge_next_batch(
    session: Session, data_dir: Path, retention_days: int, now: datetime | None = None
) -> str | None:
    """Purge one batch mailed over `retention_days` ago; its code, or None when none is due."""
    now = now or utcnow()
    try:
        connection = begin_write_transaction(session)
    except FreshTransactionNeeded:
        connection = session.connection()  # a caller's transaction already holds the lock
    query = (
        select(Batch)
        .where(
            Batch.status == BatchStatus.MAILED,
            Batch.mailed_at < now - timedelta(days=retention_days),
            Batch.purged_at.is_(None),
        )
        .order_by(Batch.id)
        .limit(1)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    batch = session.scalars(query).first()
    if batch is None:
        return None
    session.execute(
        update(Card)
        .where(Card.batch_id == batch.id)
        .values(message=None, signature=None, text_key=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(BatchFile).where(BatchFile.batch_id == batch.id))
    # Files of batches built before they were kept in the database.
    shutil.rmtree(Path(data_dir) / batch.code, ignore_errors=True)
    batch.purged_at = now
    return batch.code


def purge_expired(
    session: Session,
    data_dir: Path,
    retention_days: int,
    now: datetime | None = None,
    commit: Callable[[], None] | None = None,
) -> list[str]:
    """Forget message texts and files of batches mailed over `retention_days` ago; keep counts.

    With `commit`, each batch is committed on its own (a worker's purge); without, the caller
    commits them all at once.
    """
    purged = []
    while (code := purge_next_batch(session, data_dir, retention_days, now)) is not None:
        purged.append(code)
        if commit is not None:
            commit()
    if purged:
        log.info("purged %d batches", len(purged))
    return purged


def purge_due(
    session: Session, data_dir: Path, retention_days: int, commit: Callable[[], None]
) -> tuple[list[str], int]:
    """Everything due: mailed batches, then rejected cards, committing as it goes."""
    from cardsapp.services.review import PURGE_CHUNK, purge_rejected

    purged = purge_expired(session, data_dir, retention_days, commit=commit)
    rejected = 0
    while True:
        done = purge_rejected(session, retention_days)
        commit()
        rejected += done
        if done < PURGE_CHUNK:
            return purged, rejected
