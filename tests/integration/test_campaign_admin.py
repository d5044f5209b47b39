"""Admins start, open, close and read the report of campaigns from the admin pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import Batch, BatchStatus, Campaign, CampaignStatus, CardStatus, Role, utcnow
from tests.factories import log_in, make_campaign, make_card, make_recipient, make_user
from tests.factories import staff_csrf_token as token


def _admin(client) -> None:
    make_user(db.session, Role.ADMIN, email="admin@example.org")
    db.session.commit()
    log_in(client, "admin@example.org")


def test_an_admin_creates_a_draft_on_the_new_campaign_page_in_minsk_time(app, client):
    _admin(client)
    page = client.get("/admin/campaigns/new")
    assert page.status_code == 200
    response = client.post(
        "/admin/campaigns/new",
        data={
            "slug": "new-year",
            "title": "New Year cards",
            "timezone": "Europe/Minsk",
            "opens_at": "2026-12-15T10:00",
            "closes_at": "2027-01-05T18:00",
            "copy_from": "",
            "csrf_token": token(client),
        },
    )
    # Its address key is made, held by this admin: the recovery code is shown this once.
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Recovery code" in response.get_data(as_text=True)
    campaign = db.session.scalars(select(Campaign).where(Campaign.slug == "new-year")).one()
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.opens_at.hour == 7  # 10:00 in Minsk
    settings = client.get(f"/admin/campaigns/{campaign.id}").get_data(as_text=True)
    # The form shows the campaign's clock, not UTC, and warns of texts missing.
    assert 'value="2026-12-15T10:00"' in settings
    assert "Texts donors will miss" in settings and "Беларуская" in settings
    assert "Draft" in settings


def test_a_bad_new_campaign_says_what_is_wrong_and_keeps_what_was_typed(app, client):
    _admin(client)
    make_campaign(db.session, slug="taken")
    db.session.commit()
    response = client.post(
        "/admin/campaigns/new",
        data={
            "slug": "taken",
            "title": "Kept title",
            "timezone": "Europe/Minsk",
            "copy_from": "",
            "csrf_token": token(client),
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "exists already" in body and "Kept title" in body


def test_publish_asks_for_confirmation_then_donors_see_the_campaign(app, client):
    _admin(client)
    campaign = make_campaign(
        db.session, slug="soon", title={"en": "Soon cards"}, status=CampaignStatus.DRAFT
    )
    db.session.commit()
    donor = client.application.test_client()
    assert donor.get("/c/soon").status_code == 404
    confirm = client.get(f"/admin/campaigns/{campaign.id}/move?action=publish")
    assert confirm.status_code == 200 and "Yes" in confirm.get_data(as_text=True)
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT
    done = client.post(
        f"/admin/campaigns/{campaign.id}/move",
        data={"action": "publish", "csrf_token": token(client)},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.PUBLISHED
    assert "Soon cards" in donor.get("/c/soon").get_data(as_text=True)


def test_close_now_stops_writing_and_the_public_results_show_totals_only(app, client):
    _admin(client)
    campaign = make_campaign(db.session, slug="spring", title={"en": "Spring cards"})
    recipient = make_recipient(db.session, campaign, n=5)
    make_card(db.session, campaign, status=CardStatus.MAILED, recipient=recipient)
    campaign.cards_count, campaign.participants_count = 1, 1
    db.session.commit()
    donor = client.application.test_client()
    assert donor.get("/c/spring/results").status_code == 404
    client.post(
        f"/admin/campaigns/{campaign.id}/move",
        data={"action": "close", "csrf_token": token(client)},
    )
    write = donor.get("/c/spring/write").get_data(as_text=True)
    assert "closed" in write
    results = donor.get("/c/spring/results").get_data(as_text=True)
    assert "1 card written" in results
    assert recipient.public_label not in results


def test_the_report_counts_by_status_design_language_and_local_day(app, client):
    _admin(client)
    campaign = make_campaign(db.session, slug="report-me", timezone="Europe/Minsk")
    recipient = make_recipient(db.session, campaign, n=9)
    late = make_card(db.session, campaign, recipient=recipient, design_slug="roses")
    # 22:30 UTC is already the next day in Minsk (UTC+3).
    late.submitted_at = utcnow().replace(hour=22, minute=30) - timedelta(days=2)
    late.language = "be"
    make_card(db.session, campaign, status=CardStatus.REJECTED)
    db.session.commit()
    page = client.get(f"/admin/campaigns/{campaign.id}/report").get_data(as_text=True)
    assert "Cards by day" in page and recipient.public_label in page
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/admin/campaigns/{campaign.id}/report.csv").get_data(as_text=True)
            )
        )
    )
    assert ["status", "rejected", "1"] in rows and ["design", "roses", "1"] in rows
    assert ["language", "be", "1"] in rows
    minsk_day = (late.submitted_at + timedelta(hours=3)).date().isoformat()
    assert ["day", minsk_day, "1"] in rows
    assert ["recipient", recipient.public_id, "1"] in rows
    assert not any(recipient.public_label in cell for row in rows for cell in row)


def test_the_report_is_for_admins_only(app, client):
    make_user(db.session, Role.PRINTER, email="printer@example.org")
    campaign = make_campaign(db.session)
    db.session.commit()
    log_in(client, "printer@example.org")
    assert client.get(f"/admin/campaigns/{campaign.id}/report").status_code == 403
    assert client.get(f"/admin/campaigns/{campaign.id}/report.csv").status_code == 403


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ru", ["отклонена", "ждёт модерации", "в пакете", "готов к печати"]),
        ("be", ["адхіленая", "чакае мадэрацыі", "у пакеце"]),
        ("en", ["rejected", "waiting for moderation", "in a batch", "ready to print"]),
    ],
)
def test_staff_pages_name_states_in_the_readers_language(app, client, language, words):
    _admin(client)
    client.set_cookie("lang", language)
    campaign = make_campaign(db.session, slug="states", status=CampaignStatus.CLOSED)
    make_card(db.session, campaign, status=CardStatus.REJECTED)
    make_card(db.session, campaign)
    make_card(db.session, campaign, status=CardStatus.BATCHED)
    db.session.add(Batch(code="STATES01", campaign_id=campaign.id, status=BatchStatus.READY))
    db.session.commit()
    report = client.get(f"/admin/campaigns/{campaign.id}/report").get_data(as_text=True)
    for word in words:
        assert word in report, word
    # The raw enum values never show as they are stored.
    assert "<td>submitted</td>" not in report and "<td>ready</td>" not in report
    assert "<td>batched</td>" not in report
    overview = client.get("/admin").get_data(as_text=True)
    closed_word = {"ru": "закрыта", "be": "закрытая", "en": "closed"}[language]
    assert f'<span class="hint">{closed_word}</span>' in overview
