"""What every part of batching shares: limits, names of the queue and files, errors."""

from __future__ import annotations

BUILD_JOB = "worker.jobs.build_batch"
BATCH_QUEUE = "batches"
# A build that raises is tried three times; a build lost with its worker (killed, Redis
# emptied) is not the batch's fault and is tried again up to MAX_ATTEMPTS in all.
MAX_FAILURES = 3
MAX_ATTEMPTS = 20
# A 20,000-card claim takes about 2 s on PostgreSQL with a million cards waiting and its
# print-shop PDF builds in bounded memory (bench/scale.py, docs/performance.md).
MAX_CARDS = 20_000
# How far past the requested number the claim looks for cards it may take (some wait for a
# paused or full recipient); bounded so that a claim costs the same whatever the backlog.
SCAN_FACTOR = 5
SCAN_PAGE = 1000
HEARTBEAT_EVERY_SECONDS = 2.0
CARDS_FILE = "cards.pdf"
# Built files are kept in the database in parts of this size (batch_files), streamed out.
FILE_PART = 1024 * 1024
PACKING_FILE = "packing.pdf"


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
