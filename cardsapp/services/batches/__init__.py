"""Print batches: claim approved cards exactly once, build the PDFs, follow them to the post.

The database is the truth. A batch is claimed in one transaction (PostgreSQL row locks with
SKIP LOCKED, SQLite `BEGIN IMMEDIATE`, and the `card_claims` primary key behind both), then
an RQ job carrying only the batch id builds its files. Building is idempotent: the cards of
a batch never change, its files are stored in the database (batch_files) in the same
transaction that marks it ready, so any web process serves them with no shared disk, and a
batch whose job went missing is re-enqueued by `recover_batches`.
"""

from cardsapp.services.batches.build import (
    batch_by_code,
    batch_files,
    build_batch,
    file_parts,
    has_file,
    packing_rows,
    read_file,
    recent_batches,
    record_failure,
    touch_heartbeat,
    waiting_cards,
)
from cardsapp.services.batches.claim import begin_write_transaction, create_batch, job_id_of
from cardsapp.services.batches.lifecycle import (
    label_items,
    move_batch,
    write_envelopes,
    write_labels,
)
from cardsapp.services.batches.policy import (
    BATCH_QUEUE,
    BUILD_JOB,
    CARDS_FILE,
    FILE_PART,
    HEARTBEAT_EVERY_SECONDS,
    MAX_ATTEMPTS,
    MAX_CARDS,
    MAX_FAILURES,
    PACKING_FILE,
    SCAN_FACTOR,
    SCAN_PAGE,
    BatchError,
    BatchNotFound,
    BatchNotReady,
    ClaimConflict,
    FreshTransactionNeeded,
    IllegalBatchMove,
    NothingToBatch,
)
from cardsapp.services.batches.recovery import (
    JobWatch,
    Progress,
    Recovery,
    batch_progress,
    recover_batches,
)
from cardsapp.services.batches.retention import (
    purge_due,
    purge_expired,
    purge_next_batch,
    purge_turn,
)

__all__ = [
    "BATCH_QUEUE",
    "BUILD_JOB",
    "CARDS_FILE",
    "FILE_PART",
    "HEARTBEAT_EVERY_SECONDS",
    "MAX_ATTEMPTS",
    "MAX_CARDS",
    "MAX_FAILURES",
    "PACKING_FILE",
    "SCAN_FACTOR",
    "SCAN_PAGE",
    "BatchError",
    "BatchNotFound",
    "BatchNotReady",
    "ClaimConflict",
    "FreshTransactionNeeded",
    "IllegalBatchMove",
    "JobWatch",
    "NothingToBatch",
    "Progress",
    "Recovery",
    "batch_by_code",
    "batch_files",
    "batch_progress",
    "begin_write_transaction",
    "build_batch",
    "create_batch",
    "file_parts",
    "has_file",
    "job_id_of",
    "label_items",
    "move_batch",
    "packing_rows",
    "purge_due",
    "purge_expired",
    "purge_next_batch",
    "purge_turn",
    "read_file",
    "recent_batches",
    "record_failure",
    "recover_batches",
    "touch_heartbeat",
    "waiting_cards",
    "write_envelopes",
    "write_labels",
]
