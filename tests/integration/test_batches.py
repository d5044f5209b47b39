"""Print batches end to end through the services and a real worker process."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from cardsapp.extensions import db
from cardsapp.models import (
    Batch,
    BatchLayout,
    BatchStatus,
    Card,
    CardClaim,
    CardStatus,
    Envelope,
    Recipient,
    utcnow,
)
from cardsapp.render.designs import designs
from cardsapp.services.batches import (
    MAX_ATTEMPTS,
    ClaimConflict,
    NothingToBatch,
    build_batch,
    create_batch,
    has_file,
    move_batch,
    purge_expired,
    read_file,
    record_failure,
    recover_batches,
    write_labels,
)
from cardsapp.services.keyholders import unlocked_by_recovery
from tests.factories import (
    RECOVERY_CODES,
    approved_message,
    fake_address,
    make_approved_cards,
    make_campaign,
    make_card,
    make_recipient,
)


def _setup(app, cards=12, recipients=3, **campaign):
    camp = make_campaign(db.session, **campaign)
    people = [make_recipient(db.session, camp, n) for n in range(1, recipients + 1)]
    make_approved_cards(db.session, camp, cards)
    db.session.commit()
    return camp, people


def _new_batch(campaign_id, max_cards=100, layout=BatchLayout.HOME_A4):
    db.session.rollback()
    batch = create_batch(db.session, campaign_id, max_cards, layout)
    db.session.commit()
    return batch


def _text(path_or_bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_batch_claims_the_oldest_approved_cards_and_a_worker_builds_its_pdfs(app, run_worker):
    campaign, _ = _setup(app, cards=10)
    batch = _new_batch(campaign.id, max_cards=6)
    assert batch.card_count == 6
    assert batch.status == BatchStatus.BUILDING
    oldest = db.session.scalars(select(Card.id).order_by(Card.id).limit(6)).all()
    batched = db.session.scalars(select(Card.id).where(Card.batch_id == batch.id)).all()
    assert sorted(batched) == oldest
    assert batch.job_id  # the job carries the batch id only

    run_worker()
    db.session.expire_all()
    batch = db.session.get(Batch, batch.id)
    assert batch.status == BatchStatus.READY
    assert read_file(db.session, batch.id, "cards").startswith(b"%PDF")
    assert read_file(db.session, batch.id, "packing").startswith(b"%PDF")
    # Nothing is left on the worker's disk: the files live in the database.
    assert not list(app.extensions["cardsapp.config"].data_dir.rglob("*.pdf"))


def test_rejected_and_unmoderated_cards_are_never_batched(app):
    campaign, _ = _setup(app, cards=0)
    make_card(db.session, campaign, status=CardStatus.REJECTED)
    make_card(db.session, campaign, status=CardStatus.SUBMITTED)
    db.session.commit()
    db.session.rollback()
    with pytest.raises(NothingToBatch):
        create_batch(db.session, campaign.id, 10)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Batch.id))) == 0


def test_a_card_is_in_one_batch_only_however_many_batches_are_made(app):
    campaign, _ = _setup(app, cards=9)
    first = _new_batch(campaign.id, max_cards=5)
    second = _new_batch(campaign.id, max_cards=5)
    with pytest.raises(NothingToBatch):
        _new_batch(campaign.id, max_cards=5)
    db.session.rollback()
    assert (first.card_count, second.card_count) == (5, 4)
    claims = db.session.scalar(select(func.count()).select_from(CardClaim))
    assert claims == 9
    assert db.session.scalar(select(func.count(Card.id)).where(Card.batch_id.is_(None))) == 0


def test_the_unique_claim_refuses_a_card_already_claimed_even_if_its_row_says_otherwise(app):
    campaign, _ = _setup(app, cards=3)
    first = _new_batch(campaign.id, max_cards=1)
    card_id = db.session.scalar(select(Card.id).where(Card.batch_id == first.id))
    # Simulate a lost update: the card row forgets its batch, the claim remembers.
    db.session.execute(
        update(Card)
        .where(Card.id == card_id)
        .values(
            status=CardStatus.APPROVED, batch_id=None, envelope_id=None, position_in_envelope=None
        )
    )
    db.session.commit()
    db.session.rollback()
    with pytest.raises(ClaimConflict):
        create_batch(db.session, campaign.id, 3)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Batch.id))) == 1


def test_envelopes_hold_one_recipient_each_within_her_cap(app):
    campaign, people = _setup(app, cards=12, recipients=3, cap_per_batch=3)
    batch = _new_batch(campaign.id, max_cards=12)
    envelopes = db.session.scalars(select(Envelope).where(Envelope.batch_id == batch.id)).all()
    # Three recipients with room for three each: nine cards, three wait.
    assert batch.card_count == 9
    assert sorted(e.recipient_id for e in envelopes) == sorted(p.id for p in people)
    assert all(e.card_count == 3 for e in envelopes)
    assert len({e.code for e in envelopes}) == 3
    for envelope in envelopes:
        recipients = db.session.scalars(
            select(Card.recipient_id).where(Card.envelope_id == envelope.id).distinct()
        ).all()
        assert recipients == [envelope.recipient_id]
    counts = db.session.scalars(select(Recipient.cards_assigned).order_by(Recipient.id)).all()
    assert counts == [3, 3, 3]


def test_a_paused_recipient_gets_nothing_and_her_chosen_cards_wait(app):
    campaign, people = _setup(app, cards=4, recipients=2)
    paused = people[0]
    make_approved_cards(db.session, campaign, 2, recipient=paused, start=100)
    db.session.execute(update(Recipient).where(Recipient.id == paused.id).values(paused=True))
    db.session.commit()
    batch = _new_batch(campaign.id, max_cards=50)
    assert batch.card_count == 4
    given = db.session.scalars(select(Card.recipient_id).where(Card.batch_id == batch.id)).all()
    assert set(given) == {people[1].id}
    waiting = db.session.scalars(
        select(Card.status).where(Card.recipient_id == paused.id, Card.recipient_chosen)
    ).all()
    assert waiting == [CardStatus.APPROVED, CardStatus.APPROVED]


def _build_here(app, batch_id):
    config = app.extensions["cardsapp.config"]
    batch = build_batch(db.session, batch_id, config.data_dir, designs(config.designs_dir))
    db.session.commit()
    return batch


def test_building_again_gives_the_same_cards_and_the_same_pdf(app):
    campaign, _ = _setup(app, cards=7)
    batch = _new_batch(campaign.id, max_cards=7)
    _build_here(app, batch.id)
    first = hashlib.sha256(read_file(db.session, batch.id, "cards")).hexdigest()
    cards_before = db.session.scalars(select(Card.id).where(Card.batch_id == batch.id)).all()
    # As after a crash half-way: the batch is building again and the job runs once more.
    db.session.execute(
        update(Batch).where(Batch.id == batch.id).values(status=BatchStatus.BUILDING)
    )
    db.session.commit()
    _build_here(app, batch.id)
    assert hashlib.sha256(read_file(db.session, batch.id, "cards")).hexdigest() == first
    assert (
        db.session.scalars(select(Card.id).where(Card.batch_id == batch.id)).all() == cards_before
    )


def test_messages_only_in_the_cards_pdf_addresses_only_in_the_labels_packing_list_neither(app):
    campaign, _people = _setup(app, cards=9, recipients=3)
    batch = _new_batch(campaign.id, max_cards=9)
    _build_here(app, batch.id)
    files = {kind: read_file(db.session, batch.id, kind) for kind in ("cards", "packing")}
    labels = io.BytesIO()
    with unlocked_by_recovery(db.session, campaign.id, RECOVERY_CODES[campaign.id]) as key:
        write_labels(db.session, key, batch, labels)
    cards_text = _text(files["cards"]).replace("\n", " ")
    packing_text = _text(files["packing"])
    labels_text = _text(labels.getvalue())

    messages = [approved_message(n) for n in range(1, 10)]
    addresses = [line for n in range(1, 4) for line in fake_address(n).lines()]
    assert all(" ".join(m.split()) in " ".join(cards_text.split()) for m in messages)
    assert all(line in labels_text for line in addresses)
    for text in (cards_text, packing_text):
        assert not any(line in text for line in addresses)
    for text in (labels_text, packing_text):
        assert not any(m[:24] in text for m in messages)
    envelopes = db.session.scalars(select(Envelope.code).where(Envelope.batch_id == batch.id))
    for code in envelopes:
        assert code in labels_text
        assert code in packing_text
        assert code in cards_text


def test_printed_then_mailed_moves_the_cards_along(app):
    campaign, _ = _setup(app, cards=3)
    batch = _new_batch(campaign.id)
    _build_here(app, batch.id)
    move_batch(db.session, batch, BatchStatus.PRINTED)
    db.session.commit()
    move_batch(db.session, batch, BatchStatus.MAILED)
    db.session.commit()
    statuses = db.session.scalars(select(Card.status).where(Card.batch_id == batch.id)).all()
    assert statuses == [CardStatus.MAILED] * 3


def test_purge_forgets_messages_and_files_of_long_mailed_batches_and_keeps_counts(app):
    campaign, _ = _setup(app, cards=4)
    old = _new_batch(campaign.id, max_cards=2)
    recent = _new_batch(campaign.id, max_cards=2)
    for batch in (old, recent):
        _build_here(app, batch.id)
        move_batch(db.session, batch, BatchStatus.PRINTED)
        move_batch(db.session, batch, BatchStatus.MAILED)
    old.mailed_at = utcnow() - timedelta(days=61)
    db.session.commit()
    config = app.extensions["cardsapp.config"]
    assert purge_expired(db.session, config.data_dir, 60) == [old.code]
    db.session.commit()
    kept = db.session.scalars(select(Card.message).where(Card.batch_id == recent.id)).all()
    gone = db.session.scalars(select(Card.message).where(Card.batch_id == old.id)).all()
    assert gone == [None, None] and all(kept)
    assert not has_file(db.session, old.id, "cards")
    assert has_file(db.session, recent.id, "cards")
    assert db.session.get(Batch, old.id).card_count == 2


def test_a_batch_whose_job_keeps_vanishing_is_enqueued_again_until_the_attempts_run_out(app):
    campaign, _ = _setup(app, cards=2)
    batch = _new_batch(campaign.id)
    later = utcnow() + timedelta(minutes=5)
    # Lost jobs (a killed worker, an emptied Redis) are not the batch's fault.
    for attempt in range(2, MAX_ATTEMPTS + 1):
        db.session.rollback()
        done = recover_batches(
            db.session, timedelta(seconds=60), now=later, waiting=lambda _: False
        )
        db.session.commit()
        assert done.requeued == [batch.code]
        assert db.session.get(Batch, batch.id).attempts == attempt
        later += timedelta(minutes=5)
    db.session.rollback()
    done = recover_batches(db.session, timedelta(seconds=60), now=later, waiting=lambda _: False)
    db.session.commit()
    batch = db.session.get(Batch, batch.id)
    assert done.failed == [batch.code]
    assert batch.status == BatchStatus.FAILED
    assert f"{MAX_ATTEMPTS} attempts" in batch.error and "lost" in batch.error


def test_a_batch_whose_build_raises_three_times_is_marked_failed_with_the_reason(app):
    campaign, _ = _setup(app, cards=2)
    batch = _new_batch(campaign.id)
    later = utcnow() + timedelta(minutes=5)
    for attempt in range(1, 4):
        db.session.rollback()
        record_failure(db.session, batch.id, ValueError("a message text must never show"))
        db.session.commit()
        done = recover_batches(
            db.session, timedelta(seconds=60), now=later, waiting=lambda _: False
        )
        db.session.commit()
        later += timedelta(minutes=5)
        if attempt < 3:
            assert done.requeued == [batch.code]
    batch = db.session.get(Batch, batch.id)
    assert done.failed == [batch.code]
    assert batch.status == BatchStatus.FAILED
    assert "ValueError" in batch.error and "message text" not in batch.error


def test_a_batch_whose_job_is_still_queued_or_beating_is_left_alone(app):
    campaign, _ = _setup(app, cards=2)
    batch = _new_batch(campaign.id)
    db.session.rollback()
    fresh = recover_batches(db.session, timedelta(seconds=60), waiting=lambda _: False)
    db.session.commit()
    db.session.rollback()
    queued = recover_batches(
        db.session, timedelta(seconds=60), now=utcnow() + timedelta(hours=1), waiting=lambda _: True
    )
    db.session.commit()
    assert fresh.requeued == [] and queued.requeued == []
    assert db.session.get(Batch, batch.id).attempts == 1


def test_a_job_taken_off_the_queue_by_a_worker_killed_before_starting_it_is_enqueued_again(app):
    from cardsapp.queue import job_queues

    campaign, _ = _setup(app, cards=2)
    batch = _new_batch(campaign.id)
    queue = job_queues().queue("batches")
    job_is_waiting = job_queues().job_is_waiting
    assert job_is_waiting(batch.job_id)
    # What a worker does first (moves the id off the queue), and then it was killed: the job
    # still says "queued", but no worker will ever see it.
    queue.connection.lrem(queue.key, 0, batch.job_id)
    assert queue.fetch_job(batch.job_id).get_status() == "queued"
    assert not job_is_waiting(batch.job_id)
    db.session.rollback()
    done = recover_batches(
        db.session,
        timedelta(seconds=60),
        now=utcnow() + timedelta(minutes=5),
        waiting=job_is_waiting,
    )
    db.session.commit()
    batch = db.session.get(Batch, batch.id)
    assert done.requeued == [batch.code]
    assert batch.attempts == 2 and job_is_waiting(batch.job_id)
