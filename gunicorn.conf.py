"""Gunicorn settings for production and for the load benchmark (one source of truth).

Measured on a 2-core machine with bench/load.py (see docs/operations.md): the work is
CPU-bound Python, so processes beyond the cores only add switching and cache misses. At
850 requests a second the workers spent 2.0 ms of CPU a request with 3 processes and
2.3-2.5 ms with 4. One process more than cores, with a few threads each, keeps every core
busy while one thread waits on the database or Redis, and a slow preview never holds up a
whole core's queue. Override with GUNICORN_WORKERS / GUNICORN_THREADS.
"""

import multiprocessing
import os
import shutil
import tempfile

from gunicorn.glogging import Logger


def _check_configuration() -> None:
    """Read the configuration before gunicorn starts anything: one line and status 2 if wrong."""
    import sys

    from cardsapp.config import Config, ConfigError

    try:
        Config.from_env()
    except ConfigError as error:
        print(f"cardsapp: {error}", file=sys.stderr)
        sys.exit(2)


_check_configuration()
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# A request that takes longer than this is a bug or an overload: fail it, keep the worker.
timeout = 30
graceful_timeout = 20
# Longer than the proxy keeps an idle upstream connection (nginx 60 s): otherwise the
# proxy sends a request down a connection gunicorn is closing that moment, and a donor's
# POST fails with a reset (seen in bench/load.py with a 5 s keep-alive).
keepalive = 75
# Recycle workers now and then so a slow leak can never take the site down; rarely, as a
# restart drops its keep-alive connections (a request sent down one that moment fails) and
# warms fonts and artwork again. At the 800 requests a second of bench/load.py, each of the
# three workers restarts about every half hour; on a normal day, after weeks.
max_requests = 500000
max_requests_jitter = 50000
# A short accept queue: under overload new connections are refused quickly rather
# than waiting for seconds behind a queue nobody will see the end of.
backlog = 256
# No preload: each worker opens its own database pool and Redis connection after the fork.
preload_app = False
# No access log unless asked for (GUNICORN_ACCESS_LOG=- writes it to standard output): a
# line per request with its moment is what would let a seized server be matched against a
# provider's connection records, and formatting it took 5% of the workers' CPU under load.
# The app still logs its errors and the batches' progress.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# No client address in the access log: we store no IP addresses, not even in logs.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
control_socket_disable = True

# /metrics on a port of its own, served by this master (cardsapp/web/metrics.py): the workers
# count requests in files of a directory this master made, and the master adds them up when
# Prometheus scrapes. The variable must be set before any process imports prometheus_client.
# Empty CARDS_METRICS_BIND: no metrics server.
METRICS_BIND = os.environ.get("CARDS_METRICS_BIND", "0.0.0.0:9100")
_OWN_METRICS_DIR = bool(METRICS_BIND) and not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="cardsapp-metrics-")


class RedactingLogger(Logger):
    """Gunicorn's own log lines through cardsapp's personal-data filter.

    Gunicorn writes some lines itself, outside the app's logging: "Invalid request from
    ip=203.0.113.5: ..." for every malformed request. Its loggers do not propagate to the
    root logger the app filters, so the filter is added to them here.
    """

    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        from cardsapp.logs import PersonalDataFilter

        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, PersonalDataFilter) for f in log.filters):
                log.addFilter(PersonalDataFilter())


logger_class = RedactingLogger


def post_worker_init(worker: object) -> None:
    """Warm the fonts and artwork caches before the worker takes its first request."""
    import gc

    from cardsapp.config import Config
    from cardsapp.render.designs import designs
    from cardsapp.render.preview import warm_caches
    from cardsapp.web.donate.pictures import PREVIEW_WIDTH_PX

    warm_caches(designs(Config.from_env().designs_dir), PREVIEW_WIDTH_PX)
    # What is loaded by now lives as long as the worker. Left to the collector, its full
    # passes walked all of it and stalled every request of the process for a third of a
    # second under load; frozen, they walk only what requests leave behind.
    gc.collect()
    gc.freeze()


def when_ready(server: object) -> None:
    """Serve /metrics from the master once it is listening (docs/operations.md)."""
    if not METRICS_BIND:
        return
    from prometheus_client import start_http_server

    from cardsapp.config import Config
    from cardsapp.web.metrics import metrics_registry

    config = Config.from_env()
    host, _, port = METRICS_BIND.rpartition(":")
    registry = metrics_registry(
        config.database_url, config.redis_url, os.environ["PROMETHEUS_MULTIPROC_DIR"]
    )
    try:
        start_http_server(int(port), host or "0.0.0.0", registry=registry)  # noqa: S104
    except OSError as exc:  # a second server on this machine (bench/load.py): serve the site
        server.log.warning("metrics not served on %s: %s", METRICS_BIND, exc)  # type: ignore[attr-defined]


def child_exit(server: object, worker: object) -> None:
    """A worker's live gauges stop counting when it exits (its counters stay summed)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def on_exit(server: object) -> None:
    """Remove the metrics directory this master made."""
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
