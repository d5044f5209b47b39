"""A donor never loses a card, never sends one twice, and can see what became of it."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import redis
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cardsapp.extensions import db
from cardsapp.models import Batch, BatchStatus, Campaign, Card, CardStatus
from cardsapp.ratelimits import SendLimits
from tests.factories import compile_catalogues, csrf_token, make_campaign, make_card

SECRET_TEXT = "Тэкст, які ніхто не павінен бачыць"
MOTHER = "Дарагая мама! Шчыра віншую з Днём маці. Мы памятаем пра вас."


@pytest.fixture(autouse=True, scope="module")
def _catalogues() -> None:
    compile_catalogues()


@pytest.fixture(autouse=True)
def _fresh_limits(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture
def campaign(app):
    campaign = make_campaign(db.session)
    db.session.commit()
    return campaign


def open_form(client: FlaskClient, language: str = "en") -> tuple[str, str]:
    """The page's CSRF token and draft token."""
    client.set_cookie("lang", language)
    g.pop("csrf_token", None)  # the test's app context is shared between requests
    page = client.get("/write").get_data(as_text=True)
    draft = re.search(r'name="draft_token" value="([^"]+)"', page)
    assert draft, "no draft token in the page"
    return csrf_token(page), draft.group(1)


def post(client: FlaskClient, token: str, draft: str = "", button: str = "send", **fields):
    data = {"csrf_token": token, "design": "birds", "message": MOTHER, "recipient": "any"}
    data["draft_token"] = draft
    data.update(fields)
    if button:
        data[button] = "1"
    return client.post("/write", data=data)


def cards() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Card.id))) or 0


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_sending_one_draft_again_shows_the_first_cards_thanks_and_stores_nothing(client, campaign):
    token, draft = open_form(client)
    first = post(client, token, draft)
    again = post(client, token, draft)  # Back and Send, a double tap, a retry
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert cards() == 1
    # The counter moved once.
    assert db.session.scalar(select(Campaign.cards_count)) == 1
    # From another browser (a retry after the phone lost its session), the same card too.
    other = client.application.test_client()
    other_token, _ = open_form(other)
    third = post(other, other_token, draft)
    assert third.headers["Location"] == first.headers["Location"]
    assert other.get(third.headers["Location"]).status_code == 200
    assert cards() == 1


def test_every_writing_page_gets_its_own_draft_token(client, campaign):
    _, one = open_form(client)
    _, two = open_form(client)
    _, three = open_form(client.application.test_client())
    assert len({one, two, three}) == 3


def test_the_same_text_from_two_drafts_is_stored_twice_and_flagged_with_the_first(client, campaign):
    token, first_draft = open_form(client)
    post(client, token, first_draft, message="Мама, мы з вамі!")
    _, second_draft = open_form(client)
    post(client, token, second_draft, message="  мама,   МЫ з вамі! ")
    _, third_draft = open_form(client)
    post(client, token, third_draft, message="Зусім іншы тэкст для мамы.")
    db.session.expire_all()
    first, second, third = db.session.scalars(select(Card).order_by(Card.id)).all()
    assert not any(f["kind"] == "duplicate" for f in first.flags)
    assert {"kind": "duplicate", "field": "message", "detail": first.reference} in second.flags
    assert not any(f["kind"] == "duplicate" for f in third.flags)
    # What links them is a keyed hash, never a copy of the text.
    assert first.text_key == second.text_key and MOTHER not in (first.text_key or "")


def test_switching_language_keeps_the_draft_without_javascript(client, campaign):
    token, draft = open_form(client)
    page = post(
        client, token, draft, button="", switch_language="ru", signature="Алеся", design="tulips"
    )
    assert page.status_code == 200
    body = text_of(page)
    assert '<html lang="ru">' in body and "Отправить открытку" in body
    assert MOTHER in body and 'value="Алеся"' in body
    assert 'value="tulips" checked' in body and f'value="{draft}"' in body
    assert "lang=ru" in page.headers["Set-Cookie"]
    back = post(client, token, draft, button="", switch_language="be")
    assert '<html lang="be">' in text_of(back) and MOTHER in text_of(back)
    assert cards() == 0


def test_an_expired_form_comes_back_with_the_text_and_a_fresh_token_that_sends(client, campaign):
    _, draft = open_form(client)
    expired = post(client, "stale-token", draft, signature="Ірына")
    assert expired.status_code == 400
    body = text_of(expired)
    assert "has not been sent yet" in body and "press “Send the card” again" in body
    assert MOTHER in body and 'value="Ірына"' in body
    assert cards() == 0
    fresh = csrf_token(body)
    assert post(client, fresh, draft, signature="Ірына").status_code == 303
    assert cards() == 1


def test_a_refusal_opens_at_a_summary_that_links_to_each_field(client, campaign):
    token, draft = open_form(client)
    refused = post(client, token, draft, message="", signature="x" * 120)
    body = text_of(refused)
    assert refused.status_code == 422
    assert 'action="/write#write-form"' in body
    summary = body[body.index('id="problems"') : body.index("</div>", body.index('id="problems"'))]
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    assert 'href="#message"' in summary and 'href="#signature"' in summary
    assert body.count('role="alert"') == 1
    # The summary comes first in the form, then the message box.
    assert body.index('id="problems"') < body.index('id="message"') < body.index("design-choices")


def test_a_head_request_never_stores_a_card(client, campaign):
    token, _draft = open_form(client)
    client.open(
        "/write",
        method="HEAD",
        data={"csrf_token": token, "design": "birds", "message": MOTHER, "send": "1"},
    )
    assert cards() == 0


def test_a_failure_while_sending_keeps_the_text_and_says_nothing_was_sent(
    client, campaign, monkeypatch
):
    import cardsapp.web.donate.writing as writing

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writing, "submit_card", broken)
    token, draft = open_form(client)
    page = post(client, token, draft, signature="Ганна")
    assert page.status_code == 503
    body = text_of(page)
    assert "has not been sent" in body and MOTHER in body and 'value="Ганна"' in body


# Rate limits -----------------------------------------------------------------------------


def test_twenty_browsers_behind_one_address_all_send_within_a_minute(app, campaign):
    app.extensions["cardsapp.config"].send_limits = SendLimits()
    for n in range(20):
        browser = app.test_client()
        token, draft = open_form(browser)
        assert post(browser, token, draft, message=f"{MOTHER} {n}").status_code == 303
    assert cards() == 20


def test_one_browser_is_held_to_its_limit_and_refused_sends_do_not_count(app, campaign):
    app.extensions["cardsapp.config"].send_limits = SendLimits(browser_per_window=3)
    browser = app.test_client()
    token, _ = open_form(browser)
    for n in range(3):
        _, draft = open_form(browser)
        # A refused draft first: it does not use up the allowance.
        assert post(browser, token, draft, message="").status_code == 422
        assert post(browser, token, draft, message=f"{MOTHER} {n}").status_code == 303
    _, draft = open_form(browser)
    refused = post(browser, token, draft, message="Чацвёртая паштоўка")
    assert refused.status_code == 429
    assert "Чацвёртая паштоўка" in text_of(refused) and "has not been sent yet" in text_of(refused)
    assert cards() == 3
    # Another browser at the same address still gets through.
    other = app.test_client()
    other_token, other_draft = open_form(other)
    assert post(other, other_token, other_draft).status_code == 303


def test_a_browsers_cards_cost_more_and_more_within_an_hour():
    from cardsapp.ratelimits import hour_cost

    limits = SendLimits()
    allowed = [n for n in range(1, 20) if hour_cost(n) <= limits.browser_hour_budget]
    assert allowed == [1, 2, 3, 4, 5]


def test_a_flood_from_one_address_is_stopped(app, campaign):
    app.extensions["cardsapp.config"].send_limits = SendLimits(address_per_window=60)
    codes = []
    for n in range(70):
        bot = app.test_client()  # a new "browser" each time: no cookies kept
        token, draft = open_form(bot)
        codes.append(post(bot, token, draft, message=f"spam {n}").status_code)
    assert codes.count(303) == 60 and codes[-10:] == [429] * 10
    assert cards() == 60


def test_the_limits_keep_no_address_or_browser_token_in_redis(app, campaign, redis_url):
    app.extensions["cardsapp.config"].send_limits = SendLimits()
    browser = app.test_client()
    token, draft = open_form(browser)
    post(browser, token, draft)
    browser.post("/preview", data={"design": "birds", "message": MOTHER})
    cookie = browser.get_cookie("cardsapp_donor")
    assert cookie is not None
    connection = redis.Redis.from_url(redis_url)
    everything = b" ".join(
        name + b"=" + (connection.dump(name) or b"") for name in connection.keys("*")
    )
    assert b"127.0.0.1" not in everything and b"localhost" not in everything
    assert cookie.value.encode() not in everything
    # Counters are numbers in fixed windows: no moment of any request is kept.
    for name in connection.keys("rl:send:*"):
        assert connection.type(name) == b"string" and int(connection.get(name)) >= 1


# What became of a card -------------------------------------------------------------------


def _card(campaign, status: CardStatus, **fields) -> Card:
    card = make_card(
        db.session, campaign, message="Тэкст, які ніхто не павінен бачыць", status=status
    )
    for name, value in fields.items():
        setattr(card, name, value)
    db.session.commit()
    return card


@pytest.mark.parametrize(
    ("status", "language", "sentence"),
    [
        (CardStatus.SUBMITTED, "en", "waiting to be read"),
        (CardStatus.APPROVED, "ru", "прочитали и одобрили"),
        (CardStatus.BATCHED, "be", "прачыталі і ўхвалілі"),
        (CardStatus.PRINTED, "en", "has been printed"),
    ],
)
def test_the_status_page_says_where_a_card_is_in_the_donors_language(
    client, campaign, status, language, sentence
):
    card = _card(campaign, status)
    client.set_cookie("lang", language)
    page = client.get(f"/status/{card.reference}")
    assert page.status_code == 200
    body = text_of(page)
    assert sentence in body
    assert "Тэкст, які ніхто" not in body
    assert page.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in page.headers


def test_a_posted_card_says_the_day_it_was_posted(client, campaign):
    batch = Batch(
        campaign_id=campaign.id,
        status=BatchStatus.MAILED,
        mailed_at=datetime(2026, 10, 9, 15, 30, tzinfo=UTC),
    )
    db.session.add(batch)
    db.session.flush()
    card = _card(campaign, CardStatus.MAILED, batch_id=batch.id)
    client.set_cookie("lang", "be")
    body = text_of(client.get(f"/status/{card.reference}"))
    assert "9 кастрычніка 2026" in body and "15:30" not in body


def test_a_card_not_printed_gives_the_reason_category_never_the_moderators_note(client, campaign):
    card = _card(campaign, CardStatus.REJECTED, rejection_reason="names: the surname Ivanova")
    body = text_of(client.get(f"/status/{card.reference}"))
    assert "will not be printed" in body and "could identify someone" in body
    assert "Ivanova" not in body


def test_an_unknown_reference_and_a_purged_card_look_the_same(client, campaign):
    purged = _card(campaign, CardStatus.MAILED, message=None)
    unknown = "ZZZZ2222"
    first = client.get(f"/status/{purged.reference}")
    second = client.get(f"/status/{unknown}")
    assert first.status_code == second.status_code == 404
    assert first.get_data(as_text=True).replace(purged.reference, unknown) == second.get_data(
        as_text=True
    )


def test_the_status_page_is_rate_limited(app, client, campaign):
    app.extensions["cardsapp.config"].rate_limit_status = "5 per minute"
    codes = [client.get(f"/status/ZZZZ{n:04d}").status_code for n in range(7)]
    assert codes[:5] == [404] * 5 and codes[5:] == [429, 429]


def test_the_thanks_page_links_to_the_cards_status(client, campaign):
    token, draft = open_form(client)
    thanks = client.get(post(client, token, draft).headers["Location"])
    reference = re.search(r"/thanks/(\w+)", thanks.request.path).group(1)
    assert f'href="/status/{reference}"' in thanks.get_data(as_text=True)


def test_the_same_draft_sent_again_from_a_reloaded_page_finds_its_card(client, campaign):
    # Back to a form the browser fetched again: the text is restored, the draft token is new.
    token, first_draft = open_form(client)
    first = post(client, token, first_draft, signature="Ала")
    _, second_draft = open_form(client)
    # The browser does not restore the signature (autocomplete is off): still the same card.
    again = post(client, token, second_draft, signature="")
    assert again.headers["Location"] == first.headers["Location"]
    assert cards() == 1
    # A changed text is a new card.
    _, third_draft = open_form(client)
    assert (
        post(client, token, third_draft, message="Іншы тэкст для мамы.").headers["Location"]
        != again.headers["Location"]
    )
    assert cards() == 2


# Recipients on the writing page --------------------------------------------------------


def _many_recipients(campaign, count: int) -> None:
    from sqlalchemy import insert

    from cardsapp.models import Recipient

    rows = [
        {
            "campaign_id": campaign.id,
            "public_id": f"R{n:09d}",
            "public_label": f"Mother of a prisoner, region {n}",
            "label_search": f"mother of a prisoner, region {n}",
            "cards_assigned": n % 7,
        }
        for n in range(count)
    ]
    db.session.execute(insert(Recipient), rows)
    db.session.commit()


def test_with_ten_thousand_recipients_the_writing_page_is_small_and_search_finds_her(
    client, campaign
):
    _many_recipients(campaign, 10_000)
    client.set_cookie("lang", "en")
    page = client.get("/write")
    body = page.get_data(as_text=True)
    assert body.count("<option") == 21  # "Any of them" and the short list
    assert len(page.get_data()) < 60_000
    # The short list starts with those who have the fewest cards.
    assert 'value="R000000000"' in body and 'value="R000000001"' not in body
    token, draft = csrf_token(body), re.search(r'name="draft_token" value="([^"]+)"', body)[1]
    found = post(
        client,
        token,
        draft,
        button="find_recipient",
        recipient_search="  REGION 9876 ",
        signature="Ала",
    )
    text = text_of(found)
    assert found.status_code == 200 and 'value="R000009876"' in text
    assert MOTHER in text and 'value="Ала"' in text and "whom we found" in text
    # She stays on the list when the page comes back for another reason, and the card goes to her.
    sent = post(client, token, draft, recipient="R000009876")
    assert sent.status_code == 303
    db.session.expire_all()
    card = db.session.scalars(select(Card)).one()
    assert card.recipient_chosen and card.recipient.public_id == "R000009876"


def test_a_search_with_no_match_says_so_and_keeps_any_of_them(client, campaign):
    _many_recipients(campaign, 30)
    token, draft = open_form(client)
    found = post(client, token, draft, button="find_recipient", recipient_search="100%_")
    text = text_of(found)
    assert text.count("<option") == 1 and "Nobody has this description" in text
    assert MOTHER in text
