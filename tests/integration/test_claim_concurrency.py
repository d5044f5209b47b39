"""Many processes claiming at once: every approved card ends up in exactly one batch."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cardsapp.config import config_for_tests
from cardsapp.extensions import db
from cardsapp.models import Batch, Card, CardClaim, CardStatus, Envelope, Recipient
from tests.factories import make_approved_cards, make_campaign, make_recipient

CARDS = 10_000
PER_BATCH = 250


def claim_until_empty(
    database_url: str, redis_url: str, folder: str, campaign_id: int, start_at: float
) -> list[tuple[int, int]]:
    """One claiming process: make batches until nothing is left; return (batch id, cards)."""
    from cardsapp import create_app
    from cardsapp.services.batches import ClaimConflict, NothingToBatch, create_batch

    app = create_app(config_for_tests(database_url, redis_url, Path(folder)))
    made = []
    with app.app_context():
        time.sleep(max(0.0, start_at - time.time()))  # all processes start together
        while True:
            db.session.rollback()
            try:
                batch = create_batch(db.session, campaign_id, PER_BATCH)
                made.append((batch.id, batch.card_count))
                db.session.commit()
                # SQLite's busy handler is not fair: a tight loop would win every time.
                time.sleep(0.01)
            except NothingToBatch:
                db.session.rollback()
                break
            except ClaimConflict:
                db.session.rollback()  # the constraint did its job; claim again
        db.engine.dispose()
    return made


@pytest.mark.slow
def test_concurrent_claims_put_every_card_in_exactly_one_batch(
    app, database_url, redis_url, tmp_path
):
    campaign = make_campaign(db.session, cap_per_batch=PER_BATCH, cap_per_campaign=CARDS)
    for n in range(40):
        make_recipient(db.session, campaign, n + 1)
    make_approved_cards(db.session, campaign, CARDS)
    db.session.commit()
    processes = 8 if database_url.startswith("postgresql") else 2

    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 4.0  # time for every process to import and connect
    with context.Pool(processes) as pool:
        results = pool.starmap(
            claim_until_empty,
            [
                (database_url, redis_url, str(tmp_path / f"p{i}"), campaign.id, start_at)
                for i in range(processes)
            ],
        )

    db.session.expire_all()
    made = [batch for result in results for batch in result]
    assert sum(count for _, count in made) == CARDS
    assert len({batch_id for batch_id, _ in made}) == len(made)
    # Several processes did claim: the test really ran them side by side.
    per_process = [len(result) for result in results]
    assert sum(1 for n in per_process if n) >= 2, per_process
    assert db.session.scalar(select(func.count()).select_from(CardClaim)) == CARDS
    assert db.session.scalar(select(func.count(Card.id)).where(Card.batch_id.is_(None))) == 0
    assert (
        db.session.scalar(select(func.count(Card.id)).where(Card.status != CardStatus.BATCHED)) == 0
    )
    # The card row and its claim agree, and each card's envelope is in the card's batch.
    mismatched = db.session.scalar(
        select(func.count(Card.id))
        .join(CardClaim, CardClaim.card_id == Card.id)
        .join(Envelope, Envelope.id == Card.envelope_id)
        .where((CardClaim.batch_id != Card.batch_id) | (Envelope.batch_id != Card.batch_id))
    )
    assert mismatched == 0
    assert db.session.scalar(select(func.sum(Batch.card_count))) == CARDS
    assert db.session.scalar(select(func.sum(Recipient.cards_assigned))) == CARDS
