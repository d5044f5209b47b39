"""The public counter: a browser counted once, aggregate numbers, JSON and an embeddable badge."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from flask import g
from sqlalchemy import event, select

from cardsapp.extensions import db
from cardsapp.models import Campaign, Participant, Role
from cardsapp.services.counter import add_participant, count_card, participant_hash
from tests.factories import compile_catalogues, csrf_token, make_campaign, make_card

MESSAGE = "Дорогая мама! Поздравляю вас с Днём матери."


@pytest.fixture(autouse=True, scope="module")
def _catalogues() -> None:
    compile_catalogues()


_SENT = iter(range(10**6))


def send_card(client) -> None:
    """Send a card with a text of its own (one draft sent twice is one card)."""
    token = csrf_token(client.get("/write").get_data(as_text=True))
    response = client.post(
        "/write",
        data={
            "csrf_token": token,
            "design": "hearts",
            "message": f"{MESSAGE} {next(_SENT)}",
            "recipient": "any",
            "send": "1",
        },
    )
    assert response.status_code == 303


def another_browser(app):
    """A second browser. The test's outer app context shares `g` between requests, where
    Flask-WTF caches the CSRF token; a real server has a fresh context per request."""
    g.pop("csrf_token", None)
    return app.test_client()


def counts(campaign: Campaign) -> tuple[int, int]:
    db.session.expire_all()
    fresh = db.session.get(Campaign, campaign.id)
    return fresh.participants_count, fresh.cards_count


def test_a_returning_browser_is_counted_once_and_a_new_one_again(app, client):
    campaign = make_campaign(db.session)
    db.session.commit()
    send_card(client)
    send_card(client)
    assert counts(campaign) == (1, 2)
    send_card(another_browser(app))
    assert counts(campaign) == (2, 3)
    assert client.get("/api/counter").json["participants"] == 2


def test_only_a_keyed_hash_of_the_browser_token_is_kept(app, client):
    make_campaign(db.session)
    db.session.commit()
    send_card(client)
    cookie = client.get_cookie("cardsapp_donor")
    assert cookie is not None and cookie.http_only
    stored = db.session.scalars(select(Participant.token_hash)).one()
    assert cookie.value not in stored
    assert stored != hashlib.sha256(cookie.value.encode()).hexdigest()
    expected = hmac.new(
        app.config["SECRET_KEY"].encode(),
        b"participant:" + cookie.value.encode(),
        hashlib.sha256,
    ).hexdigest()
    assert stored == expected == participant_hash(app.config["SECRET_KEY"], cookie.value)


def test_counting_a_browser_twice_in_one_transaction_adds_it_once(app):
    campaign = make_campaign(db.session)
    for expected_new in (True, False):
        new = add_participant(db.session, campaign.id, "a" * 64)
        assert new is expected_new
        count_card(db.session, campaign.id, new_participant=new)
    db.session.commit()
    assert counts(campaign) == (1, 2)


def test_counter_json_is_aggregate_with_cors_and_a_short_cache(app, client):
    make_campaign(db.session, participants_count=7, cards_count=9)
    db.session.commit()
    response = client.get("/api/counter")
    assert set(response.json) == {"participants", "cards", "updated"}
    assert (response.json["participants"], response.json["cards"]) == (7, 9)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1) == "15"


def test_reading_the_counter_never_scans_cards_or_participants(app, client):
    campaign = make_campaign(db.session)
    for _ in range(30):
        make_card(db.session, campaign)
    db.session.commit()
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        client.get("/api/counter")
        client.get("/counter.svg")
        client.get("/")
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert statements
    assert not [s for s in statements if "from cards" in s or "from participants" in s]
    assert not [s for s in statements if "count(" in s]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "21 people have written 22 cards"),
        ("be", "21 чалавек напісаў 22 паштоўкі"),
        ("ru", "21 человек написал 22 открытки"),
    ],
)
def test_the_badge_is_an_embeddable_svg_in_the_asked_language(app, client, language, expected):
    make_campaign(db.session, participants_count=21, cards_count=22)
    db.session.commit()
    response = client.get(f"/counter.svg?lang={language}")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and expected in svg
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "X-Frame-Options" not in response.headers
    assert "max-age" in response.headers["Cache-Control"]
    # An SVG runs no script and loads nothing.
    assert "<script" not in svg and "href" not in svg


def test_the_badge_follows_the_browser_language_without_a_parameter(app, client):
    make_campaign(db.session, participants_count=5, cards_count=5)
    db.session.commit()
    svg = client.get("/counter.svg", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "5 человек написали 5 открыток" in svg


def test_the_badge_says_zero_when_there_is_no_campaign(client):
    assert "0 people have written 0 cards" in client.get("/counter.svg").get_data(as_text=True)


def _decide_all(approve_first: bool) -> None:
    from cardsapp.models import Card
    from cardsapp.services.review import decide_card
    from tests.factories import make_user

    moderator = make_user(db.session, Role.MODERATOR, email="counter-mod@example.org")
    cards = db.session.scalars(select(Card).order_by(Card.id)).all()
    for n, card in enumerate(cards):
        approve = approve_first and n == 0
        decide_card(db.session, card.id, moderator.id, approve=approve, reason="politics")
    db.session.commit()


def test_a_person_counts_while_she_has_a_card_that_was_not_rejected(app, client):
    campaign = make_campaign(db.session)
    db.session.commit()
    send_card(client)
    send_card(client)
    send_card(another_browser(app))
    assert counts(campaign) == (2, 3)
    # The first browser keeps one card; the second browser's only card is rejected.
    _decide_all(approve_first=True)
    assert counts(campaign) == (1, 1)
    body = client.get("/api/counter").json
    assert (body["participants"], body["cards"]) == (1, 1)
    assert "1 person has written 1 card" in client.get("/counter.svg?lang=en").get_data(
        as_text=True
    )
    # After the decision no card says which browser sent it.
    from cardsapp.models import Card

    assert db.session.scalars(select(Card.participant_id)).all() == [None, None, None]


def test_a_person_whose_cards_were_all_rejected_counts_again_with_a_new_card(app, client):
    campaign = make_campaign(db.session)
    db.session.commit()
    send_card(client)
    _decide_all(approve_first=False)
    assert counts(campaign) == (0, 0)
    send_card(client)
    assert counts(campaign) == (1, 1)


def test_the_repair_recount_follows_the_same_rule(app, client):
    from cardsapp.services.counter import recount

    campaign = make_campaign(db.session)
    db.session.commit()
    send_card(client)
    send_card(another_browser(app))
    _decide_all(approve_first=True)
    before = counts(campaign)
    recount(db.session, campaign.id)
    db.session.commit()
    assert counts(campaign) == before == (1, 1)
