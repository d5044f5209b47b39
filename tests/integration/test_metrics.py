"""/metrics: what an operator can graph, served apart from the site, with nothing personal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from sqlalchemy import select

from cardsapp import create_app
from cardsapp.config import config_for_tests
from cardsapp.extensions import db
from cardsapp.models import Card, CardStatus, Role
from cardsapp.web.metrics import metrics_registry
from tests.factories import (
    STAFF_PASSWORD,
    csrf_token,
    log_in,
    make_campaign,
    make_card,
    make_user,
)

MESSAGE = "Warm wishes from a canary donor, metrics-canary-7731."


def scrape(config) -> str:
    """One scrape, as the gunicorn master serves it (here in one process)."""
    registry = metrics_registry(config.database_url, config.redis_url, None)
    return generate_latest(registry).decode()


def sample(text: str, line_start: str) -> float:
    """The value of the first sample whose line starts with `line_start`."""
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/api/metrics"])
def test_the_site_does_not_serve_metrics_to_anyone(client, app, path):
    make_user(db.session, Role.ADMIN, email="admin@example.test")
    db.session.commit()
    assert client.get(path).status_code == 404
    log_in(client, "admin@example.test")
    assert client.get(path).status_code == 404


def test_requests_are_counted_by_endpoint_name_never_by_url(client, app, config):
    make_campaign(db.session)
    db.session.commit()
    before = scrape(config)
    page = client.get("/write")
    client.post(
        "/write",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "design": "birds",
            "message": MESSAGE,
            "recipient": "any",
            "send": "1",
        },
    )
    reference = db.session.scalars(select(Card.reference)).one()
    client.get(f"/thanks/{reference}")
    after = scrape(config)
    line = 'cardsapp_http_requests_total{endpoint="donate.write",method="POST",status="303"}'
    assert sample(after, line) == sample(before, line) + 1
    assert 'endpoint="donate.thanks"' in after
    assert 'cardsapp_http_request_duration_seconds_bucket{endpoint="donate.write"' in after
    assert reference not in after and "canary" not in after


def test_cards_batches_and_queues_are_shown_by_state(app, config):
    campaign = make_campaign(db.session)
    for status in (CardStatus.SUBMITTED, CardStatus.SUBMITTED, CardStatus.APPROVED):
        make_card(db.session, campaign, status=status, message=MESSAGE)
    db.session.commit()
    text = scrape(config)
    assert sample(text, 'cardsapp_cards{status="submitted"}') == 2
    assert sample(text, 'cardsapp_cards{status="approved"}') == 1
    assert sample(text, 'cardsapp_cards{status="rejected"}') == 0
    assert 'cardsapp_batches{status="building"} 0.0' in text
    assert 'cardsapp_queue_jobs{queue="batches"} 0.0' in text
    assert "cardsapp_batch_build_seconds_count 0.0" in text
    assert 'cardsapp_state_up{source="database"} 1.0' in text
    assert "canary" not in text


def test_a_scrape_reports_an_unreachable_database_instead_of_failing(redis_url, tmp_path):
    config = config_for_tests("postgresql+psycopg://nobody@127.0.0.1:1/none", redis_url, tmp_path)
    text = scrape(config)
    assert 'cardsapp_state_up{source="database"} 0.0' in text
    assert 'cardsapp_state_up{source="redis"} 1.0' in text


def test_rate_limit_refusals_are_counted(database_url, redis_url, tmp_path):
    config = config_for_tests(database_url, redis_url, tmp_path)
    config.rate_limit_login = "1 per minute"
    app = create_app(config)
    client = app.test_client()
    with app.app_context():
        make_user(db.session, Role.MODERATOR, email="mod@example.test")
        db.session.commit()
    line = 'cardsapp_rate_limit_refusals_total{endpoint="auth.login"}'
    before = sample(scrape(config), line)
    for _ in range(3):
        log_in(client, "mod@example.test", STAFF_PASSWORD + "wrong")
    after = scrape(config)
    assert sample(after, line) >= before + 1
    assert "mod@example.test" not in after


def test_worker_processes_counts_are_added_up_in_multiprocess_mode(tmp_path, config):
    # As under gunicorn: each process writes its own file; one scrape sums them all.
    directory = tmp_path / "metrics"
    directory.mkdir()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(directory))
    code = (
        "from cardsapp.web.metrics import REQUESTS; "
        "REQUESTS.labels('donate.landing', 'GET', '200').inc(3)"
    )
    root = Path(__file__).resolve().parents[2]
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=True)
    registry = metrics_registry(config.database_url, config.redis_url, str(directory))
    text = generate_latest(registry).decode()
    line = 'cardsapp_http_requests_total{endpoint="donate.landing",method="GET",status="200"}'
    assert sample(text, line) == 6
