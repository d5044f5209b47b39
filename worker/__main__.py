"""`python -m worker`: preload what jobs need, then run an RQ worker."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading

from flask import Flask
from rq import Worker
from rq.serializers import JSONSerializer

from cardsapp import create_app
from cardsapp.config import ConfigError
from cardsapp.logs import configure_logging
from cardsapp.queue import QUEUE_NAMES, job_queues
from cardsapp.render.card_code import warm_backgrounds
from cardsapp.render.designs import designs
from cardsapp.render.fonts import preload_fonts, register_reportlab_fonts
from worker import jobs

log = logging.getLogger("worker")


def reconcile() -> None:
    """Re-enqueue lost batch jobs and purge expired batches; never raises."""
    for task in (jobs.recover_batches, jobs.purge_expired):
        try:
            outcome = task()
            if any(outcome.values()):
                log.info("%s: %s", task.__name__, outcome)
        except Exception as exc:  # the loop must survive a database or Redis outage
            log.warning("%s failed: %s", task.__name__, type(exc).__name__)


def reconcile_forever(interval: float, stop: threading.Event) -> None:
    """Every `interval` seconds, until `stop` is set."""
    while not stop.wait(interval):
        reconcile()


def _fresh_pool_after_fork(app: Flask) -> None:
    # RQ forks a work horse per job; database connections must never be shared between
    # processes, so the child starts with an empty pool (the parent's stay the parent's).
    from cardsapp.extensions import db

    def dispose() -> None:
        with app.app_context():
            db.engine.dispose(close=False)

    os.register_at_fork(after_in_child=dispose)


def main(argv: list[str] | None = None) -> int:
    """Run a worker over the project's queues until stopped (or until empty with --burst)."""
    parser = argparse.ArgumentParser(prog="python -m worker")
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    parser.add_argument("--queues", nargs="*", default=list(QUEUE_NAMES))
    args = parser.parse_args(argv)
    configure_logging(logging.INFO)

    try:
        app = create_app()
    except ConfigError as error:
        print(f"worker: {error}", file=sys.stderr)
        return 2
    jobs.use_app(app)
    _fresh_pool_after_fork(app)
    config = app.extensions["cardsapp.config"]
    # Fonts, designs and code backgrounds once in the worker; each forked job process
    # inherits them warm.
    available = designs(config.designs_dir)
    preload_fonts()
    register_reportlab_fonts()
    warm_backgrounds(available)
    # On start: a batch left building by a worker that died is rebuilt now, not in a minute.
    reconcile()
    stop = threading.Event()
    if not args.burst:
        threading.Thread(
            target=reconcile_forever,
            args=(config.batch_recovery_interval_seconds, stop),
            name="reconcile",
            daemon=True,
        ).start()
    with app.app_context():
        queues = job_queues()
        worker = Worker(
            [queues.queue(name) for name in args.queues],
            connection=queues.connection,
            serializer=JSONSerializer,
        )
    try:
        worker.work(burst=args.burst, with_scheduler=False)
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
