"""A worker killed half-way, and Redis restarted empty: batches still complete, exactly once.

These tests run real `python -m worker` processes against a private redis-server of their
own (never the machine's shared Redis), kill them with SIGKILL and restart that Redis empty.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import func, select

from cardsapp.config import config_for_tests
from cardsapp.extensions import db
from cardsapp.models import Batch, BatchStatus, Card, CardClaim
from cardsapp.queue import job_queues
from cardsapp.redis_server import EmbeddedRedis
from cardsapp.services.batches import create_batch, has_file, read_file, recover_batches
from tests.conftest import worker_env
from tests.factories import approved_message, make_approved_cards, make_campaign, make_recipient
from tests.processes import kill_worker, run_burst, start_worker

pytestmark = pytest.mark.slow


@pytest.fixture
def private_redis(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A redis-server of this test's own, which it may restart empty."""
    server = EmbeddedRedis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def config(database_url: str, private_redis: EmbeddedRedis, tmp_path: Path):  # type: ignore[no-untyped-def]
    return config_for_tests(database_url, private_redis.url, tmp_path)


def _campaign_with_cards(app, count: int):  # type: ignore[no-untyped-def]
    campaign = make_campaign(db.session, cap_per_batch=count, cap_per_campaign=count)
    for n in range(1, 31):
        make_recipient(db.session, campaign, n)
    make_approved_cards(db.session, campaign, count)
    db.session.commit()
    return campaign


def _claim(campaign_id: int, cards: int) -> tuple[int, str]:
    db.session.rollback()
    batch = create_batch(db.session, campaign_id, cards)
    ids = (batch.id, batch.code)
    db.session.commit()
    return ids


def _wait_until_half_way(batch_id: int, timeout: float = 90) -> int:
    """Poll the job's progress until some but not all cards are drawn; return that count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        batch = db.session.get(Batch, batch_id)
        try:
            job = Job.fetch(
                batch.job_id, connection=job_queues().connection, serializer=JSONSerializer
            )
            done = job.get_meta(refresh=False).get("done", 0)
        except NoSuchJobError:
            done = 0
        if 0 < done < batch.card_count:
            return done
        assert batch.status == BatchStatus.BUILDING, "the batch finished before it was interrupted"
        time.sleep(0.005)
    raise AssertionError("the worker never started the batch")


def _printed_messages(app, batch_ids: list[int]) -> Counter[str]:  # type: ignore[no-untyped-def]
    """How often each message appears across the batches' cards PDFs (poppler's pdftotext)."""
    seen: Counter[str] = Counter()
    for batch_id in batch_ids:
        pdf = read_file(db.session, batch_id, "cards")
        text = subprocess.run(
            ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        flat = " ".join(text.split())
        seen.update(approved_message(int(n)) for n in re.findall(r"number (\d{5}) from", flat))
    return seen


def _assert_every_card_once(app, batch_ids: list[int], cards: int) -> None:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    for batch_id in batch_ids:
        assert db.session.get(Batch, batch_id).status == BatchStatus.READY
    assert db.session.scalar(select(func.count()).select_from(CardClaim)) == cards
    claimed = db.session.scalar(select(func.count(Card.id)).where(Card.batch_id.in_(batch_ids)))
    assert claimed == cards
    printed = _printed_messages(app, batch_ids)
    assert len(printed) == cards, "a card is missing from the PDFs"
    assert set(printed.values()) == {1}, "a card is printed twice"


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_a_worker_killed_half_way_leaves_a_batch_the_next_worker_rebuilds(app, config):
    campaign = _campaign_with_cards(app, 1600)
    batch_id, code = _claim(campaign.id, 1600)
    worker = start_worker(worker_env(config))
    try:
        _wait_until_half_way(batch_id)
    finally:
        kill_worker(worker)
    time.sleep(1.5)  # nothing is left running that could still finish it
    db.session.expire_all()
    batch = db.session.get(Batch, batch_id)
    assert batch.status == BatchStatus.BUILDING
    assert not has_file(db.session, batch.id, "cards")

    # A new worker notices the silent batch on start (stale at once here) and rebuilds it.
    env = {**worker_env(config), "CARDS_BATCH_STALE_SECONDS": "0"}
    done = run_burst(env)
    assert code in done.stderr  # the worker said which batch it re-enqueued
    _assert_every_card_once(app, [batch_id], 1600)
    assert db.session.get(Batch, batch_id).attempts == 2


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_redis_restarted_empty_mid_batch_loses_no_batch(app, config, private_redis, run_worker):
    campaign = _campaign_with_cards(app, 1700)
    running_id, _ = _claim(campaign.id, 1600)
    queued_id, queued_code = _claim(campaign.id, 100)
    worker = start_worker(worker_env(config))
    try:
        _wait_until_half_way(running_id)
        private_redis.stop()
        private_redis.start()  # empty: it keeps nothing on disk
        queued_job = db.session.get(Batch, queued_id).job_id
        with pytest.raises(NoSuchJobError):
            Job.fetch(queued_job, connection=job_queues().connection, serializer=JSONSerializer)
        time.sleep(1.0)  # let the old worker trip over the empty Redis (or finish)
    finally:
        kill_worker(worker)

    db.session.rollback()
    recovered = recover_batches(db.session, timedelta(0), waiting=job_queues().job_is_waiting)
    db.session.commit()
    assert queued_code in recovered.requeued  # its queued job vanished with Redis
    run_worker()
    _assert_every_card_once(app, [running_id, queued_id], 1700)
