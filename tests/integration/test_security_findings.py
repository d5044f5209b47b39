"""Regression tests for the findings of the security review (issue 16), one section each.

Each test failed before its fix. Deeper tests of the same fixes live beside the code they
guard (the route fuzz test, residue, sign-in, text limits).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cardsapp.extensions import db
from cardsapp.models import Card, Role
from tests.factories import (
    STAFF_PASSWORD,
    compile_catalogues,
    csrf_token,
    log_in,
    make_approved_cards,
    make_campaign,
    make_card,
    make_keyholder,
    make_recipient,
    make_user,
    staff_csrf_token,
)

MESSAGE = "Warm wishes from a synthetic donor."


@pytest.fixture(autouse=True, scope="module")
def _catalogues() -> None:
    compile_catalogues()


def card_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Card.id))) or 0


# --- 1. a HEAD request stored a card ----------


@pytest.mark.parametrize("method", ["HEAD", "GET", "OPTIONS", "PUT", "PATCH", "DELETE"])
def test_only_a_post_with_its_token_stores_a_card(app, client, method):
    make_campaign(db.session, designs=["tulips"])
    db.session.commit()
    body = {"design": "tulips", "message": MESSAGE, "recipient": "any", "send": "1"}
    for _ in range(3):
        answer = client.open(
            "/write?x=1",
            method=method,
            data=body,
            content_type="application/x-www-form-urlencoded",
        )
        assert answer.status_code < 500
        assert answer.status_code != 303
    assert card_count() == 0
    # The same fields as a POST with the page's token do store a card.
    token = csrf_token(client.get("/write").get_data(as_text=True))
    assert client.post("/write", data={**body, "csrf_token": token}).status_code == 303
    assert card_count() == 1


def test_a_post_without_a_token_stores_nothing(app, client):
    make_campaign(db.session, designs=["tulips"])
    db.session.commit()
    body = {"design": "tulips", "message": MESSAGE, "recipient": "any", "send": "1"}
    assert client.post("/write", data=body).status_code == 400
    assert card_count() == 0


# --- 2. combining marks: one "character" of 9,000 accents ----------


@pytest.mark.parametrize("marks", [5, 7000, 9000])
def test_a_letter_stacked_with_accents_is_refused_with_a_sentence_not_drawn(app, client, marks):
    make_campaign(db.session, designs=["tulips"])
    db.session.commit()
    stacked = "Mama a" + "\u0301" * marks + " love"
    token = csrf_token(client.get("/write").get_data(as_text=True))
    fields = {"design": "tulips", "message": stacked, "recipient": "any", "csrf_token": token}
    preview = client.post("/preview", data=fields, headers={"Accept": "application/json"})
    assert preview.status_code == 422
    assert "too many accents" in preview.get_json()["errors"]["message"]
    sent = client.post("/write", data={**fields, "send": "1"})
    assert sent.status_code == 422
    assert "too many accents" in sent.get_data(as_text=True)
    assert card_count() == 0


def test_accents_a_language_puts_on_a_letter_are_welcome(app, client):
    make_campaign(db.session, designs=["tulips"])
    db.session.commit()
    token = csrf_token(client.get("/write").get_data(as_text=True))
    # A stress mark on a Cyrillic letter, on ё, and two on one letter.
    message = "Ма\u0301ма, ё\u0301 а\u0301\u0301 Dobry\u0301 de\u0300n\u0301"
    fields = {"design": "tulips", "message": message, "recipient": "any", "csrf_token": token}
    assert client.post("/write", data={**fields, "send": "1"}).status_code == 303


# --- 3. the staff session cookie held an unsalted hash of the client's address ----------


def _session_cookie(client) -> dict:
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(client.application)
    cookie = client.get_cookie("cardsapp_session")
    return serializer.loads(cookie.value)


def test_the_staff_session_cookie_holds_no_hash_of_the_address(app, client):
    import hashlib

    user = make_user(db.session, Role.MODERATOR)
    db.session.commit()
    agent = "Mozilla/5.0 (synthetic)"
    client.environ_base.update(HTTP_USER_AGENT=agent, REMOTE_ADDR="198.51.100.7")
    log_in(client, user.email)
    stored = _session_cookie(client)["_id"]
    for address in ("198.51.100.7", "127.0.0.1"):
        plain = hashlib.sha512(f"{address}|{agent.encode()}".encode()).hexdigest()
        assert stored != plain
    # The same browser from another address (a phone moving between networks) stays in.
    client.environ_base.update(REMOTE_ADDR="203.0.113.9")
    assert client.get("/moderate").status_code == 200
    # Another browser with the stolen cookie does not.
    client.environ_base.update(HTTP_USER_AGENT="Another/1.0")
    assert client.get("/moderate").status_code == 302


# --- 6. labels of mailed and purged batches stayed downloadable ----------


def test_labels_of_a_mailed_batch_are_gone(app, client):
    from cardsapp.models import BatchLayout, BatchStatus
    from cardsapp.render.designs import designs
    from cardsapp.services.batches import build_batch, create_batch
    from cardsapp.services.batches.lifecycle import move_batch

    campaign = make_campaign(db.session)
    for n in range(1, 3):
        make_recipient(db.session, campaign, n)
    make_approved_cards(db.session, campaign, 3)
    addresser = make_keyholder(db.session, campaign)
    db.session.commit()
    campaign_id, user_id = campaign.id, addresser.id
    batch = create_batch(db.session, campaign_id, 3, BatchLayout.HOME_A4, user_id)
    db.session.commit()
    config = app.extensions["cardsapp.config"]
    build_batch(db.session, batch.id, config.data_dir, designs(config.designs_dir))
    db.session.commit()
    log_in(client, addresser.email)
    labels = f"/batches/{batch.code}/labels.pdf"

    def download():  # type: ignore[no-untyped-def]
        token = staff_csrf_token(client)
        return client.post(labels, data={"password": STAFF_PASSWORD, "csrf_token": token})

    assert download().status_code == 200
    move_batch(db.session, batch, BatchStatus.PRINTED)
    db.session.commit()
    assert download().status_code == 200
    move_batch(db.session, batch, BatchStatus.MAILED)
    db.session.commit()
    assert client.get(labels).status_code == 404
    answer = download()
    assert answer.status_code == 404
    assert b"Nowhere Lane" not in answer.data
    assert "labels.pdf" not in client.get("/batches").get_data(as_text=True)


# --- 8. other 5xx ----------


@pytest.mark.parametrize(
    "path", ["/language/ru?next=%2F%0D%0AX", "/language/be?next=%2F%0ASet-Cookie:x=1"]
)
def test_a_line_break_in_next_is_a_redirect_home_not_a_500(app, client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert "\n" not in answer.headers["Location"] and "X" not in answer.headers["Location"]


def test_a_login_with_a_line_break_in_next_goes_home_not_500(app, client):
    user = make_user(db.session, Role.MODERATOR)
    db.session.commit()
    token = staff_csrf_token(client)
    answer = client.post(
        "/login?next=%2F%0D%0AX",
        data={"email": user.email, "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/moderate"


@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12-31",
        "since=9999-12-31&until=9999-12-31",
        "actor=99999999999999999999",
        "actor=" + "9" * 200,
        "before=99999999999999999999",
        "since=0001-01-01",
    ],
)
def test_audit_filters_at_the_edges_answer_without_error(app, client, query):
    admin = make_user(db.session, Role.ADMIN)
    db.session.commit()
    log_in(client, admin.email)
    assert client.get(f"/admin/audit?{query}").status_code == 200


# --- 9. staff pages and pictures were cacheable ----------


def test_staff_pages_and_card_pictures_are_never_cached(app, client):
    admin = make_user(db.session, Role.ADMIN)
    campaign = make_campaign(db.session, designs=["tulips"])
    card = make_card(db.session, campaign, design_slug="tulips")
    db.session.commit()
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    log_in(client, admin.email)
    for path in ("/moderate", "/batches", "/reauth", f"/moderate/cards/{card.id}/picture.jpg", "/"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store", path


def test_marking_a_batch_printed_and_mailed_is_audited(app, client):
    from cardsapp.models import AuditEvent, BatchLayout
    from cardsapp.render.designs import designs
    from cardsapp.services.batches import build_batch, create_batch

    campaign = make_campaign(db.session)
    make_recipient(db.session, campaign, 1)
    make_approved_cards(db.session, campaign, 2)
    admin = make_user(db.session, Role.ADMIN)
    db.session.commit()
    batch = create_batch(db.session, campaign.id, 2, BatchLayout.HOME_A4, admin.id)
    db.session.commit()
    config = app.extensions["cardsapp.config"]
    build_batch(db.session, batch.id, config.data_dir, designs(config.designs_dir))
    db.session.commit()
    log_in(client, admin.email)
    for step in ("printed", "mailed"):
        answer = client.post(
            f"/batches/{batch.code}/{step}", data={"csrf_token": staff_csrf_token(client)}
        )
        assert answer.status_code == 302
    db.session.expire_all()
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target == f"batch:{batch.code}")
    ).all()
    assert "batch_printed" in events and "batch_mailed" in events


def test_the_public_counter_moves_only_at_coarse_boundaries(app):
    from datetime import UTC, datetime, timedelta

    from cardsapp.services.counter import count_card
    from cardsapp.services.public import PublicCache

    campaign = make_campaign(db.session)
    db.session.commit()
    moment = [datetime(2026, 10, 14, 12, 0, 5, tzinfo=UTC)]
    cache = PublicCache(0, wall_clock=lambda: moment[0], counter_period=600)
    assert cache.view(db.session).counter.cards == 0
    count_card(db.session, campaign.id)
    db.session.commit()
    # Seconds and minutes after the card, the counter says nothing of it.
    for seconds in (1, 2, 60, 590):
        moment[0] = datetime(2026, 10, 14, 12, 0, 5, tzinfo=UTC) + timedelta(seconds=seconds)
        assert cache.view(db.session).counter.cards == 0
    moment[0] = datetime(2026, 10, 14, 12, 10, 0, tzinfo=UTC)
    assert cache.view(db.session).counter.cards == 1


def test_printer_and_addresser_on_one_account_need_an_admins_confirmation(app, client):
    from cardsapp.models import AuditEvent, User

    admin = make_user(db.session, Role.ADMIN)
    volunteer = make_user(db.session, Role.PRINTER)
    db.session.commit()
    log_in(client, admin.email)
    both = {"roles": ["printer", "addresser"]}
    client.post(
        f"/admin/staff/{volunteer.id}/roles", data={**both, "csrf_token": staff_csrf_token(client)}
    )
    db.session.expire_all()
    assert db.session.get(User, volunteer.id).roles == {Role.PRINTER}
    refused = client.post(
        "/admin/staff/invite",
        data={**both, "email": "both@example.org", "csrf_token": staff_csrf_token(client)},
    )
    assert refused.status_code == 400 and "kept apart" in refused.get_data(as_text=True)
    client.post(
        f"/admin/staff/{volunteer.id}/roles",
        data={**both, "combine": "y", "csrf_token": staff_csrf_token(client)},
    )
    db.session.expire_all()
    assert db.session.get(User, volunteer.id).roles == {Role.PRINTER, Role.ADDRESSER}
    combined = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "roles_combined")
    ).all()
    assert [event.target for event in combined] == [f"user:{volunteer.id}"]


def test_a_card_remembers_when_it_was_sent_to_the_minute_only(app, client):
    make_campaign(db.session, designs=["tulips"])
    db.session.commit()
    token = csrf_token(client.get("/write").get_data(as_text=True))
    body = {"design": "tulips", "message": MESSAGE, "recipient": "any", "send": "1"}
    assert client.post("/write", data={**body, "csrf_token": token}).status_code == 303
    db.session.expire_all()
    sent = db.session.scalars(select(Card.submitted_at)).one()
    assert (sent.second, sent.microsecond) == (0, 0)
