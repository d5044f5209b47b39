"""Job entry points: ids in, open a session, call a service, commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from flask import Flask
from sqlalchemy.orm import Session

_app: Flask | None = None


def use_app(app: Flask) -> None:
    """Let jobs in this process use an app built by the worker (or a test)."""
    global _app
    _app = app


def _current_app() -> Flask:
    global _app
    if _app is None:
        from cardsapp import create_app

        _app = create_app()
    return _app


@contextmanager
def job_session() -> Iterator[Session]:
    """An app context and a session; commits on success, rolls back on error."""
    from cardsapp.extensions import db

    with _current_app().app_context():
        try:
            yield db.session
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def refresh_counter(campaign_id: int) -> dict[str, int]:
    """Recompute a campaign's public counter from its rows."""
    from cardsapp.services.counter import recount

    with job_session() as session:
        reading = recount(session, campaign_id)
    return {"participants": reading.participants, "cards": reading.cards}


class BatchBuildFailed(RuntimeError):
    """A batch build stopped; the message names the batch and the error's kind, nothing more."""


def build_batch(batch_id: int) -> dict[str, int | str]:
    """Render a batch's cards PDF and packing list, reporting progress in job.meta."""
    import time

    from sqlalchemy.exc import SQLAlchemyError

    from cardsapp.extensions import db
    from cardsapp.render.designs import designs
    from cardsapp.services import batches

    app = _current_app()
    config = app.extensions["cardsapp.config"]
    last_beat = [0.0]

    def progress(done: int, total: int) -> None:
        _report_progress(done, total)
        now = time.monotonic()
        if now - last_beat[0] >= batches.HEARTBEAT_EVERY_SECONDS:
            last_beat[0] = now
            try:
                with db.engine.begin() as connection:
                    batches.touch_heartbeat(connection, batch_id)
            except SQLAlchemyError:
                pass  # a missed beat only makes recovery look sooner; the build goes on

    try:
        with job_session() as session:
            batch = batches.build_batch(
                session,
                batch_id,
                config.data_dir,
                designs(config.designs_dir),
                progress,
                print_icc=config.print_icc,
            )
            result: dict[str, int | str] = {"batch": batch.code, "status": batch.status.value}
    except Exception as exc:
        with job_session() as session:
            batches.record_failure(session, batch_id, exc)
        # RQ keeps the traceback in Redis: only the kind of error, never a message text.
        raise BatchBuildFailed(f"batch {batch_id}: {type(exc).__name__}") from None
    return result


def _report_progress(done: int, total: int) -> None:
    """Cards done so far, for the progress bar; Redis trouble never stops a build."""
    import redis
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return
    job.meta["done"] = done
    job.meta["total"] = total
    with suppress(redis.RedisError):
        job.save_meta()


def recover_batches() -> dict[str, list[str]]:
    """Re-enqueue building batches whose job vanished; fail those out of attempts."""
    from datetime import timedelta

    from cardsapp.queue import job_queues
    from cardsapp.services import batches

    config = _current_app().extensions["cardsapp.config"]
    with job_session() as session:
        done = batches.recover_batches(
            session,
            timedelta(seconds=config.batch_stale_seconds),
            waiting=job_queues().job_is_waiting,
        )
    return {"requeued": done.requeued, "failed": done.failed}


def purge_expired() -> dict[str, list[str] | int | bool]:
    """Forget message texts and files of batches mailed, and cards rejected, long ago.

    One purge at a time across workers; a transaction per batch or chunk of cards.
    """
    from cardsapp.services import batches

    config = _current_app().extensions["cardsapp.config"]
    with job_session() as session, batches.purge_turn(session.get_bind()) as mine:
        if not mine:
            return {"purged": [], "rejected": 0, "busy": True}
        purged, rejected = batches.purge_due(
            session, config.data_dir, config.retention_days, session.commit
        )
    _scrub_when_due(bool(purged or rejected), config.scrub_every_hours)
    return {"purged": purged, "rejected": rejected}


_SCRUB_OWED = "cardsapp:scrub-owed"
_SCRUB_TURN = "cardsapp:scrub-turn"


def _scrub_when_due(purged_now: bool, every_hours: int) -> None:
    """Scrub what purges left in the database files: at once on SQLite (a WAL checkpoint is
    cheap), at most every `every_hours` on PostgreSQL, where VACUUM FULL locks the cards table
    while it rewrites it and rejected texts fall due every few minutes on a busy campaign.

    Redis remembers that a scrub is owed (a flag, no data), so one skipped now runs at the
    next turn even when nothing more is purged; with Redis down it runs at once.
    """
    import redis

    from cardsapp.extensions import db
    from cardsapp.queue import job_queues
    from cardsapp.services.residue import PURGE_TABLES, scrub_after_delete

    with _current_app().app_context():
        engine = db.engine
        connection = job_queues().connection
        try:
            if purged_now:
                connection.set(_SCRUB_OWED, 1)
            if not connection.get(_SCRUB_OWED):
                return
            if engine.dialect.name == "postgresql" and not connection.set(
                _SCRUB_TURN, 1, nx=True, ex=every_hours * 3600
            ):
                return
        except redis.RedisError:
            if not purged_now:
                return
        if scrub_after_delete(engine, PURGE_TABLES):
            with suppress(redis.RedisError):
                connection.delete(_SCRUB_OWED)
