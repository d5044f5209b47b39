"""On a 390 x 844 phone, with and without JavaScript, in be/ru/en: nothing written is lost,
one draft makes one card, refusals are in view, many donors behind one address get through,
and a card's fate can be looked up."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import redis

from cardsapp.models import Batch, BatchStatus, Card, CardStatus
from cardsapp.ratelimits import SendLimits
from tests.e2e.test_donor_journey import (
    MESSAGES,
    SIGNATURES,
    THANKS,
    cards_on,
    running_campaign,
)
from tests.factories import make_card

pytestmark = pytest.mark.e2e

LOCALES = {"be": "be-BY", "ru": "ru-RU", "en": "en-GB"}
NAMES = {"be": "Беларуская", "ru": "Русский", "en": "English"}
SEND = {"be": "Адправіць паштоўку", "ru": "Отправить открытку", "en": "Send the card"}
PHONE_HEIGHT = 844


@pytest.fixture(scope="module")
def campaign(live_server) -> int:
    """The running campaign (shared with the other donor tests)."""
    return running_campaign(live_server)


def open_write(make_page, live_server, language: str, script: bool):
    page = make_page(java_script_enabled=script, locale=LOCALES[language])
    page.goto(live_server.url + "/write")
    assert page.locator("html").get_attribute("lang") == language
    return page


def fill(page, language: str, design: int = 2) -> None:
    page.locator("input[name=design]").nth(design).check()
    page.locator("#message").fill(MESSAGES[language])
    page.locator("#signature").fill(SIGNATURES[language])


def assert_draft(page, language: str, design: int = 2) -> None:
    assert page.locator("#message").input_value() == MESSAGES[language]
    assert page.locator("#signature").input_value() == SIGNATURES[language]
    assert page.locator("input[name=design]").nth(design).is_checked()


@pytest.mark.parametrize("script", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("language", ["be", "ru", "en"])
def test_switching_language_twice_keeps_the_draft(
    live_server, campaign, make_page, language, script
):
    page = open_write(make_page, live_server, language, script)
    fill(page, language)
    others = [code for code in NAMES if code != language]
    for other in others:
        page.get_by_role("button", name=NAMES[other]).click()
        page.wait_for_function(f"() => document.documentElement.lang === '{other}'")
        assert_draft(page, language)
    # The draft then sends as usual, in the last language chosen.
    page.get_by_role("button", name=SEND[others[-1]]).click()
    page.wait_for_url(THANKS)


@pytest.mark.parametrize("script", [True, False], ids=["js", "nojs"])
def test_back_and_send_again_gives_the_same_card_and_the_counter_moves_once(
    live_server, campaign, make_page, script
):
    page = open_write(make_page, live_server, "ru", script)
    page.goto(live_server.url + "/")
    before = cards_on(page)
    page.go_back()
    fill(page, "ru")
    page.get_by_role("button", name=SEND["ru"]).click()
    page.wait_for_url(THANKS)
    first = THANKS.search(page.url).group(1)
    assert cards_on(page) == before + 1
    page.go_back()
    page.wait_for_selector("#message")
    # The browser brings the text back (the signature stays empty: autocomplete is off).
    assert page.locator("#message").input_value() == MESSAGES["ru"]
    page.get_by_role("button", name=SEND["ru"]).click()
    page.wait_for_url(THANKS)
    assert THANKS.search(page.url).group(1) == first
    assert cards_on(page) == before + 1
    with live_server.session() as session:
        assert session.query(Card).filter(Card.message == MESSAGES["ru"]).count() >= 1


def test_a_double_tap_on_send_makes_one_card(live_server, campaign, make_page):
    page = open_write(make_page, live_server, "be", True)
    page.locator("#message").fill(MESSAGES["be"] + " Двойчы.")
    send = page.get_by_role("button", name=SEND["be"])
    send.dblclick()
    page.wait_for_url(THANKS)
    with live_server.session() as session:
        assert session.query(Card).filter(Card.message == MESSAGES["be"] + " Двойчы.").count() == 1


def test_a_reload_keeps_what_was_typed(live_server, campaign, make_page):
    page = open_write(make_page, live_server, "be", True)
    fill(page, "be", design=1)
    page.reload()
    assert_draft(page, "be", design=1)
    page.goto(live_server.url + "/")
    page.go_back()
    assert_draft(page, "be", design=1)


@pytest.mark.parametrize("script", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("language", ["be", "ru", "en"])
def test_a_refusal_opens_at_its_summary_with_the_message_box_on_the_first_screen(
    live_server, campaign, make_page, language, script, shots
):
    page = open_write(make_page, live_server, language, script)
    page.locator("#message").fill(MESSAGES[language] + " 🌷")
    page.locator("#signature").fill(SIGNATURES[language])
    page.get_by_role("button", name=SEND[language]).click()
    summary = page.locator("#problems")
    summary.wait_for()
    assert page.locator("[role=alert]").count() == 1
    top = page.evaluate("() => document.getElementById('problems').getBoundingClientRect().top")
    box = page.evaluate("() => document.getElementById('message').getBoundingClientRect().top")
    assert -1 < top < PHONE_HEIGHT and 0 <= box < PHONE_HEIGHT
    if script:
        assert page.evaluate("document.activeElement.id") == "problems"
    else:
        assert page.url.endswith("#write-form")
    assert "«🌷»" in summary.inner_text()
    assert page.locator("#message").input_value() == MESSAGES[language] + " 🌷"
    page.screenshot(path=str(shots / f"{language}-error-{'js' if script else 'nojs'}.png"))
    # The summary's link takes the donor to the field.
    summary.get_by_role("link").first.click()
    assert page.url.endswith("#message")


def test_an_expired_form_comes_back_with_the_text_and_sends_when_pressed_again(
    live_server, campaign, make_page
):
    page = open_write(make_page, live_server, "be", True)
    fill(page, "be")
    page.evaluate("() => { document.querySelector('input[name=csrf_token]').value = 'stale'; }")
    page.get_by_role("button", name=SEND["be"]).click()
    page.locator("#problems").wait_for()
    assert "яшчэ раз" in page.locator("#problems").inner_text()
    assert_draft(page, "be")
    page.get_by_role("button", name=SEND["be"]).click()
    page.wait_for_url(THANKS)


def test_a_blank_writing_page_shows_no_broken_image(live_server, campaign, make_page):
    for script in (True, False):
        page = open_write(make_page, live_server, "en", script)
        assert not page.locator("#preview-image").is_visible()
        assert page.locator("#preview-placeholder").is_visible()


def test_twenty_browsers_behind_one_address_all_send_within_a_minute(
    live_server, campaign, browser, redis_url
):
    config = live_server.app.extensions["cardsapp.config"]
    connection = redis.Redis.from_url(redis_url)
    for name in connection.scan_iter("rl:send:*"):
        connection.delete(name)
    saved, config.send_limits = config.send_limits, SendLimits()
    contexts, pages = [], []
    try:
        for n in range(20):
            context = browser.new_context(viewport={"width": 390, "height": 844})
            contexts.append(context)
            page = context.new_page()
            page.goto(live_server.url + "/write")
            page.locator("#message").fill(f"{MESSAGES['en']} ({n})")
            pages.append(page)
        # All twenty press Send together, as people at one office or behind one carrier's
        # address might within a minute.
        started = datetime.now(UTC)
        for page in pages:
            page.get_by_role("button", name=SEND["en"]).click(no_wait_after=True)
        for page in pages:
            page.wait_for_url(THANKS)
        assert (datetime.now(UTC) - started).total_seconds() < 60
    finally:
        config.send_limits = saved
        for context in contexts:
            context.close()


STATES = {
    "be": (CardStatus.MAILED, "адправілі поштай 9 кастрычніка 2026"),
    "ru": (CardStatus.REJECTED, "не напечатают"),
    "en": (CardStatus.SUBMITTED, "waiting to be read"),
}


@pytest.mark.parametrize("language", ["be", "ru", "en"])
def test_the_status_page_in_another_browser_says_what_became_of_the_card(
    live_server, campaign, make_page, language, shots
):
    status, sentence = STATES[language]
    with live_server.session() as session:
        from cardsapp.models import Campaign

        owner = session.get(Campaign, campaign)
        card = make_card(session, owner, message=MESSAGES[language], status=status)
        if status is CardStatus.MAILED:
            batch = Batch(
                campaign_id=owner.id,
                status=BatchStatus.MAILED,
                mailed_at=datetime(2026, 10, 9, 12, tzinfo=UTC),
            )
            session.add(batch)
            session.flush()
            card.batch_id = batch.id
        if status is CardStatus.REJECTED:
            card.rejection_reason = "contact_details: a phone number"
        session.commit()
        reference = card.reference
    page = make_page(locale=LOCALES[language])
    page.goto(f"{live_server.url}/status/{reference}")
    text = page.locator("main").inner_text()
    assert sentence in text
    assert MESSAGES[language][:20] not in text and "phone number" not in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / f"{language}-status.png"), full_page=True)
    unknown = make_page(locale=LOCALES[language])
    answer = unknown.goto(f"{live_server.url}/status/ZZZZ2345")
    assert answer.status == 404 and re.search(r"\w", unknown.locator("h1").inner_text())
