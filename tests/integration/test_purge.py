"""Purging: two purges at once purge each batch once; one purge runs at a time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cardsapp.extensions import db
from cardsapp.models import Batch, BatchStatus, Card, CardStatus, utcnow
from cardsapp.services.batches import purge_expired, purge_turn
from tests.factories import make_campaign

BATCHES = 8
CARDS_EACH = 150


def _mailed_long_ago(app, prefix: str = "P") -> list[str]:
    campaign = make_campaign(db.session)
    long_ago = utcnow() - timedelta(days=90)
    codes = []
    for n in range(BATCHES):
        batch = Batch(
            campaign_id=campaign.id,
            status=BatchStatus.MAILED,
            card_count=CARDS_EACH,
            mailed_at=long_ago,
            ready_at=long_ago,
        )
        db.session.add(batch)
        db.session.flush()
        codes.append(batch.code)
        db.session.execute(
            insert(Card),
            [
                {
                    "reference": f"{prefix}{n:02d}{k:06d}",
                    "campaign_id": campaign.id,
                    "design_slug": "plain",
                    "message": f"Dear mum, card {k}",
                    "signature": "A friend",
                    "status": CardStatus.MAILED,
                    "flags": [],
                    "batch_id": batch.id,
                }
                for k in range(CARDS_EACH)
            ],
        )
    db.session.commit()
    return codes


def _purge_together(app, workers: int, take_turns: bool) -> list[list[str] | None]:
    """Start `workers` purges at the same moment, each on its own connection."""
    data_dir = app.extensions["cardsapp.config"].data_dir
    engine = db.engine
    start = threading.Barrier(workers)
    results: list[list[str] | None] = [None] * workers
    errors: list[BaseException] = []

    def purge(slot: int) -> None:
        try:
            with Session(engine) as session:
                start.wait()
                if not take_turns:
                    results[slot] = purge_expired(session, data_dir, 60, commit=session.commit)
                    return
                with purge_turn(engine) as mine:
                    results[slot] = (
                        purge_expired(session, data_dir, 60, commit=session.commit) if mine else []
                    )
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=purge, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


@pytest.mark.parametrize("take_turns", [False, True], ids=["racing", "taking-turns"])
def test_two_purges_at_once_purge_each_batch_once(app, take_turns):
    codes = _mailed_long_ago(app)
    results = _purge_together(app, 2, take_turns)
    purged = [code for result in results for code in (result or [])]
    assert sorted(purged) == sorted(codes), "a batch was purged twice, or not at all"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Card.id)).where(Card.message.is_not(None))) == 0
    assert db.session.scalar(select(func.count(Batch.id)).where(Batch.purged_at.is_(None))) == 0


def test_while_one_purge_runs_another_does_nothing_on_postgresql(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite takes turns per batch with BEGIN IMMEDIATE instead")
    _mailed_long_ago(app)
    with purge_turn(db.engine) as first:
        assert first
        with purge_turn(db.engine) as second:
            assert not second
    with purge_turn(db.engine) as later:
        assert later, "the turn is given back when a purge ends"


def test_the_worker_purge_commits_each_batch_and_reports_them(app):
    import worker.jobs

    codes = _mailed_long_ago(app)
    worker.jobs.use_app(app)
    result = worker.jobs.purge_expired()
    assert sorted(result["purged"]) == sorted(codes)
    assert worker.jobs.purge_expired() == {"purged": [], "rejected": 0}


def test_the_periodic_purge_rewrites_postgresql_tables_at_most_once_a_turn_and_owes_the_rest(
    app, database_url, monkeypatch
):
    import worker.jobs

    scrubs: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        "cardsapp.services.residue.scrub_after_delete",
        lambda engine, tables: scrubs.append(tuple(tables)) or True,
    )
    worker.jobs.use_app(app)
    _mailed_long_ago(app)
    assert worker.jobs.purge_expired()["purged"]
    assert len(scrubs) == 1, "what a purge leaves is scrubbed at once the first time"
    _mailed_long_ago(app, prefix="Q")
    assert worker.jobs.purge_expired()["purged"]
    if database_url.startswith("postgresql"):
        # VACUUM FULL locks the cards table: a second purge within the turn only owes one.
        assert len(scrubs) == 1
        from cardsapp.queue import job_queues

        job_queues().connection.delete("cardsapp:scrub-turn")  # the turn's time is up
        worker.jobs.purge_expired()  # nothing more to purge, but a scrub is owed
        assert len(scrubs) == 2
        worker.jobs.purge_expired()
        assert len(scrubs) == 2, "nothing owed, nothing done"
    else:
        assert len(scrubs) == 2, "a WAL checkpoint is cheap: SQLite scrubs after every purge"
