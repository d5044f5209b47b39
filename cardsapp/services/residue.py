"""What is deleted is gone from the database files too, not only from the tables.

A DELETE or an UPDATE hides the old row, but its bytes stay where they were:
- SQLite (WAL mode) leaves the old version of every changed page in the -wal file until a
  checkpoint, and the freed space of a page keeps the old bytes unless `secure_delete` is
  on. The app sets `PRAGMA secure_delete=ON` on every connection (cardsapp/__init__.py), and
  after a purge, a key rotation or a recipient's deletion this module checkpoints the WAL
  into the database and truncates it to nothing.
- PostgreSQL keeps dead row versions in the table's pages until VACUUM, and a plain VACUUM
  only marks their space free: the bytes of the last rows of a page stay (tested with
  pageinspect). `VACUUM FULL` writes the table afresh and removes the old file. It locks the
  table while it runs (seconds for a million cards), which is why the periodic purge runs it
  at most every CARDS_SCRUB_EVERY_HOURS (worker/jobs.py); commands run it at once.
What remains (docs/threat-model.md): PostgreSQL's WAL segments and any backup taken before,
and blocks the filesystem or the disk's firmware keeps after a file is rewritten.

Call `scrub_after_delete` after the transaction that deleted has committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Engine

from cardsapp.extensions import Base

log = logging.getLogger(__name__)

# The tables each operation changes; callers name theirs from here.
PURGE_TABLES = ("cards", "batches", "envelopes", "batch_files")
ADDRESS_TABLES = ("recipients",)


def sqlite_connection_pragmas() -> tuple[str, ...]:
    """Pragmas for every SQLite connection: deleted bytes are overwritten with zeros."""
    return ("PRAGMA secure_delete=ON",)


def scrub_after_delete(engine: Engine, tables: Iterable[str]) -> bool:
    """Make rows already deleted or overwritten unreadable in the database files.

    Returns False when something kept old rows readable for now: an SQLite reader holding
    the WAL, or a PostgreSQL transaction (in any database of the server) older than the
    deletion, whose snapshot VACUUM must respect. Running it again later finishes the job.
    """
    known = set(Base.metadata.tables)
    names = [name for name in dict.fromkeys(tables) if name in known]
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            busy, _frames, _done = connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(TRUNCATE)"
            ).one()
            connection.commit()
        if busy:
            log.warning("The WAL could not be emptied now (a reader); run the scrub again.")
        return not busy
    if engine.dialect.name != "postgresql":
        return True
    # VACUUM cannot run inside a transaction block.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        started = connection.exec_driver_sql("SELECT txid_current()").scalar_one()
        for name in names:
            connection.exec_driver_sql(f'VACUUM (FULL, ANALYZE) "{name}"')
        # A snapshot older than this scrub (any database: snapshots are server-wide) may
        # still see the deleted rows, and VACUUM kept them for it.
        older = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ("
            "txid_current() - age(backend_xmin) < %(started)s OR "
            "txid_current() - age(backend_xid) < %(started)s)",
            {"started": started},
        ).scalar_one()
    if older:
        log.warning("Old transactions kept deleted rows readable; run the scrub again later.")
    return not older
