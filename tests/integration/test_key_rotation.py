"""rotate-keys: every address moves to the new key; then the old key can go."""

from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from cardsapp import create_app
from cardsapp.crypto import AddressBox, AddressKeyError
from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Recipient
from tests.factories import fake_address, make_campaign, make_recipient


def _invoke(app, *args: str):
    # The test's own app context is active; the command must run in the rotating app's.
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _tokens(app) -> list[bytes]:
    with app.app_context():
        return [bytes(t) for t in db.session.scalars(select(Recipient.address_token))]


def test_after_rotation_and_dropping_the_old_key_every_address_opens(app, config):
    old_key = config.address_keys[0]
    box = app.extensions["cardsapp.addresses"]
    campaign = make_campaign(db.session)
    for n in range(1, 1201):
        make_recipient(db.session, box, campaign, n)
    db.session.commit()

    new_key = Fernet.generate_key().decode()
    rotating = create_app(replace(config, address_keys=[new_key, old_key]))
    result = _invoke(rotating, "rotate-keys", "--batch-size", "500")
    assert result.exit_code == 0, result.output
    assert "Rotated 1200 addresses" in result.output
    assert "re-encrypted 500" in result.output and "re-encrypted 1000" in result.output

    only_new = AddressBox([new_key])
    opened = sorted(only_new.open(t).name for t in _tokens(app))
    assert opened == sorted(fake_address(n).name for n in range(1, 1201))
    with pytest.raises(AddressKeyError):
        AddressBox([old_key]).open(_tokens(app)[0])
    rotated = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys_rotated"))
    assert rotated.one().detail.get("count") == 1200


def test_a_database_copy_without_the_keys_reveals_no_address(app, config):
    box = app.extensions["cardsapp.addresses"]
    campaign = make_campaign(db.session)
    make_recipient(db.session, box, campaign, 77)
    db.session.commit()
    stranger = AddressBox([Fernet.generate_key().decode()])
    token = _tokens(app)[0]
    assert b"Recipientova" not in token and b"Fictionville" not in token
    with pytest.raises(AddressKeyError):
        stranger.open(token)


def test_an_interrupted_rotation_resumes_and_running_it_again_is_harmless(app, config):
    old_key = config.address_keys[0]
    box = app.extensions["cardsapp.addresses"]
    campaign = make_campaign(db.session)
    for n in range(1, 11):
        make_recipient(db.session, box, campaign, n)
    db.session.commit()
    new_key = Fernet.generate_key().decode()
    rotating = create_app(replace(config, address_keys=[new_key, old_key]))
    first_ids = sorted(db.session.scalars(select(Recipient.id)))[:4]
    assert _invoke(rotating, "rotate-keys", "--after-id", str(first_ids[-1])).exit_code == 0
    only_new = AddressBox([new_key])
    with app.app_context():
        rows = db.session.execute(select(Recipient.id, Recipient.address_token)).all()
    for recipient_id, token in rows:
        if recipient_id in first_ids:
            with pytest.raises(AddressKeyError):
                only_new.open(bytes(token))
        else:
            only_new.open(bytes(token))
    assert _invoke(rotating, "rotate-keys").exit_code == 0
    assert len({only_new.open(t).name for t in _tokens(app)}) == 10
