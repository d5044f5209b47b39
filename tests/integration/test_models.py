from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cardsapp.extensions import db
from cardsapp.models import Card, CardStatus, Participant, Recipient, Role, User
from tests.factories import make_campaign, make_card, make_recipient, make_user, read_address


def test_cards_get_random_references_that_do_not_reveal_their_order(app):
    campaign = make_campaign(db.session)
    cards = [make_card(db.session, campaign) for _ in range(20)]
    db.session.commit()
    references = [c.reference for c in cards]
    assert len(set(references)) == 20
    assert references != sorted(references)
    assert all(len(r) == 8 and r.isalnum() for r in references)


def test_a_status_survives_the_round_trip_as_its_enum(app):
    campaign = make_campaign(db.session)
    card = make_card(db.session, campaign, status=CardStatus.APPROVED)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Card, card.id)
    assert stored.status is CardStatus.APPROVED


def test_datetimes_come_back_timezone_aware_on_every_backend(app):
    opens = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    campaign = make_campaign(db.session, opens_at=opens, closes_at=opens + timedelta(days=7))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(campaign), campaign.id).opens_at == opens


def test_a_browser_is_counted_once_per_campaign(app):
    campaign = make_campaign(db.session)
    db.session.add(Participant(campaign_id=campaign.id, token_hash="a" * 64))
    db.session.commit()
    db.session.add(Participant(campaign_id=campaign.id, token_hash="a" * 64))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_recipient_row_holds_no_readable_address(app):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, n=7)
    db.session.commit()
    raw = db.session.execute(
        select(Recipient.address_token, Recipient.public_label).where(Recipient.id == recipient.id)
    ).one()
    assert b"Nowhere" not in bytes(raw.address_token)
    assert read_address(db.session, campaign.id, raw.address_token).name == "Testa Recipientova 7"
    assert len(recipient.public_id) == 10


def test_an_account_may_hold_several_roles_and_admin_holds_all(app):
    user = make_user(db.session, Role.MODERATOR, Role.PRINTER)
    admin = make_user(db.session, Role.ADMIN)
    db.session.commit()
    stored = db.session.get(User, user.id)
    assert stored.roles == {Role.MODERATOR, Role.PRINTER}
    assert stored.has_role(Role.PRINTER) and not stored.has_role(Role.ADDRESSER)
    assert admin.has_role(Role.ADDRESSER)


def test_two_accounts_cannot_share_an_email(app):
    from cardsapp.services.users import AccountError

    make_user(db.session, Role.MODERATOR, email="same@example.org")
    with pytest.raises(AccountError):
        make_user(db.session, Role.PRINTER, email="Same@Example.org")
