"""The batch commands: build-batch, export-batch and purge."""

from __future__ import annotations

from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Batch, BatchStatus, utcnow
from tests.factories import (
    STAFF_PASSWORD,
    make_approved_cards,
    make_campaign,
    make_keyholder,
    make_recipient,
)


def _campaign(app, cards=5):  # type: ignore[no-untyped-def]
    campaign = make_campaign(db.session)
    make_recipient(db.session, campaign, 1)
    make_approved_cards(db.session, campaign, cards)
    db.session.commit()
    return campaign


def test_build_batch_wait_prints_the_code_of_a_ready_batch(app, runner):
    _campaign(app)
    result = runner.invoke(args=["build-batch", "--max-cards", "3", "--wait"])
    assert result.exit_code == 0, result.output
    code = result.stdout.strip().splitlines()[-1]
    db.session.expire_all()
    batch = db.session.scalars(select(Batch).where(Batch.code == code)).one()
    assert batch.status == BatchStatus.READY and batch.card_count == 3


def test_build_batch_without_cards_says_so(app, runner):
    make_campaign(db.session)
    db.session.commit()
    result = runner.invoke(args=["build-batch"])
    assert result.exit_code != 0
    assert "no approved cards" in result.output


def test_export_batch_writes_cards_and_labels_and_audits_both(app, runner, tmp_path):
    campaign = _campaign(app)
    keyholder = make_keyholder(db.session, campaign)
    db.session.commit()
    code = runner.invoke(args=["build-batch", "--wait"]).stdout.strip().splitlines()[-1]
    cards, labels = tmp_path / "cards.pdf", tmp_path / "labels.pdf"
    args = ["export-batch", code.lower(), "--cards", str(cards), "--labels", str(labels)]
    result = runner.invoke(args=[*args, "--as", keyholder.email], input=STAFF_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Testa Recipientova 1" in PdfReader(labels).pages[0].extract_text()
    assert len(PdfReader(cards).pages) == 2
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["batch_downloaded", "labels_downloaded"]


def test_export_batch_labels_refuse_a_wrong_password_and_write_nothing(app, runner, tmp_path):
    campaign = _campaign(app)
    keyholder = make_keyholder(db.session, campaign)
    db.session.commit()
    code = runner.invoke(args=["build-batch", "--wait"]).stdout.strip().splitlines()[-1]
    labels = tmp_path / "labels.pdf"
    args = ["export-batch", code, "--labels", str(labels), "--as", keyholder.email]
    wrong = runner.invoke(args=args, input="a wrong password here\n")
    assert wrong.exit_code != 0 and "Wrong e-mail or password" in wrong.output
    unnamed = runner.invoke(args=args[:-2], input=STAFF_PASSWORD + "\n")
    assert unnamed.exit_code != 0 and "--as" in unnamed.output
    assert not labels.exists()


def test_purge_forgets_long_mailed_batches(app, runner):
    _campaign(app)
    code = runner.invoke(args=["build-batch", "--wait"]).stdout.strip().splitlines()[-1]
    db.session.expire_all()
    batch = db.session.scalars(select(Batch).where(Batch.code == code)).one()
    batch.status = BatchStatus.MAILED
    batch.mailed_at = utcnow() - timedelta(days=90)
    db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "Purged 1 batches" in result.output


def test_purge_forgets_the_texts_of_cards_rejected_long_ago_but_not_recent_ones(app, runner):
    from cardsapp.models import Card, CardStatus
    from tests.factories import make_campaign, make_card

    campaign = make_campaign(db.session)
    old = make_card(db.session, campaign, message="An old refusal", status=CardStatus.REJECTED)
    new = make_card(db.session, campaign, message="A new refusal", status=CardStatus.REJECTED)
    waiting = make_card(db.session, campaign, message="Still waiting")
    old.decided_at = utcnow() - timedelta(days=90)
    new.decided_at = utcnow() - timedelta(days=1)
    db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "texts of 1 cards rejected" in result.output
    db.session.expire_all()
    assert db.session.get(Card, old.id).message is None
    assert db.session.get(Card, new.id).message == "A new refusal"
    assert db.session.get(Card, waiting.id).message == "Still waiting"
