"""Jobs carry ids, run in a real worker process, and only after a commit."""

import json
import zlib

from sqlalchemy import update

from cardsapp.extensions import db
from cardsapp.models import Campaign
from cardsapp.queue import enqueue_after_commit, job_queues
from tests.factories import make_campaign, make_card


def _spoil_counter(campaign_id: int) -> None:
    db.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(cards_count=999))


def test_a_committed_job_is_run_by_a_real_worker(app, run_worker):
    campaign = make_campaign(db.session)
    for _ in range(3):
        make_card(db.session, campaign)
    _spoil_counter(campaign.id)
    enqueue_after_commit(db.session, "worker.jobs.refresh_counter", campaign.id)
    db.session.commit()
    assert job_queues().queue().count == 1

    run_worker()

    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).cards_count == 3
    assert job_queues().queue().count == 0


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(app, run_worker):
    campaign = make_campaign(db.session)
    make_card(db.session, campaign)
    _spoil_counter(campaign.id)
    db.session.commit()

    enqueue_after_commit(db.session, "worker.jobs.refresh_counter", campaign.id)
    db.session.rollback()
    assert job_queues().queue().count == 0

    # A later, unrelated commit must not send the discarded job either.
    make_campaign(db.session)
    db.session.commit()
    assert job_queues().queue().count == 0

    run_worker()
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).cards_count == 999


def test_jobs_refuse_anything_but_ids(app):
    import pytest

    with pytest.raises(TypeError):
        enqueue_after_commit(db.session, "worker.jobs.refresh_counter", {"message": "x"})


def test_job_arguments_in_redis_are_plain_json_ids(app):
    campaign = make_campaign(db.session)
    enqueue_after_commit(db.session, "worker.jobs.refresh_counter", campaign.id)
    db.session.commit()
    job = job_queues().queue().jobs[0]
    assert job.args == [campaign.id] or job.args == (campaign.id,)
    raw = job_queues().connection.hget(f"rq:job:{job.id}", "data")
    assert json.loads(zlib.decompress(raw)) == [
        "worker.jobs.refresh_counter",
        None,
        [campaign.id],
        {},
    ]
