"""Layered fixtures: real Redis, a real database per backend, a real worker.

- Redis: REDIS_URL when set (CI points it at a database number of the tests'
  own), else a private redis-server started for the session. Only that
  database is ever flushed.
- Databases: SQLite always; PostgreSQL too when CARDS_TEST_POSTGRES_URL names
  a database made for this run. The schema is built once per backend by the
  migrations; each test starts from empty tables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from cardsapp import create_app
from cardsapp.config import Config, config_for_tests
from cardsapp.extensions import Base, db
from cardsapp.redis_server import EmbeddedRedis
from cardsapp.schema import upgrade_schema

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("CARDS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tests' own Redis database."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def migrated_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One database per backend for the whole run, built by the migrations."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'cards.sqlite3'}"}
    if POSTGRES_URL:
        urls["postgresql"] = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    for url in urls.values():
        engine = create_engine(url)
        upgrade_schema(engine)
        engine.dispose()
    return urls


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, migrated_urls: dict[str, str]) -> str:
    """Each database test runs on every configured backend, from empty tables."""
    url = migrated_urls[request.param]
    empty_tables(url)
    return url


def empty_tables(url: str) -> None:
    """Delete every row, children first; the schema stays."""
    engine = create_engine(url)
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def config(database_url: str, redis_url: str, tmp_path: Path) -> Config:
    """Settings pointing at the real services of this run."""
    return config_for_tests(database_url, redis_url, tmp_path)


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    """A fresh app on empty tables and an empty Redis database."""
    redis.Redis.from_url(config.redis_url).flushdb()
    app = create_app(config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def worker_env(config: Config) -> dict[str, str]:
    """The environment a worker process needs to reach this test's services."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=config.database_url,
        REDIS_URL=config.redis_url or "",
        SECRET_KEY=config.secret_key,
        CARDS_INSTANCE_PATH=str(config.instance_path),
        CARDS_DATA_DIR=str(config.data_dir),
        CARDS_ENV="testing",
    )
    return env


@pytest.fixture
def run_worker(config: Config):  # type: ignore[no-untyped-def]
    """Run a real `python -m worker --burst` process until the queues are empty."""

    def run(timeout: float = 120) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "worker", "--burst"],
            env=worker_env(config),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    return run
