"""Admin pages: campaign settings, recipients (import, pause, caps) and staff accounts."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Campaign, Recipient, Role, User
from tests.factories import log_in, make_campaign, make_recipient, make_user, read_address
from tests.factories import staff_csrf_token as token

HEADER = "public_label,name,address_line1,address_line2,city,postcode,country\n"
GOOD_ROWS = (
    "Mother in Example region,Testa Uno,1 Fake Street,,Fictionville,FX001,Nowhereland\n"
    "Мама з Прыкладнага раёна,Прыкладная Адна,вул. Узорная 2,кв. 3,Прыкладск,220000,Узорная\n"
)


@pytest.fixture
def admin(app):
    user = make_user(db.session, Role.ADMIN, email="admin@example.org")
    db.session.commit()
    return user


@pytest.fixture
def admin_client(app, client, admin):
    log_in(client, "admin@example.org")
    return client


def _import(client, campaign: Campaign, text: str):
    return client.post(
        f"/admin/recipients/import?campaign={campaign.slug}",
        data={"file": (io.BytesIO(text.encode()), "people.csv"), "csrf_token": token(client)},
        content_type="multipart/form-data",
    )


def _recipients() -> int:
    return db.session.scalar(select(func.count(Recipient.id))) or 0


def test_a_good_csv_imports_every_recipient_with_the_address_encrypted(app, admin_client):
    campaign = make_campaign(db.session)
    db.session.commit()
    response = _import(admin_client, campaign, HEADER + GOOD_ROWS)
    assert response.status_code == 302
    assert _recipients() == 2
    stored = db.session.scalars(select(Recipient).order_by(Recipient.id)).all()
    assert stored[1].public_label == "Мама з Прыкладнага раёна"
    assert b"Fake Street" not in stored[0].address_token
    opened = read_address(db.session, campaign.id, stored[0].address_token)
    assert opened.address_line1 == "1 Fake Street"
    page = admin_client.get(f"/admin/recipients?campaign={campaign.slug}").get_data(as_text=True)
    assert "Mother in Example region" in page
    assert "Fake Street" not in page  # the list never shows an address


def test_a_csv_with_bad_rows_imports_nothing_and_names_every_bad_line(app, admin_client):
    campaign = make_campaign(db.session)
    db.session.commit()
    bad = (
        HEADER
        + GOOD_ROWS
        + ",No Label,3 Fake Street,,Fictionville,FX003,Nowhereland\n"
        + "Mother in Example region,Dup,4 Fake Street,,Fictionville,FX004,Nowhereland\n"
        + "Too few,columns\n"
        + "Bell\x07 label,Name,5 Fake Street,,City,FX005,Land\n"
    )
    response = _import(admin_client, campaign, bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for line, words in [
        (4, "Line 4, public label (public_label): it is empty"),
        (5, "Line 5: the public label is already used"),
        (6, "Line 6: the line does not have 7 columns"),
        (7, "Line 7, public label (public_label): it holds invisible or control"),
    ]:
        assert words in page, line
    assert "Line 2:" not in page and "Line 3:" not in page
    assert _recipients() == 0
    assert "3 Fake Street" not in page  # errors name the line and column, never the value


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe not utf-8", b"name,address\nA,B\n", HEADER.encode()],
    ids=["empty", "not-utf8", "wrong-header", "header-only"],
)
def test_a_file_that_is_not_a_recipient_list_is_refused_clearly(app, admin_client, content):
    campaign = make_campaign(db.session)
    db.session.commit()
    response = admin_client.post(
        f"/admin/recipients/import?campaign={campaign.slug}",
        data={"file": (io.BytesIO(content), "x.csv"), "csrf_token": token(admin_client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Nothing was imported" in response.get_data(as_text=True) or "Choose" in (
        response.get_data(as_text=True)
    )
    assert _recipients() == 0


def test_import_recipients_command_is_all_or_nothing(app, runner, tmp_path):
    campaign = make_campaign(db.session)
    db.session.commit()
    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD_ROWS + "Label,,6 Fake Street,,City,FX006,Land\n", "utf-8")
    refused = runner.invoke(args=["import-recipients", str(bad), "--campaign", campaign.slug])
    assert refused.exit_code != 0
    assert "line 4: name is empty" in refused.output
    assert "nothing was imported" in refused.output
    assert _recipients() == 0
    done = runner.invoke(args=["import-recipients", str(good)])
    assert done.exit_code == 0, done.output
    assert "Imported 2 recipients" in done.output
    assert _recipients() == 2


def test_pausing_a_recipient_takes_effect_at_once_and_is_audited(app, admin_client):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign)
    db.session.commit()
    url = f"/admin/recipients/{recipient.public_id}/pause"
    assert admin_client.post(url, data={"csrf_token": token(admin_client)}).status_code == 302
    db.session.refresh(recipient)
    assert recipient.paused
    resume = {"action": "resume", "csrf_token": token(admin_client)}
    assert admin_client.post(url, data=resume).status_code == 302
    db.session.refresh(recipient)
    assert not recipient.paused
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target == f"recipient:{recipient.public_id}")
    ).all()
    assert actions == ["recipient_paused", "recipient_resumed"]


def test_caps_per_recipient_are_saved_and_garbage_is_refused(app, admin_client):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign)
    db.session.commit()
    url = f"/admin/recipients/{recipient.public_id}/caps"
    data = {"cap_per_batch": "3", "cap_per_campaign": "", "csrf_token": token(admin_client)}
    admin_client.post(url, data=data)
    db.session.refresh(recipient)
    assert (recipient.cap_per_batch, recipient.cap_per_campaign) == (3, None)
    data = {"cap_per_batch": "-1", "cap_per_campaign": "many", "csrf_token": token(admin_client)}
    admin_client.post(url, data=data)
    db.session.refresh(recipient)
    assert (recipient.cap_per_batch, recipient.cap_per_campaign) == (3, None)


def _settings(campaign: Campaign, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "opens_at": "2030-03-01T09:00",
        "closes_at": "2030-03-20T18:00",
        "post_by": "2030-03-25",
        "max_message_length": "500",
        "watch_words": "protest\nсвабода, freedom\nprotest",
        "designs": ["plain", "tulips"],
        "cap_per_batch": "5",
        "cap_per_campaign": "40",
    }
    for kind in ("title", "story", "guidance"):
        for lang in ("en", "be", "ru"):
            data[f"{kind}_{lang}"] = f"{kind} in {lang}"
    data.update(changes)
    return data


def test_campaign_settings_are_saved_in_three_languages(app, admin_client):
    campaign = make_campaign(db.session, designs=["plain"])
    db.session.commit()
    url = f"/admin/campaigns/{campaign.id}"
    assert admin_client.get(url).status_code == 200
    data = _settings(campaign, csrf_token=token(admin_client))
    response = admin_client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.title == {"en": "title in en", "be": "title in be", "ru": "title in ru"}
    assert campaign.watch_words == ["protest", "свабода", "freedom"]
    assert campaign.designs == ["plain", "tulips"]
    assert campaign.max_message_length == 500
    assert (campaign.cap_per_batch, campaign.cap_per_campaign) == (5, 40)
    # The form's dates are wall-clock times in the campaign's zone (Minsk is UTC+3 all
    # year), stored in UTC, and shown back in the zone they were typed in.
    assert campaign.timezone == "Europe/Minsk"
    assert campaign.opens_at.isoformat() == "2030-03-01T06:00:00+00:00"
    assert campaign.closes_at.isoformat() == "2030-03-20T15:00:00+00:00"
    assert 'value="2030-03-01T09:00"' in admin_client.get(url).get_data(as_text=True)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign_changed")
    ).one()
    assert "title" in event.detail["fields"]


@pytest.mark.parametrize(
    "changes",
    [
        {"closes_at": "2030-02-01T09:00"},
        {"designs": ["no-such-design"]},
        {"max_message_length": "5"},
        {"title_en": ""},
        {"cap_per_batch": "50"},
    ],
    ids=["closes-before-opening", "unknown-design", "tiny-limit", "no-title", "cap-order"],
)
def test_bad_campaign_settings_are_refused_and_nothing_changes(app, admin_client, changes):
    campaign = make_campaign(db.session, designs=["plain"])
    db.session.commit()
    before = (campaign.title, campaign.closes_at, campaign.designs, campaign.max_message_length)
    data = _settings(campaign, csrf_token=token(admin_client), **changes)
    response = admin_client.post(f"/admin/campaigns/{campaign.id}", data=data)
    assert response.status_code == 200
    assert 'class="field-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    after = (campaign.title, campaign.closes_at, campaign.designs, campaign.max_message_length)
    assert after == before


def test_roles_change_and_apply_at_the_next_request(app, admin_client):
    make_user(db.session, Role.PRINTER, email="vol@example.org")
    db.session.commit()
    volunteer = app.test_client()
    log_in(volunteer, "vol@example.org")
    assert volunteer.get("/moderate").status_code == 403
    user = db.session.scalars(select(User).where(User.email == "vol@example.org")).one()
    admin_client.post(
        f"/admin/staff/{user.id}/roles",
        data={"roles": ["printer", "moderator"], "csrf_token": token(admin_client)},
    )
    assert volunteer.get("/moderate").status_code == 200
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user_roles_changed")
    ).one()
    assert event.detail == {"before": ["printer"], "after": ["moderator", "printer"]}


def test_an_admin_cannot_lock_themselves_out(app, admin_client, admin):
    admin_client.post(
        f"/admin/staff/{admin.id}/active",
        data={"action": "deactivate", "csrf_token": token(admin_client)},
    )
    admin_client.post(
        f"/admin/staff/{admin.id}/roles",
        data={"roles": ["moderator"], "csrf_token": token(admin_client)},
    )
    db.session.refresh(admin)
    assert admin.active and Role.ADMIN in admin.roles
    assert admin_client.get("/admin").status_code == 200


def test_admins_see_what_is_held_and_when_it_goes(app, client):
    from datetime import timedelta

    from cardsapp.models import Batch, BatchStatus, utcnow

    campaign = make_campaign(db.session, cards_count=41, participants_count=17)
    make_recipient(db.session, campaign, 1)
    mailed = utcnow() - timedelta(days=3)
    db.session.add(
        Batch(code="MAILED22", campaign_id=campaign.id, status=BatchStatus.MAILED, mailed_at=mailed)
    )
    admin = make_user(db.session, Role.ADMIN)
    moderator = make_user(db.session, Role.MODERATOR)
    db.session.commit()

    other = app.test_client()
    log_in(other, moderator.email)
    assert other.get("/admin/data").status_code == 403

    log_in(client, admin.email)
    page = client.get("/admin/data", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 recipient" in text and "41 cards written" in text and "17 browsers counted" in text
    retention = app.extensions["cardsapp.config"].retention_days
    assert f"Deleted {retention} days after" in text
    assert "MAILED22" in text
    assert "Fictionville" not in text and "@example.org" not in text


def test_campaign_field_labels_follow_the_admins_language(app, admin_client):
    campaign = make_campaign(db.session)
    db.session.commit()
    from flask_babel import refresh

    admin_client.set_cookie("lang", "ru")
    refresh()  # the test's outer app context caches the locale between requests
    page = admin_client.get(f"/admin/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Название (Беларуская)" in page and "Title (" not in page
