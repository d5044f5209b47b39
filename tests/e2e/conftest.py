"""Browser tests: the app served by a real server thread, driven by Debian's Chromium.

Skipped with the reason shown when /usr/bin/chromium (or Playwright) is missing, unless
CARDS_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import create_engine
from werkzeug.serving import make_server

from cardsapp import create_app
from cardsapp.config import config_for_tests
from cardsapp.extensions import db
from cardsapp.ratelimits import UNLIMITED_SENDS
from cardsapp.schema import upgrade_schema

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip (or, when CARDS_REQUIRE_BROWSER=1, fail) browser tests without a browser."""
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get("CARDS_REQUIRE_BROWSER") == "1":
        return  # _require_browser fails each of them instead
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _require_browser(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("e2e") and os.environ.get("CARDS_REQUIRE_BROWSER") == "1":
        reason = _browser_missing()
        if reason:
            pytest.fail(f"CARDS_REQUIRE_BROWSER=1 but {reason}")


@dataclass
class LiveServer:
    """The app served on 127.0.0.1 by a real HTTP server in a thread."""

    app: Flask
    url: str

    def session(self) -> Any:
        """Run database work on the served app: `with live_server.session() as s: ...`."""
        return _AppSession(self.app)

    def jobs(self) -> Any:
        """The served app's job queues."""
        return self.app.extensions["cardsapp.queues"]


class _AppSession:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def __enter__(self) -> Any:
        self.context = self.app.app_context()
        self.context.push()
        return db.session

    def __exit__(self, *exc: object) -> None:
        db.session.remove()
        self.context.pop()


@contextmanager
def _serve(folder: Path, redis_url: str) -> Iterator[LiveServer]:
    """A fresh SQLite database built by the migrations, served on 127.0.0.1 in a thread."""
    database_url = f"sqlite:///{folder / 'live.sqlite3'}"
    engine = create_engine(database_url)
    upgrade_schema(engine)
    engine.dispose()
    redis.Redis.from_url(redis_url).flushdb()
    config = config_for_tests(database_url, redis_url, folder)
    config.send_limits = UNLIMITED_SENDS
    config.rate_limit_preview = "5000 per minute"
    config.testing = False  # served as in production: errors become pages, not exceptions
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[LiveServer]:
    """The app on SQLite and the tests' Redis database, with limits no test run can reach."""
    with _serve(tmp_path_factory.mktemp("live"), redis_url) as server:
        yield server


@pytest.fixture
def empty_live_server(tmp_path: Path, redis_url: str) -> Iterator[LiveServer]:
    """A server of its own on an empty database: no campaign, no account, no demo."""
    folder = tmp_path / "server"
    folder.mkdir()
    with _serve(folder, redis_url) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the run (Debian's, never a downloaded one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def make_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """New isolated browser pages (own cookies); phone-sized unless told otherwise."""
    contexts = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", PHONE)
        options.setdefault("device_scale_factor", 1)
        options.setdefault("is_mobile", True)
        options.setdefault("has_touch", True)
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(make_page: Callable[..., Any]) -> Any:
    """A phone-sized page (390 x 844) with JavaScript on."""
    return make_page()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: docs/screenshots with CARDS_UPDATE_SCREENSHOTS=1, else a tmp dir.

    Ordinary runs must not rewrite the pictures kept in git.
    """
    if os.environ.get("CARDS_UPDATE_SCREENSHOTS") == "1":
        folder = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path
