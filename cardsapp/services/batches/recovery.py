"""Noticing batches whose job went missing, and their progress."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cardsapp.models import (
    Batch,
    BatchStatus,
    utcnow,
)
from cardsapp.services.batches.claim import begin_write_transaction, job_id_of
from cardsapp.services.batches.policy import BATCH_QUEUE, BUILD_JOB, MAX_ATTEMPTS, MAX_FAILURES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recovery:
    """What one pass of recovery did."""

    requeued: list[str]
    failed: list[str]


class JobWatch(Protocol):
    """What batching needs to know of the job queue (cardsapp.queue.JobQueues is one)."""

    def job_is_waiting(self, job_id: str | None) -> bool:
        """True if the job will still run."""

    def job_progress(self, job_id: str | None) -> int:
        """How many cards the job has drawn so far."""


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


def batch_progress(batch: Batch, jobs: JobWatch) -> Progress:
    """The batch's status with the count of cards its job has drawn."""
    status = BatchStatus(batch.status)
    if status != BatchStatus.BUILDING:
        done = batch.card_count if status != BatchStatus.FAILED else 0
        return Progress(status, done, batch.card_count)
    # No progress to show is fine: the batch itself is safe in the database.
    return Progress(
        status, min(jobs.job_progress(batch.job_id), batch.card_count), batch.card_count
    )


def recover_batches(
    session: Session,
    stale_after: timedelta,
    waiting: Callable[[str | None], bool],
    now: datetime | None = None,
) -> Recovery:
    """Re-enqueue building batches whose job is gone; fail those that used every attempt.

    A build beats its heartbeat every few seconds; a batch with a quiet heartbeat and no job
    waiting in the queue lost its job (worker killed, Redis restarted empty). The caller
    commits; the jobs are enqueued after the commit.
    """
    from cardsapp.queue import enqueue_after_commit

    now = now or utcnow()
    connection = begin_write_transaction(session)
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
        batch.job_id = job_id_of(batch)
        batch.heartbeat_at = now
        enqueue_after_commit(session, BUILD_JOB, batch.id, queue=BATCH_QUEUE, job_id=batch.job_id)
        requeued.append(batch.code)
        log.info("batch %s re-enqueued (attempt %d)", batch.id, batch.attempts)
    return Recovery(requeued, failed)
