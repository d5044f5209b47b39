"""`python -m worker`: preload what jobs need, then run an RQ worker."""

from __future__ import annotations

import argparse
import logging

from rq import Worker
from rq.serializers import JSONSerializer

from cardsapp import create_app
from cardsapp.logs import configure_logging
from cardsapp.queue import QUEUE_NAMES, job_queues
from worker import jobs


def main(argv: list[str] | None = None) -> int:
    """Run a worker over the project's queues until stopped (or until empty with --burst)."""
    parser = argparse.ArgumentParser(prog="python -m worker")
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    parser.add_argument("--queues", nargs="*", default=list(QUEUE_NAMES))
    args = parser.parse_args(argv)
    configure_logging(logging.INFO)

    app = create_app()
    jobs.use_app(app)
    with app.app_context():
        queues = job_queues()
        worker = Worker(
            [queues.queue(name) for name in args.queues],
            connection=queues.connection,
            serializer=JSONSerializer,
        )
    worker.work(burst=args.burst, with_scheduler=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
