"""Prometheus metrics an operator can graph, with nothing personal in them.

- Requests: counts and latencies by endpoint name (`donate.write`, never a URL with a
  reference or a batch code in it), method and status; 429 answers as rate-limit refusals.
  Counted by a WSGI wrapper around the whole app, so the public answers `web/shared.py`
  gives without running Flask are counted too.
- State, read when scraped (the database and Redis are the truth, whichever process did
  the work): cards and batches by status, batch build failures and build times, jobs
  waiting and failed per queue.

Served on a port of their own by the gunicorn master (gunicorn.conf.py), never on the
site's port: Prometheus scrapes without a staff login, and the port is reachable only on
the private network (docs/operations.md). Gunicorn's worker processes count in
prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR) and the master adds them up.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, cast

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Pages answer in milliseconds; previews and PDFs take up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A batch is built in seconds to minutes (a few thousand cards).
BUILD_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

REQUESTS = Counter(
    "cardsapp_http_requests",
    "Requests answered, by endpoint name, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "cardsapp_http_request_duration_seconds",
    "Time to answer a request (until the body is handed to the server), by endpoint name.",
    ["endpoint", "method"],
    buckets=LATENCY_BUCKETS,
)
REFUSALS = Counter(
    "cardsapp_rate_limit_refusals",
    "Requests refused by a rate limit (429), by endpoint name.",
    ["endpoint"],
)


class RequestMetrics:
    """WSGI middleware: counts and times every request by the endpoint it reached."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.url_map = app.url_map
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        statuses: list[str] = []

        def remember(status: str, headers: list[tuple[str, str]], exc_info=None):
            statuses.append(status)
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, remember)
        finally:
            self.observe(environ, statuses[-1][:3] if statuses else "500", started)

    def observe(self, environ: WSGIEnvironment, status: str, started: float) -> None:
        """Count one answered request."""
        endpoint = self.endpoint(environ)
        method = environ.get("REQUEST_METHOD", "")
        method = method if method in METHODS else "other"
        REQUESTS.labels(endpoint, method, status).inc()
        LATENCY.labels(endpoint, method).observe(time.perf_counter() - started)
        if status == "429":
            REFUSALS.labels(endpoint).inc()

    def endpoint(self, environ: WSGIEnvironment) -> str:
        """The endpoint's name; 'unmatched' for a URL no route serves."""
        try:
            rule, _args = self.url_map.bind_to_environ(environ).match(return_rule=True)
        except RequestRedirect:
            return "redirect"
        except HTTPException:
            return "unmatched"
        return rule.endpoint


def init_app(app: Flask) -> None:
    """Count the app's requests (its outermost WSGI layer)."""
    app.wsgi_app = RequestMetrics(app, app.wsgi_app)  # type: ignore[method-assign]


class StateCollector:
    """Cards, batches and queues as they are now, read at each scrape."""

    def __init__(self, database_url: str, redis_url: str | None) -> None:
        self.database_url = database_url
        self.redis_url = redis_url

    def collect(self) -> Iterator[Metric]:
        """The metric families of one scrape (prometheus_client's collector protocol)."""
        up = GaugeMetricFamily(
            "cardsapp_state_up", "Whether the last scrape could read the source.", labels=["source"]
        )
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except Exception:
            up.add_metric(["database"], 0)
        if self.redis_url:
            try:
                yield from self._queues()
                up.add_metric(["redis"], 1)
            except Exception:
                up.add_metric(["redis"], 0)
        yield up

    def _database(self) -> list[Metric]:
        from sqlalchemy import create_engine, func, select
        from sqlalchemy.pool import NullPool

        from cardsapp.models import Batch, BatchStatus, Card, CardStatus

        # No pool: the scraper is the gunicorn master, which forks the web workers; a pooled
        # connection must never be inherited by them.
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                cards = dict(
                    connection.execute(
                        select(Card.status, func.count()).group_by(Card.status)
                    ).all()
                )
                batches = dict(
                    connection.execute(
                        select(Batch.status, func.count()).group_by(Batch.status)
                    ).all()
                )
                failures = connection.execute(
                    select(func.coalesce(func.sum(Batch.failures), 0))
                ).scalar_one()
                builds = connection.execute(
                    select(Batch.created_at, Batch.ready_at).where(Batch.ready_at.is_not(None))
                ).all()
        finally:
            engine.dispose()
        by_card = GaugeMetricFamily("cardsapp_cards", "Cards by status.", labels=["status"])
        for status in CardStatus:
            by_card.add_metric([status.value], cards.get(status, 0))
        by_batch = GaugeMetricFamily(
            "cardsapp_batches", "Print batches by status.", labels=["status"]
        )
        for batch_status in BatchStatus:
            by_batch.add_metric([batch_status.value], batches.get(batch_status, 0))
        failed = GaugeMetricFamily(
            "cardsapp_batch_build_failures",
            "Batch builds that raised an error, all batches together (only grows).",
            value=int(failures),
        )
        return [
            by_card,
            by_batch,
            failed,
            build_histogram(b.ready_at - b.created_at for b in builds),
        ]

    def _queues(self) -> list[Metric]:
        import redis
        from rq.registry import FailedJobRegistry

        from cardsapp.queue import QUEUE_NAMES

        waiting = GaugeMetricFamily(
            "cardsapp_queue_jobs", "Jobs waiting, by queue.", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "cardsapp_queue_failed_jobs", "Failed jobs kept by RQ, by queue.", labels=["queue"]
        )
        client = redis.Redis.from_url(
            self.redis_url or "", socket_connect_timeout=2, socket_timeout=2
        )
        try:
            for name in QUEUE_NAMES:
                waiting.add_metric([name], cast(int, client.llen(f"rq:queue:{name}")))
                key = FailedJobRegistry(name, connection=client).key
                failed.add_metric([name], cast(int, client.zcard(key)))
        finally:
            client.close()
        return [waiting, failed]


def build_histogram(durations: Iterable[object]) -> HistogramMetricFamily:
    """Seconds from a batch's request to its files being ready, queue wait included."""
    seconds = [d.total_seconds() for d in durations if hasattr(d, "total_seconds")]
    buckets = [(str(bound), sum(1 for s in seconds if s <= bound)) for bound in BUILD_BUCKETS]
    buckets.append(("+Inf", len(seconds)))
    return HistogramMetricFamily(
        "cardsapp_batch_build_seconds",
        "Seconds from a batch being requested to its files being ready (queue wait included).",
        buckets=buckets,
        sum_value=sum(seconds),
    )


def metrics_registry(
    database_url: str, redis_url: str | None, multiprocess_dir: str | None
) -> CollectorRegistry:
    """What one scrape shows: the processes' request counts plus the state read now."""
    registry = CollectorRegistry()
    if multiprocess_dir:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        # One process (the dev server, tests): its own counters.
        for metric in (REQUESTS, LATENCY, REFUSALS):
            registry.register(metric)
    registry.register(StateCollector(database_url, redis_url))
    return registry
