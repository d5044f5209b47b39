"""/batches in the browser's shoes: roles, downloads, the fresh password, audit, no caching."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Batch, BatchStatus, Role
from cardsapp.render.designs import designs
from cardsapp.services.batches import build_batch
from cardsapp.services.keyholders import revoke_keyholder
from cardsapp.services.users import find_user
from tests.factories import (
    STAFF_PASSWORD,
    give_key,
    log_in,
    make_approved_cards,
    make_campaign,
    make_recipient,
    make_user,
    staff_csrf_token,
)


@pytest.fixture
def staff(app):
    users = {role: make_user(db.session, role) for role in Role}
    db.session.commit()
    return {role: user.email for role, user in users.items()}


@pytest.fixture
def keyholders(app, staff, campaign):
    """The addresser and the admin hold the campaign's address key."""
    for role in (Role.ADDRESSER, Role.ADMIN):
        give_key(db.session, campaign, find_user(db.session, staff[role]))
    db.session.commit()


@pytest.fixture
def campaign(app):
    campaign = make_campaign(db.session)
    for n in range(1, 4):
        make_recipient(db.session, campaign, n)
    make_approved_cards(db.session, campaign, 8)
    db.session.commit()
    return campaign


def _create(client, cards=8, layout="home_a4"):
    token = staff_csrf_token(client)
    return client.post("/batches", data={"max_cards": cards, "layout": layout, "csrf_token": token})


def _ready_batch(app) -> Batch:
    batch = db.session.scalars(select(Batch).order_by(Batch.id.desc())).first()
    config = app.extensions["cardsapp.config"]
    build_batch(db.session, batch.id, config.data_dir, designs(config.designs_dir))
    db.session.commit()
    return batch


def test_a_printer_builds_a_batch_and_sees_its_progress(app, client, staff, campaign, run_worker):
    log_in(client, staff[Role.PRINTER])
    response = _create(client)
    assert response.status_code == 302
    page = client.get("/batches").get_data(as_text=True)
    code = re.search(r'id="batch-([A-Z0-9]+)"', page).group(1)
    assert "<progress" in page
    status = client.get(f"/batches/{code}/status.json").get_json()
    assert status["status"] == "building" and status["total"] == 8
    run_worker()
    db.session.expire_all()  # the test shares the request's session; the worker changed rows
    status = client.get(f"/batches/{code}/status.json").get_json()
    assert status == {
        "code": code,
        "status": "ready",
        "done": 8,
        "total": 8,
        "percent": 100,
        "error": None,
    }
    page = client.get("/batches").get_data(as_text=True)
    assert f"/batches/{code}/cards.pdf" in page
    assert "labels.pdf" not in page  # a printer never sees the labels link


def test_the_printer_downloads_cards_uncached_and_audited(app, client, staff, campaign):
    log_in(client, staff[Role.PRINTER])
    _create(client)
    batch = _ready_batch(app)
    response = client.get(f"/batches/{batch.code}/cards.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "batch_downloaded")
    ).one()
    assert event.target == f"batch:{batch.code}" and event.detail == {"file": "cards"}


@pytest.mark.parametrize(
    ("role", "path", "allowed"),
    [
        (Role.PRINTER, "cards.pdf", True),
        (Role.PRINTER, "packing.pdf", True),
        (Role.PRINTER, "labels.pdf", False),
        (Role.ADDRESSER, "cards.pdf", False),
        (Role.ADDRESSER, "packing.pdf", True),
        (Role.ADDRESSER, "labels.pdf", True),
        (Role.PRINTER, "envelopes.pdf", False),
        (Role.ADDRESSER, "envelopes.pdf", True),
        (Role.MODERATOR, "envelopes.pdf", False),
        (Role.ADMIN, "cards.pdf", True),
        (Role.ADMIN, "labels.pdf", True),
        (Role.MODERATOR, "packing.pdf", False),
    ],
)
def test_each_role_gets_only_its_own_files(app, client, staff, campaign, role, path, allowed):
    printer = app.test_client()
    log_in(printer, staff[Role.PRINTER])
    _create(printer)
    batch = _ready_batch(app)
    log_in(client, staff[role])
    response = client.get(f"/batches/{batch.code}/{path}")
    assert (response.status_code == 200) is allowed, response.status_code
    if not allowed:
        assert response.status_code == 403


def _labels(client, code: str, password: str, sheet: str = "L7163"):
    token = staff_csrf_token(client)
    return client.post(
        f"/batches/{code}/labels.pdf",
        data={"sheet": sheet, "password": password, "csrf_token": token},
    )


def _labels_downloaded() -> int:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "labels_downloaded"))
    return len(events.all())


def test_labels_need_the_keyholders_password_typed_in_the_same_request(
    app, client, staff, campaign, keyholders
):
    printer = app.test_client()
    log_in(printer, staff[Role.PRINTER])
    _create(printer)
    batch = _ready_batch(app)
    log_in(client, staff[Role.ADDRESSER])
    # Having just logged in is not enough: the page asks for the password that opens the key.
    form = client.get(f"/batches/{batch.code}/labels.pdf?sheet=5160")
    assert form.status_code == 200 and form.mimetype == "text/html"
    assert 'type="password"' in form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "no-store"
    wrong = _labels(client, batch.code, "not my password at all")
    assert wrong.status_code == 403 and not wrong.data.startswith(b"%PDF")
    assert b"Nowhere" not in wrong.data
    assert _labels_downloaded() == 0
    right = _labels(client, batch.code, STAFF_PASSWORD)
    assert right.status_code == 200 and right.data.startswith(b"%PDF")
    assert _labels_downloaded() == 1


def test_a_revoked_keyholder_or_one_never_granted_gets_no_address(
    app, client, staff, campaign, keyholders
):
    printer = app.test_client()
    log_in(printer, staff[Role.PRINTER])
    _create(printer)
    batch = _ready_batch(app)
    addresser = find_user(db.session, staff[Role.ADDRESSER])
    assert revoke_keyholder(db.session, campaign.id, addresser)
    stranger = make_user(db.session, Role.ADDRESSER)
    db.session.commit()
    for email in (addresser.email, stranger.email):
        other = app.test_client()
        log_in(other, email)
        refused = _labels(other, batch.code, STAFF_PASSWORD)
        assert refused.status_code == 403 and not refused.data.startswith(b"%PDF")
        assert "no key" in refused.get_data(as_text=True)
    assert _labels_downloaded() == 0


@pytest.mark.parametrize(
    ("path", "form"), [("labels.pdf?sheet=5160", "5160"), ("envelopes.pdf?size=DL", "DL")]
)
def test_labels_are_streamed_uncached_with_the_addressers_offset_and_audited(
    app, client, staff, campaign, keyholders, path, form
):
    printer = app.test_client()
    log_in(printer, staff[Role.PRINTER])
    _create(printer)
    batch = _ready_batch(app)
    log_in(client, staff[Role.ADDRESSER])
    token = staff_csrf_token(client)
    saved = client.post(
        "/batches/calibration", data={"offset_x": "1.5", "offset_y": "-0.5", "csrf_token": token}
    )
    assert saved.status_code == 302
    response = client.post(
        f"/batches/{batch.code}/{path}",
        data={"sheet": form, "password": STAFF_PASSWORD, "csrf_token": staff_csrf_token(client)},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.is_streamed
    assert response.data.startswith(b"%PDF")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "labels_downloaded")
    ).one()
    assert event.detail["sheet"] == form
    # Nothing about labels was written to the data directory.
    data_dir = app.extensions["cardsapp.config"].data_dir
    assert not [p for p in data_dir.rglob("*") if "label" in p.name or "envelope" in p.name]


def test_printed_then_mailed_by_the_right_people(app, client, staff, campaign):
    printer = app.test_client()
    log_in(printer, staff[Role.PRINTER])
    _create(printer)
    batch = _ready_batch(app)
    log_in(client, staff[Role.ADDRESSER])
    too_soon = client.post(
        f"/batches/{batch.code}/mailed", data={"csrf_token": staff_csrf_token(client)}
    )
    assert too_soon.status_code == 302
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).status == BatchStatus.READY
    assert (
        client.post(
            f"/batches/{batch.code}/printed", data={"csrf_token": staff_csrf_token(client)}
        ).status_code
        == 403
    )
    printer.post(f"/batches/{batch.code}/printed", data={"csrf_token": staff_csrf_token(printer)})
    client.post(f"/batches/{batch.code}/mailed", data={"csrf_token": staff_csrf_token(client)})
    db.session.expire_all()
    assert db.session.get(Batch, batch.id).status == BatchStatus.MAILED


@pytest.mark.parametrize(
    "path",
    [
        "/batches/zz/cards.pdf",
        "/batches/AAAAAAAA/labels.pdf",
        "/batches/" + "9" * 40 + "/status.json",
        "/batches/%00/packing.pdf",
    ],
)
def test_unknown_or_malformed_codes_are_404_never_500(app, client, staff, path):
    log_in(client, staff[Role.ADMIN])
    assert client.get(path).status_code == 404


def test_nonsense_in_the_batch_form_gets_a_message_not_an_error(app, client, staff, campaign):
    log_in(client, staff[Role.PRINTER])
    for cards in ("", "-3", "100000", "many"):
        response = _create(client, cards=cards)
        assert response.status_code == 302
    response = _create(client, layout="poster")
    assert response.status_code == 302
    assert db.session.scalars(select(Batch)).all() == []


def test_without_approved_cards_the_printer_is_told_so(app, client, staff):
    make_campaign(db.session)
    db.session.commit()
    log_in(client, staff[Role.PRINTER])
    response = _create(client)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No approved card can go into a batch now." in page
