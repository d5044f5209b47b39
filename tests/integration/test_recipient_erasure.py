"""Recipients over the years: an address edited, consent withdrawn, a recipient deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Card, CardStatus, Erasure, Recipient, Role
from cardsapp.services.batches import create_batch, label_items
from cardsapp.services.holdings import data_holdings
from cardsapp.services.keyholders import unlocked_by_recovery
from cardsapp.services.recipients import open_address
from cardsapp.services.users import find_user
from tests.factories import (
    RECOVERY_CODES,
    STAFF_PASSWORD,
    RecoveryOpener,
    fake_address,
    give_key,
    log_in,
    logged_in_admin,
    make_campaign,
    make_card,
    make_recipient,
    make_user,
)
from tests.factories import staff_csrf_token as token


@pytest.fixture
def admin_client(app, client):
    logged_in_admin(db.session, client)
    return client


@pytest.fixture
def box(app):
    return RecoveryOpener(db.session)


def _actions(public_id: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target == f"recipient:{public_id}")
            .order_by(AuditEvent.id)
        )
    )


def _erase(client, recipient, action: str, confirm: bool = True):
    data = {"action": action, "csrf_token": token(client)}
    if confirm:
        data["confirm"] = "y"
    return client.post(f"/admin/recipients/{recipient.public_id}/erase", data=data)


def _raw_token(recipient_id: int) -> bytes | None:
    value = db.session.execute(
        text("SELECT address_token FROM recipients WHERE id = :id"), {"id": recipient_id}
    ).scalar()
    return bytes(value) if value is not None else None


def test_an_admin_edits_an_address_after_a_fresh_password_and_it_is_audited(app, admin_client, box):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, 7)
    give_key(db.session, campaign, find_user(db.session, "admin@example.org"))
    db.session.commit()
    url = f"/admin/recipients/{recipient.public_id}/address"
    assert "Nowhere" not in admin_client.get(url).get_data(as_text=True)  # locked
    opened = admin_client.post(
        f"{url}/open", data={"password": STAFF_PASSWORD, "csrf_token": token(admin_client)}
    )
    assert "7 Nowhere Lane" in opened.get_data(as_text=True)  # the form starts from it
    new = {
        "name": "Testa Movedova",
        "address_line1": "9 Elsewhere Road",
        "address_line2": "",
        "city": "Fictiongrad",
        "postcode": "FX999",
        "country": "Nowhereland",
        "csrf_token": token(admin_client),
    }
    assert admin_client.post(url, data=new).status_code == 302
    db.session.refresh(recipient)
    assert open_address(box, recipient).address_line1 == "9 Elsewhere Road"
    assert b"Elsewhere" not in recipient.address_token
    assert _actions(recipient.public_id) == ["address_viewed", "address_changed"]


def test_an_address_with_an_empty_required_field_is_refused_and_kept_on_the_form(
    app, admin_client, box
):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, 8)
    db.session.commit()
    before = recipient.address_token
    bad = {
        "name": "Testa Kept",
        "address_line1": "",
        "address_line2": "",
        "city": "Fictiongrad",
        "postcode": "",
        "country": "Nowhereland",
        "csrf_token": token(admin_client),
    }
    response = admin_client.post(f"/admin/recipients/{recipient.public_id}/address", data=bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "It is empty." in page and 'value="Testa Kept"' in page
    db.session.refresh(recipient)
    assert recipient.address_token == before


def test_an_address_is_not_edited_without_a_fresh_password(app, client, box):
    from cardsapp.web.access import FRESH_AT

    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, 9)
    make_user(db.session, Role.ADMIN, email="admin@example.org")
    db.session.commit()
    log_in(client, "admin@example.org")
    with client.session_transaction() as sess:
        sess[FRESH_AT] = 0  # typed long ago
    response = client.post(
        f"/admin/recipients/{recipient.public_id}/address",
        data={"name": "X", "csrf_token": token(client)},
    )
    assert response.status_code == 302 and "/reauth" in response.headers["Location"]
    db.session.refresh(recipient)
    assert open_address(box, recipient).name == "Testa Recipientova 9"


def test_consent_withdrawn_pauses_her_and_erases_her_address_at_once(app, admin_client, box):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, 10)
    db.session.commit()
    assert _erase(admin_client, recipient, "withdraw", confirm=False).status_code == 302
    assert _raw_token(recipient.id) is not None  # nothing happens without the tick
    assert _erase(admin_client, recipient, "withdraw").status_code == 302
    db.session.expire_all()
    stored = db.session.get(Recipient, recipient.id)
    assert _raw_token(recipient.id) is None
    assert stored.paused and stored.erasure is Erasure.CONSENT_WITHDRAWN
    assert stored.public_label == "Test mother 10"  # still on the list, marked
    page = admin_client.get(f"/admin/recipients?campaign={campaign.slug}").get_data(as_text=True)
    assert "Test mother 10" in page and "Consent withdrawn" in page
    resume = {"action": "resume", "csrf_token": token(admin_client)}
    admin_client.post(f"/admin/recipients/{recipient.public_id}/pause", data=resume)
    db.session.expire_all()
    assert db.session.get(Recipient, recipient.id).paused  # cannot be resumed
    assert _actions(recipient.public_id) == ["recipient_consent_withdrawn"]


def test_a_deleted_recipient_keeps_her_counts_and_loses_her_address_and_label(
    app, admin_client, box
):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, 11)
    other = make_recipient(db.session, campaign, 12)
    db.session.execute(
        Recipient.__table__.update().where(Recipient.id == recipient.id).values(cards_assigned=4)
    )
    db.session.commit()
    public_id = recipient.public_id
    assert _erase(admin_client, recipient, "delete").status_code == 302
    db.session.expire_all()
    row = db.session.execute(
        text(
            "SELECT address_token, public_label, label_search, cards_assigned, paused "
            "FROM recipients WHERE id = :id"
        ),
        {"id": recipient.id},
    ).one()
    assert row[0] is None and row[1] == "" and row[2] == ""
    assert row[3] == 4 and row[4]
    page = admin_client.get(f"/admin/recipients?campaign={campaign.slug}").get_data(as_text=True)
    assert "Test mother 11" not in page and public_id not in page
    assert "Test mother 12" in page and other.public_id in page
    assert admin_client.get(f"/admin/recipients/{public_id}").status_code == 404
    assert admin_client.get(f"/admin/recipients/{public_id}/address").status_code == 404
    assert _actions(public_id) == ["recipient_deleted"]


def test_cards_already_in_an_envelope_for_a_deleted_recipient_get_a_do_not_post_label(
    app, admin_client, box
):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, 13)
    for _ in range(2):
        make_card(db.session, campaign, status=CardStatus.APPROVED)
    db.session.commit()
    batch = create_batch(db.session, campaign.id, 10)
    db.session.commit()
    assert _erase(admin_client, recipient, "delete").status_code == 302
    db.session.expire_all()
    with unlocked_by_recovery(db.session, campaign.id, RECOVERY_CODES[campaign.id]) as key:
        labels = list(label_items(db.session, key, batch))
    assert len(labels) == 1
    assert "do not post" in " ".join(labels[0].lines)
    assert not any("Nowhere Lane" in line for line in labels[0].lines)
    cards = db.session.scalars(select(Card).where(Card.batch_id == batch.id)).all()
    assert len(cards) == 2  # the batch and its cards are untouched


def test_data_we_hold_counts_erased_recipients_apart(app, admin_client, box):
    campaign = make_campaign(db.session)
    people = [make_recipient(db.session, campaign) for _ in range(4)]
    db.session.commit()
    _erase(admin_client, people[0], "withdraw")
    _erase(admin_client, people[1], "delete")
    holdings = data_holdings(db.session, 60)
    assert (holdings.recipients, holdings.withdrawn_recipients, holdings.deleted_recipients) == (
        2,
        1,
        1,
    )
    page = admin_client.get("/admin/data").get_data(as_text=True)
    assert "No address is held for 1 who withdrew consent and 1 deleted" in page


def test_a_deleted_address_is_gone_from_the_table_and_the_database_file(app, admin_client, box):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign)
    db.session.commit()
    sealed, rid = bytes(recipient.address_token), recipient.id
    filenode = _filenode()
    db.session.remove()  # no reader of ours holds the old pages
    _erase(admin_client, recipient, "delete")
    assert _raw_token(rid) is None
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        path = db.engine.url.database
        files = [Path(path), Path(path + "-wal")]
        data = b"".join(f.read_bytes() for f in files if f.exists())
        assert sealed[:40] not in data
    else:
        # VACUUM FULL wrote the table to a new file and removed the one with her old row.
        assert _filenode() != filenode


def _filenode() -> int | None:
    if db.engine.dialect.name != "postgresql":
        return None
    return db.session.execute(text("SELECT pg_relation_filenode('recipients')")).scalar()


def test_search_finds_recipients_by_label_in_any_case_and_by_public_id(app, admin_client, box):
    from cardsapp.services.recipients import add_recipient

    campaign = make_campaign(db.session)
    add_recipient(db.session, campaign, "Мама з Прыкладнага раёна", fake_address(1))
    found = add_recipient(db.session, campaign, "Mother in Example region", fake_address(2))
    db.session.commit()
    url = f"/admin/recipients?campaign={campaign.slug}&q="
    page = admin_client.get(url + "мама").get_data(as_text=True)
    assert "Мама з Прыкладнага" in page and "Mother in Example" not in page
    page = admin_client.get(url + found.public_id.lower()).get_data(as_text=True)
    assert "Mother in Example" in page and "Мама" not in page
    page = admin_client.get(url + "100%_").get_data(as_text=True)
    assert "No recipient matches." in page


def test_the_list_pages_by_fifty_and_has_no_form_per_row(app, admin_client, box):
    campaign = make_campaign(db.session)
    for n in range(1, 121):
        make_recipient(db.session, campaign, n)
    db.session.commit()
    page = admin_client.get(f"/admin/recipients?campaign={campaign.slug}").get_data(as_text=True)
    assert page.count("<form") <= 3  # import, search and logout: none per recipient
    assert "Test mother 50<" in page and "Test mother 51<" not in page
    seen = set()
    url = f"/admin/recipients?campaign={campaign.slug}"
    while url:
        page = admin_client.get(url).get_data(as_text=True)
        seen |= {n for n in range(1, 121) if f"Test mother {n}<" in page}
        import re

        more = re.search(r'class="pager"><a class="button secondary" href="([^"]+)"', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == set(range(1, 121))
