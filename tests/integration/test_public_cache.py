"""Donor pages share one snapshot of the campaign, its recipients and its counter per process."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from flask import Response, request
from sqlalchemy import update

from cardsapp.extensions import db
from cardsapp.models import Campaign, Role, utcnow
from cardsapp.services.counter import count_card
from cardsapp.services.public import PublicCache
from cardsapp.web import public_view
from cardsapp.web.shared import share
from tests.factories import csrf_token, log_in, make_campaign, make_recipient, make_user
from tests.factories import staff_csrf_token as token


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config(config):
    config.public_cache_seconds = 60
    return config


def test_the_snapshot_is_reused_until_it_is_old_then_reread(app):
    campaign = make_campaign(db.session)
    make_recipient(db.session, campaign, n=7)
    db.session.commit()
    clock = Clock()
    cache = PublicCache(2, clock=clock)

    first = cache.view(db.session)
    assert first.campaign is not None and first.campaign.id == campaign.id
    assert first.counter is not None and first.counter.cards == 0
    assert [label for _id, label in first.recipients] == ["Test mother 7"]

    count_card(db.session, campaign.id)
    db.session.commit()
    clock.now += 1.9
    assert cache.view(db.session) is first
    clock.now += 0.2
    assert cache.view(db.session).counter.cards == 1


def test_opening_time_is_kept_to_the_second_whatever_the_cache(app):
    opens = utcnow() + timedelta(seconds=5)
    campaign = make_campaign(db.session, opens_at=opens, closes_at=opens + timedelta(days=1))
    db.session.commit()
    clock = Clock()
    cache = PublicCache(60, clock=clock, wall_clock=lambda: opens - timedelta(seconds=5))

    first = cache.view(db.session)
    db.session.execute(update(Campaign).values(max_message_length=321))
    db.session.commit()
    clock.now += 4.9
    assert cache.view(db.session) is first
    clock.now += 0.2
    assert cache.view(db.session).campaign.max_message_length == 321
    assert campaign.id == first.campaign.id


def test_the_shared_campaign_reads_from_many_threads_after_its_session_closed(app):
    make_campaign(db.session, title={"en": "Spring cards"})
    db.session.commit()
    view = PublicCache(60).view(db.session)
    titles: list[str] = []
    threads = [
        threading.Thread(target=lambda: titles.append(view.campaign.title["en"])) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert titles == ["Spring cards"] * 8


def test_an_admin_change_shows_on_the_donor_page_at_once(app, client):
    campaign = make_campaign(db.session, designs=["plain"])
    make_user(db.session, Role.ADMIN, email="admin@example.org")
    db.session.commit()
    assert "Test cards" in client.get("/").get_data(as_text=True)

    # Changed behind the app's back: the snapshot is kept for its 60 seconds.
    db.session.execute(update(Campaign).values(title={"en": "Changed quietly"}))
    db.session.commit()
    assert "Test cards" in client.get("/").get_data(as_text=True)

    log_in(client, "admin@example.org")
    data = {
        "opens_at": (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (utcnow() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
        "post_by": "",
        "max_message_length": "500",
        "watch_words": "",
        "designs": ["plain"],
        "cap_per_batch": "5",
        "cap_per_campaign": "40",
        "csrf_token": token(client),
    }
    for kind in ("title", "story", "guidance"):
        for lang in ("en", "be", "ru"):
            data[f"{kind}_{lang}"] = f"New {kind} ({lang})"
    response = client.post(f"/admin/campaigns/{campaign.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "New title (en)" in client.get("/").get_data(as_text=True)


def visit(client, path: str = "/") -> str:
    """One request in an app context of its own, as in production (fresh g: user, locale)."""
    with client.application.app_context():
        return client.get(path).get_data(as_text=True)


def test_a_landing_page_made_once_is_shared_only_between_plain_visitors(app, client):
    make_campaign(db.session)
    make_user(db.session, Role.MODERATOR, email="moderator@example.org")
    db.session.commit()
    staff = app.test_client()
    with app.app_context():
        log_in(staff, "moderator@example.org")
    flashed = app.test_client()
    belarusian = app.test_client()
    belarusian.set_cookie("lang", "be")

    def flash_waiting() -> None:
        with flashed.session_transaction() as session:
            session["_flashes"] = [("info", "Logged out: see you soon")]

    # Visits whose pages are their own, before and after a plain visitor's shared page.
    for _ in range(2):
        assert "from%3Dbadge" in visit(client, "/?from=badge")  # the language links keep it
        assert 'class="staff-nav"' in visit(staff)
        flash_waiting()
        assert "see you soon" in visit(flashed)
        first = visit(client)
        assert "Test cards" in first
        assert "staff-nav" not in first and "see you soon" not in first
        assert "from%3Dbadge" not in first
    assert "Тэставыя паштоўкі" in visit(belarusian)
    assert visit(client) == first


def test_the_counter_json_is_made_once_per_snapshot(app, client):
    campaign = make_campaign(db.session)
    db.session.commit()
    assert client.get("/api/counter").get_json()["cards"] == 0
    count_card(db.session, campaign.id)
    db.session.commit()
    # Within the 60 seconds of this app's snapshot: the same answer, read from memory.
    assert client.get("/api/counter").get_json()["cards"] == 0
    app.extensions["cardsapp.public"].forget()
    assert client.get("/api/counter").get_json()["cards"] == 1


DRAFT_TOKEN = re.compile(r'name="draft_token" value="([^"]+)"')


def test_the_blank_writing_page_is_shared_but_each_visitor_keeps_her_own_form_token(app):
    make_campaign(db.session, designs=["plain"])
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    page_one = visit(first, "/write")
    # Changed behind the app's back: the second visitor is shown the page already made.
    db.session.execute(update(Campaign).values(title={"en": "Changed quietly"}))
    db.session.commit()
    page_two = visit(second, "/write")
    token_one, token_two = csrf_token(page_one), csrf_token(page_two)
    assert token_one != token_two
    assert "Changed quietly" not in page_two
    # Each visitor has her own form token and her own draft token; nothing else differs.
    draft_one, draft_two = (
        re.search(r'name="draft_token" value="([^"]+)"', p)[1] for p in (page_one, page_two)
    )
    assert draft_one != draft_two
    assert page_one.replace(token_one, "").replace(draft_one, "") == page_two.replace(
        token_two, ""
    ).replace(draft_two, "")

    card = {"design": "plain", "message": "Warm wishes from far away.", "recipient": "any"}
    with app.app_context():
        stolen = second.post("/write", data={**card, "send": "1", "csrf_token": token_one})
    assert stolen.status_code == 400
    with app.app_context():
        own = second.post("/write", data={**card, "send": "1", "csrf_token": token_two})
    assert own.status_code == 303


def test_plain_visitors_repeat_visits_are_answered_without_running_the_app_again(app):
    make_campaign(db.session)
    make_user(db.session, Role.MODERATOR, email="moderator@example.org")
    db.session.commit()
    ran: list[str] = []
    app.before_request(lambda: ran.append(request.path))

    @app.get("/test/shared-with-a-cookie")
    def shared_with_a_cookie() -> Response:
        share(public_view(), "en")
        response = Response("kept?")
        response.set_cookie("seen", "1")
        return response

    visitor, russian, staff = app.test_client(), app.test_client(), app.test_client()
    russian.set_cookie("lang", "ru")
    with app.app_context():
        log_in(staff, "moderator@example.org")
    visitor.set_cookie("cardsapp_session", "forged.cookie.value")  # the app ignores it too
    ran.clear()

    def visit_as(client, path: str):  # type: ignore[no-untyped-def]
        with app.app_context():
            return client.get(path)

    first, again = visit_as(visitor, "/"), visit_as(visitor, "/")
    assert ran == ["/"]
    assert again.get_data() == first.get_data() and "Test cards" in again.get_data(as_text=True)
    assert sorted(again.headers.items()) == sorted(first.headers.items())
    assert again.headers["Content-Security-Policy"] and again.headers["X-Frame-Options"] == "DENY"
    counter, counter_again = visit_as(visitor, "/api/counter"), visit_as(visitor, "/api/counter")
    assert counter_again.get_json() == counter.get_json()
    assert counter_again.headers["Access-Control-Allow-Origin"] == "*"
    assert ran == ["/", "/api/counter"]

    # Everyone else still gets the app's own answer.
    assert "Тестовые открытки" in visit_as(russian, "/").get_data(as_text=True)
    assert 'class="staff-nav"' in visit_as(staff, "/").get_data(as_text=True)
    assert visit_as(visitor, "/?from=badge").status_code == 200
    assert ran[2:] == ["/", "/", "/"]
    for _ in range(2):
        assert visit_as(visitor, "/test/shared-with-a-cookie").headers["Set-Cookie"]
    assert ran[5:] == ["/test/shared-with-a-cookie"] * 2

    # A new snapshot (here: an admin change) brings a new page.
    db.session.execute(update(Campaign).values(title={"en": "Changed on purpose"}))
    db.session.commit()
    app.extensions["cardsapp.public"].forget()
    assert "Changed on purpose" in visit_as(visitor, "/").get_data(as_text=True)
    assert ran[-1] == "/"
