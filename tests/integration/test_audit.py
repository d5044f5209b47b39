"""The audit log: every sensitive action leaves a trace, and no trace holds personal data."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Role
from cardsapp.services.audit import AuditAction, PersonalDataInAudit, record_event
from tests.factories import (
    STAFF_PASSWORD,
    log_in,
    make_campaign,
    make_card,
    make_keyholder,
    make_recipient,
    make_user,
)
from tests.factories import staff_csrf_token as token

MESSAGE = "A very particular message about the garden"


def test_every_sensitive_action_is_recorded_without_personal_data(app, client, runner):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, n=41)
    card = make_card(db.session, campaign, message=MESSAGE)
    other = make_card(db.session, campaign, message=MESSAGE + " again")
    admin = make_keyholder(db.session, campaign, Role.ADMIN, email="admin@example.org")
    make_user(db.session, Role.PRINTER, email="printer@example.org")
    db.session.commit()

    log_in(client, "admin@example.org", "a wrong password guess")
    log_in(client, "nobody@example.org", "a wrong password guess")
    log_in(client, "admin@example.org")
    client.post(f"/moderate/{card.id}", data={"action": "approve", "csrf_token": token(client)})
    client.post(
        f"/moderate/{other.id}",
        data={
            "action": "reject",
            "reason": "other",
            "note": "mentions admin@example.org and the garden",
            "csrf_token": token(client),
        },
    )
    client.post(
        f"/admin/recipients/{recipient.public_id}/address/open",
        data={"password": STAFF_PASSWORD, "csrf_token": token(client)},
    )
    client.post(
        f"/admin/recipients/{recipient.public_id}/pause", data={"csrf_token": token(client)}
    )
    csv = (
        "public_label,name,address_line1,address_line2,city,postcode,country\n"
        "Label Z,Secret Person,99 Hidden Road,,Covert City,ZZ999,Farland\n"
    )
    client.post(
        f"/admin/recipients/import?campaign={campaign.slug}",
        data={"file": (io.BytesIO(csv.encode()), "p.csv"), "csrf_token": token(client)},
        content_type="multipart/form-data",
    )
    client.post(
        "/admin/staff/invite",
        data={"email": "invited@example.org", "roles": ["moderator"], "csrf_token": token(client)},
    )
    rotated = runner.invoke(
        args=["rotate-keys", campaign.slug, "--as", "admin@example.org"],
        input=STAFF_PASSWORD + "\n",
    )
    assert rotated.exit_code == 0, rotated.output
    client.post("/logout", data={"csrf_token": token(client)})

    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [e.action for e in events]
    for wanted in (
        "login_failed",
        "login",
        "card_approved",
        "card_rejected",
        "address_viewed",
        "recipient_paused",
        "recipients_imported",
        "user_invited",
        "keys_rotated",
        "logout",
    ):
        assert wanted in actions, wanted
    assert all(e.at is not None for e in events)
    assert {e.actor_id for e in events if e.action == "card_approved"} == {admin.id}
    dump = json.dumps([[e.action, e.target, e.detail] for e in events], ensure_ascii=False).lower()
    for secret in (
        "@",
        "garden",
        "particular",
        "nowhere lane",
        "testa recipientova",
        "secret person",
        "hidden road",
        "fx041",
    ):
        assert secret not in dump, secret


def test_the_audit_page_filters_by_action_and_person(app, client):
    admin = make_user(db.session, Role.ADMIN, email="admin@example.org")
    moderator = make_user(db.session, Role.MODERATOR, email="mod@example.org")
    record_event(db.session, moderator.id, AuditAction.CARD_APPROVED, "card:1")
    record_event(db.session, moderator.id, AuditAction.CARD_REJECTED, "card:2", reason="politics")
    record_event(db.session, admin.id, AuditAction.RECIPIENT_PAUSED, "recipient:ABC")
    db.session.commit()
    log_in(client, "admin@example.org")
    everything = client.get("/admin/audit").get_data(as_text=True)
    assert "<td>card:1</td>" in everything and "recipient:ABC" in everything
    rejected = client.get("/admin/audit?action=card_rejected").get_data(as_text=True)
    assert "<td>card:2</td>" in rejected and "<td>card:1</td>" not in rejected
    assert "reason=politics" in rejected
    by_mod = client.get(f"/admin/audit?actor={moderator.id}").get_data(as_text=True)
    assert "<td>card:1</td>" in by_mod and "recipient:ABC" not in by_mod
    on_target = client.get("/admin/audit?target=recipient:ABC").get_data(as_text=True)
    assert "recipient:ABC" in on_target and "<td>card:1</td>" not in on_target
    for garbage in ("?action=nonsense", "?actor=abc", "?since=yesterday", "?before=x"):
        assert client.get("/admin/audit" + garbage).status_code == 200


def test_the_audit_log_pages_newest_first(app, client):
    admin = make_user(db.session, Role.ADMIN, email="admin@example.org")
    for n in range(60):
        record_event(db.session, admin.id, AuditAction.CARD_APPROVED, f"card:{n}")
    db.session.commit()
    log_in(client, "admin@example.org")
    first = client.get("/admin/audit?action=card_approved").get_data(as_text=True)
    assert "<td>card:59</td>" in first and "<td>card:10</td>" in first
    assert "<td>card:9</td>" not in first
    import re

    next_url = re.search(r'href="(/admin/audit\?before=[^"]+)"', first)
    assert next_url
    second = client.get(next_url.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "<td>card:9</td>" in second and "<td>card:0</td>" in second
    assert "<td>card:10</td>" not in second


@pytest.mark.parametrize(
    "detail",
    [{"email": "someone@example.org"}, {"text": "x" * 200}, {"nested": {"a": 1}}],
)
def test_personal_data_cannot_be_written_to_the_audit_log(app, detail):
    with pytest.raises(PersonalDataInAudit):
        record_event(db.session, None, AuditAction.LOGIN, None, **detail)
    with pytest.raises(PersonalDataInAudit):
        record_event(db.session, None, AuditAction.LOGIN, "user:someone@example.org")
