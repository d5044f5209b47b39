"""Checks a container runtime (or an operator) runs from outside the app: `cardsapp healthcheck`.

They build no app: no Redis is started, no fonts are loaded, nothing is written. Each check
answers a short reason when it fails ("database: OperationalError"), never a URL or a
password, so its output can go to `docker inspect` and logs as it is.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

Check = Callable[[], str | None]


def database_check(url: str) -> Check:
    """None when the database answers `SELECT 1`, else why not."""

    def check() -> str | None:
        engine = create_engine(url, poolclass=NullPool, connect_args=_connect_timeout(url))
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            # The driver's own error (OperationalError) says more than SQLAlchemy's wrapper.
            return f"database: {type(getattr(exc, 'orig', None) or exc).__name__}"
        finally:
            engine.dispose()
        return None

    return check


def redis_check(url: str) -> Check:
    """None when Redis answers PING, else why not."""

    def check() -> str | None:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        except redis.RedisError as exc:
            return f"redis: {type(exc).__name__}"
        finally:
            client.close()
        return None

    return check


def http_check(url: str) -> Check:
    """None when the URL answers 200 with a JSON status "ok" (GET /healthz), else why not."""

    def check() -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own URL)
                body = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return f"http: {exc.code}"
        except (OSError, ValueError) as exc:
            return f"http: {type(exc).__name__}"
        if body.get("status") != "ok":
            return "http: status is not ok"
        return None

    return check


def run_checks(checks: list[Check], wait_seconds: float = 0, pause: float = 1.0) -> list[str]:
    """Run the checks until all pass or `wait_seconds` have passed; the last try's failures."""
    deadline = time.monotonic() + wait_seconds
    while True:
        failures = [reason for check in checks if (reason := check()) is not None]
        if not failures or time.monotonic() + pause > deadline:
            return failures
        time.sleep(pause)


def _connect_timeout(url: str) -> dict[str, object]:
    # A healthcheck that hangs is reported as a timeout by the runtime, with no reason.
    if url.startswith("postgresql"):
        return {"connect_timeout": 3}
    return {}
