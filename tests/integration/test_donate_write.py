"""The donor writes a card: the form, its checks in three languages, preview, send, thanks."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cardsapp import create_app
from cardsapp.config import config_for_tests
from cardsapp.extensions import db
from cardsapp.models import Campaign, Card, CardStatus, Participant, utcnow
from cardsapp.ratelimits import SendLimits
from tests.factories import compile_catalogues, csrf_token, make_campaign, make_recipient

MOTHER = "Дарагая мама! Шчыра віншую з Днём маці. Няхай вясна прынясе цяпло і надзею."


@pytest.fixture(autouse=True, scope="module")
def _catalogues() -> None:
    compile_catalogues()


@pytest.fixture
def campaign(app) -> Campaign:
    campaign = make_campaign(db.session)
    db.session.commit()
    return campaign


def open_form(client: FlaskClient, language: str = "en") -> str:
    client.set_cookie("lang", language)
    page = client.get("/write")
    assert page.status_code == 200
    return csrf_token(page.get_data(as_text=True))


def send(client: FlaskClient, token: str, button: str = "send", **fields: str):
    data = {"csrf_token": token, "design": "birds", "message": MOTHER, "recipient": "any"}
    data.update(fields)
    data[button] = "1"
    return client.post("/write", data=data)


def field_error(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>([^<]*)<', page)
    return html.unescape(match.group(1)).strip() if match else ""


def card_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Card.id))) or 0


def test_write_page_offers_the_designs_and_active_recipients_by_public_label_only(client, app):
    campaign = make_campaign(db.session, designs=["birds", "tulips"])
    active = make_recipient(db.session, campaign, 1)
    paused = make_recipient(db.session, campaign, 2)
    paused.paused = True
    db.session.commit()
    page = client.get("/write").get_data(as_text=True)
    assert 'value="birds"' in page and 'value="tulips"' in page and 'value="hearts"' not in page
    assert "/designs/birds.jpg" in page
    assert f'value="{active.public_id}"' in page and "Test mother 1" in page
    assert paused.public_id not in page and "Test mother 2" not in page
    # Never a name or an address: only the public label.
    assert "Testa Recipientova" not in page and "Nowhere Lane" not in page
    assert 'value="any" selected' in page


def test_a_sent_card_is_stored_submitted_with_its_flags_and_counted(client, campaign):
    token = open_form(client)
    message = "Dear mum, see www.example.org. No protest here, just love."
    response = send(client, token, message=message, signature="Ann")
    assert response.status_code == 303
    card = db.session.scalars(select(Card)).one()
    assert card.status is CardStatus.SUBMITTED
    assert (card.message, card.signature, card.design_slug) == (message, "Ann", "birds")
    assert card.recipient_id is None and card.recipient_chosen is False
    kinds = {flag["kind"] for flag in card.flags}
    assert kinds == {"link", "watch_word"}
    # Flags point at the text; they never copy it (the text is purged after retention).
    assert all(set(flag) == {"kind", "field", "start", "end", "detail"} for flag in card.flags)
    db.session.refresh(campaign)
    assert (campaign.cards_count, campaign.participants_count) == (1, 1)


def test_a_card_for_a_chosen_recipient_keeps_her(client, app, campaign):
    recipient = make_recipient(db.session, campaign)
    db.session.commit()
    token = open_form(client)
    assert send(client, token, recipient=recipient.public_id).status_code == 303
    card = db.session.scalars(select(Card)).one()
    assert card.recipient_id == recipient.id and card.recipient_chosen


def test_the_thank_you_page_shows_the_card_picture_and_reference_to_its_sender_only(
    client, app, campaign
):
    token = open_form(client, "be")
    response = send(client, token)
    thanks = client.get(response.headers["Location"])
    page = thanks.get_data(as_text=True)
    card = db.session.scalars(select(Card)).one()
    assert thanks.status_code == 200
    assert card.reference in page and "Дзякуй" in page
    assert "1 чалавек узяў удзел" in page and "1 паштоўка" in page
    picture = client.get(f"/thanks/{card.reference}/card.jpg")
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    assert picture.data[:3] == b"\xff\xd8\xff"
    assert "no-store" in picture.headers["Cache-Control"]
    # Another browser knowing the reference sees nothing of the message.
    g.pop("csrf_token", None)  # the test's app context is shared between requests
    stranger = app.test_client()
    assert stranger.get(f"/thanks/{card.reference}").status_code == 404
    assert stranger.get(f"/thanks/{card.reference}/card.jpg").status_code == 404


# (case, fields, {language: part of the sentence beside the field})
ERRORS = [
    (
        "empty",
        {"message": "   \n  "},
        "message",
        {"en": "Please write a few words", "be": "напішыце некалькі слоў", "ru": "напишите"},
    ),
    (
        "too_long_by_one",
        {"message": "а" * 601},
        "message",
        {
            "en": "1 character over the limit of 600",
            "be": "на 1 знак даўжэйшы",
            "ru": "на 1 символ длиннее",
        },
    ),
    (
        "too_long_by_three",
        {"message": "а" * 603},
        "message",
        {"en": "3 characters over the limit", "be": "на 3 знакі", "ru": "на 3 символа"},
    ),
    (
        "too_long_by_eleven",
        {"message": "а" * 611},
        "message",
        {"en": "11 characters over the limit", "be": "на 11 знакаў", "ru": "на 11 символов"},
    ),
    (
        "too_many_lines",
        {"message": "мама\n" * 30},
        "message",
        {"en": "too many lines", "be": "не больш за 25 радкоў", "ru": "не больше 25 строк"},
    ),
    (
        "word_too_long",
        {"message": "Добры " + "ш" * 70},
        "message",
        {"en": "longer than 60 characters", "be": "за 60 знакаў", "ru": "длиннее 60 символов"},
    ),
    (
        "forbidden_characters",
        {"message": "Мама\u200bмама"},
        "message",
        {
            "en": "an invisible space (U+200B)",
            "be": "нябачны прабел (U+200B)",
            "ru": "невидимый пробел",
        },
    ),
    (
        "missing_glyphs",
        {"message": "Мама 😀"},
        "message",
        {
            "en": "cannot print this character: «😀»",
            "be": "гэты знак: «😀»",
            "ru": "этот символ: «😀»",
        },
    ),
    (
        "too_long_for_design",
        {"message": "\n\n".join(["Мама, я цябе люблю"] * 12)},
        "message",
        {"en": "does not fit on this card", "be": "не змяшчаецца", "ru": "не помещается"},
    ),
    (
        "signature_too_long",
        {"signature": "Я" * 61},
        "signature",
        {
            "en": "signature is 1 character over the limit",
            "be": "Подпіс на 1 знак даўжэйшы",
            "ru": "Подпись на 1 символ длиннее",
        },
    ),
    (
        "signature_does_not_fit",
        {"signature": "Ш" * 60},
        "signature",
        {
            "en": "signature does not fit",
            "be": "Подпіс не змяшчаецца",
            "ru": "Подпись не помещается",
        },
    ),
    (
        "unknown_design",
        {"design": "no-such-design"},
        "design",
        {"en": "one of the designs shown", "be": "паказаных малюнкаў", "ru": "показанных рисунков"},
    ),
    (
        "unknown_recipient",
        {"recipient": "ZZZZZZZZZZ"},
        "recipient",
        {"en": "recipient from the list", "be": "адрасатку са спіса", "ru": "адресата из списка"},
    ),
]


@pytest.mark.parametrize("language", ["en", "be", "ru"])
@pytest.mark.parametrize(
    ("case", "fields", "field", "expected"), ERRORS, ids=[e[0] for e in ERRORS]
)
def test_every_refusal_is_said_beside_its_field_in_the_donors_language_and_keeps_the_input(
    client, campaign, language, case, fields, field, expected
):
    token = open_form(client, language)
    kept = {"signature": "Алеся", "message": MOTHER, **fields}
    response = send(client, token, **kept)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert expected[language] in field_error(page, field)
    assert card_count() == 0
    # Everything the donor wrote is still there.
    message = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1))
    assert message == kept["message"]
    assert f'value="{html.escape(kept["signature"])}"' in page
    if field == "design":
        return
    assert f'value="{kept.get("design", "birds")}" checked' in page


@pytest.mark.parametrize(
    ("case", "fields", "field", "expected"), ERRORS, ids=[e[0] for e in ERRORS]
)
def test_the_preview_runs_the_same_checks_and_says_the_same_sentence(
    client, campaign, case, fields, field, expected
):
    token = open_form(client, "ru")
    data = {"design": "birds", "message": MOTHER, "recipient": "any", **fields}
    response = client.post(
        "/preview", data=data, headers={"X-CSRFToken": token, "Accept": "application/json"}
    )
    assert response.status_code == 422
    assert expected["ru"] in response.json["errors"][field]


def test_the_preview_is_the_card_as_a_jpeg(client, campaign):
    token = open_form(client)
    response = client.post(
        "/preview",
        data={"design": "tulips", "message": MOTHER, "signature": "Алеся", "recipient": "any"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data[:3] == b"\xff\xd8\xff"
    assert card_count() == 0


def test_the_preview_button_works_without_javascript_by_a_same_origin_image(client, campaign):
    token = open_form(client, "be")
    response = send(client, token, button="preview", signature="Алеся")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    src = html.unescape(re.search(r'id="preview-image"[^>]*src="([^"]+)"', page).group(1))
    assert src.startswith("/preview.jpg?") and "data:" not in src
    # The draft is never put in the URL.
    assert "мама" not in src.lower()
    image = client.get(src)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert MOTHER in html.unescape(page) and card_count() == 0


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_stored(client, campaign):
    open_form(client)
    response = client.post(
        "/write", data={"design": "birds", "message": MOTHER, "recipient": "any", "send": "1"}
    )
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "has not been sent yet" in page and "Send the card” again" in page
    assert MOTHER in page
    forged = client.post(
        "/preview", data={"design": "birds", "message": MOTHER}, headers={"X-CSRFToken": "forged"}
    )
    assert forged.status_code == 400
    assert card_count() == 0


def test_the_honeypot_stops_a_bot_but_keeps_a_persons_text(client, campaign):
    token = open_form(client)
    response = send(client, token, website="http://spam.example")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert card_count() == 0
    assert html.escape(MOTHER) in page or MOTHER in page
    assert 'class="hp shown"' in page


def test_writing_is_refused_kindly_when_the_campaign_has_closed(client, app):
    now = utcnow()
    make_campaign(db.session, opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    db.session.commit()
    page = client.get("/write").get_data(as_text=True)
    assert "has closed" in page and "<textarea" not in page
    assert client.post("/write", data={"message": MOTHER, "send": "1"}).status_code in (400, 409)
    assert card_count() == 0


def _limited_app(database_url, redis_url, tmp_path, **limits):
    import redis as redis_lib

    redis_lib.Redis.from_url(redis_url).flushdb()
    config = config_for_tests(database_url, redis_url, tmp_path)
    for name, value in limits.items():
        setattr(config, name, value)
    app = create_app(config)
    with app.app_context():
        make_campaign(db.session)
        db.session.commit()
    return app


def test_too_many_cards_from_one_client_are_refused_with_the_text_kept(
    database_url, redis_url, tmp_path
):
    app = _limited_app(
        database_url, redis_url, tmp_path, send_limits=SendLimits(browser_per_window=2)
    )
    client = app.test_client()
    token = open_form(client)
    assert send(client, token, message="Першая паштоўка").status_code == 303
    assert send(client, token, message="Другая паштоўка").status_code == 303
    # Previews do not use up the writing allowance.
    assert send(client, token, button="preview").status_code == 200
    refused = send(client, token, message="Третья открытка")
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 429
    assert "Please wait ten minutes" in page and "Третья открытка" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Card.id))) == 2
        db.engine.dispose()


def test_a_preview_flood_is_refused(database_url, redis_url, tmp_path):
    app = _limited_app(database_url, redis_url, tmp_path, rate_limit_preview="3 per minute")
    client = app.test_client()
    token = open_form(client)
    data = {"design": "birds", "message": MOTHER, "recipient": "any"}
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    codes = [client.post("/preview", data=data, headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert (
        "Please wait a minute"
        in client.post("/preview", data=data, headers=headers).json["errors"]["form"]
    )
    with app.app_context():
        db.engine.dispose()


def test_cards_are_still_accepted_when_redis_is_down(database_url, tmp_path):
    # Nothing listens on port 1: the rate limiter's storage is gone, writing fails open.
    app = create_app(config_for_tests(database_url, "redis://127.0.0.1:1/0", tmp_path))
    with app.app_context():
        make_campaign(db.session)
        db.session.commit()
    client = app.test_client()
    token = open_form(client)
    assert send(client, token).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Card.id))) == 1
        assert db.session.scalar(select(func.count(Participant.id))) == 1
        db.engine.dispose()


def test_design_thumbnails_are_cached_for_a_long_time(client, campaign):
    response = client.get("/designs/birds.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "public" in response.headers["Cache-Control"]
    again = client.get("/designs/birds.jpg", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/designs/no-such.jpg").status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"message": "x" * 50_000},
        {"design": "../../etc/passwd"},
        {"recipient": "'; DROP TABLE cards; --"},
        {"signature": "\n\n\n"},
        {"message": "\x00\x01"},
    ],
)
def test_no_input_gives_a_server_error(client, campaign, fields):
    token = open_form(client)
    assert send(client, token, **fields).status_code in (303, 400, 413, 422)


def test_bytes_that_are_not_utf8_give_no_server_error(client, campaign):
    token = open_form(client)
    body = f"csrf_token={token}&design=birds&recipient=any&send=1&message=%ED%A0%80%FF%FE"
    response = client.post(
        "/write", data=body.encode(), content_type="application/x-www-form-urlencoded"
    )
    # Werkzeug decodes with replacement characters; whatever happens, it is not a 500.
    assert response.status_code in (303, 400, 422)
