"""`cardsapp healthcheck` (compose's healthchecks) and `init-db --wait` (the migrate service)."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import make_server

from cardsapp import create_app
from cardsapp.cli import main
from cardsapp.config import config_for_tests


def healthcheck(*args: str, **env: str):  # type: ignore[no-untyped-def]
    """Run `cardsapp healthcheck` as a container runtime does: a fresh process environment."""
    return CliRunner().invoke(main, ["healthcheck", *args], env={"CARDS_ENV": "development", **env})


@pytest.fixture
def serve():  # type: ignore[no-untyped-def]
    """Serve an app over real HTTP on a free port; yields a function returning its base URL."""
    servers = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def test_healthcheck_passes_when_the_database_and_redis_answer(config, tmp_path):
    result = healthcheck(
        DATABASE_URL=config.database_url,
        REDIS_URL=config.redis_url,
        CARDS_INSTANCE_PATH=str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "healthy"


def test_healthcheck_fails_naming_what_is_down_without_its_address(config, tmp_path):
    result = healthcheck(
        DATABASE_URL=config.database_url,
        REDIS_URL="redis://:secret-password@127.0.0.1:1/0",
        CARDS_INSTANCE_PATH=str(tmp_path),
    )
    assert result.exit_code == 1
    assert "unhealthy: redis: ConnectionError" in result.output
    assert "secret-password" not in result.output and "127.0.0.1" not in result.output


def test_healthcheck_of_the_site_passes_on_a_healthy_healthz(app, serve):
    base = serve(app)
    result = healthcheck("--url", f"{base}/healthz")
    assert result.exit_code == 0, result.output


def test_healthcheck_of_the_site_fails_on_a_degraded_healthz(database_url, serve, tmp_path):
    app = create_app(config_for_tests(database_url, "redis://127.0.0.1:1/0", tmp_path))
    base = serve(app)
    result = healthcheck("--url", f"{base}/healthz")
    assert result.exit_code == 1
    assert "unhealthy: http: 503" in result.output


def test_healthcheck_of_a_site_not_listening_fails_within_its_wait(serve):
    result = healthcheck("--url", "http://127.0.0.1:1/healthz", "--wait", "2")
    assert result.exit_code == 1
    assert "unhealthy: http:" in result.output


def test_init_db_waits_for_the_database_then_says_plainly_it_is_not_there(redis_url, tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    app = create_app(config_for_tests(url, redis_url, tmp_path))
    result = app.test_cli_runner().invoke(args=["init-db", "--wait", "2"])
    assert result.exit_code == 1
    assert "No database after 2 s (database: OperationalError)" in result.output


def test_init_db_with_a_wait_migrates_a_database_that_answers(app, runner):
    result = runner.invoke(args=["init-db", "--wait", "30"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_healthcheck_says_in_one_line_what_is_wrong_with_the_configuration():
    result = healthcheck(CARDS_ENV="production", SECRET_KEY="", CARDS_ADDRESS_KEYS="")
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "SECRET_KEY" in result.output
