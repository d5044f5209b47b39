"""A donor on a phone: open the campaign, switch to Belarusian, write, preview, send, thank you."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cardsapp.models import Campaign
from tests.factories import make_campaign, make_recipient

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = {
    "be": "Дарагая мама! Шчыра віншую з Днём маці. Няхай вясна прынясе цяпло, спакой і надзею. "
    "Мы памятаем пра вас і чакаем добрых навін.",
    "ru": "Дорогая мама! Поздравляю вас с Днём матери. Пусть весна принесёт тепло и силы. "
    "Мы помним о вас.",
    "en": "Dear mum, thinking of you on Mother's Day. You are not alone: many of us care "
    "and send you warmth.",
}
SIGNATURES = {"be": "Алеся", "ru": "Ира", "en": "Sam"}
THANKS = re.compile(r"/thanks/([A-Z0-9]+)#sent-card$")


@pytest.fixture(scope="module")
def campaign(live_server) -> int:
    """The running campaign, made once for the module (the live database is shared)."""
    return running_campaign(live_server)


def running_campaign(live_server) -> int:
    """The live server's campaign with three recipients, made on first use."""
    from sqlalchemy import select

    from cardsapp.extensions import db

    with live_server.session() as session:
        existing = session.scalars(select(Campaign)).first()
        if existing:
            return existing.id
        campaign = make_campaign(
            session,
            title={"en": "Cards for mothers", "be": "Паштоўкі для мам", "ru": "Открытки для мам"},
            story={
                "en": "A card in the post tells a mother that she is not alone.",
                "be": "Паштоўка скажа маці, што яна не адна.",
                "ru": "Открытка скажет маме, что она не одна.",
            },
            guidance={
                "en": "Write warmly and simply: wishes for health, spring, strength.",
                "be": "Пішыце цёпла і проста: пажаданні здароўя, вясны, сілы.",
                "ru": "Пишите тепло и просто: пожелания здоровья, весны, сил.",
            },
        )
        for n in range(1, 4):
            make_recipient(session, campaign, n)
        db.session.commit()
        return campaign.id


def participants_on(page) -> int:
    """The first number of the counter line on the page."""
    text = page.locator(".counter").first.inner_text()
    return int(re.search(r"\d+", text).group())


def cards_on(page) -> int:
    text = page.locator(".counter").first.inner_text()
    return int(re.findall(r"\d+", text)[1])


def loaded_width(image, tries: int = 100) -> int:
    """The natural width of an image once it has loaded (polled: page scripts may be off)."""
    for _ in range(tries):
        width = image.evaluate("img => img.complete ? img.naturalWidth : 0")
        if width:
            return width
        image.page.wait_for_timeout(100)
    return 0


def watch_for_problems(page) -> list[str]:
    """Console errors (a CSP violation shows up there) and requests to any other site."""
    problems: list[str] = []
    # A refused preview answers 422 on purpose; Chromium logs that as a failed load.
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "422" not in m.text else None,
    )
    page.on(
        "request",
        lambda r: (
            problems.append(f"outside request {r.url}")
            if not r.url.startswith(("http://127.0.0.1", "data:"))
            else None
        ),
    )
    return problems


def test_a_donor_writes_in_belarusian_sees_the_live_preview_sends_and_the_counter_grows(
    live_server, campaign, browser_page
):
    page = browser_page
    problems = watch_for_problems(page)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Беларуская").click()
    assert page.locator("html").get_attribute("lang") == "be"
    before_people, before_cards = participants_on(page), cards_on(page)
    page.get_by_role("link", name="Напісаць паштоўку").click()
    assert page.url.endswith("/write")

    page.get_by_role("radio", name="Цюльпаны").check() if page.get_by_role(
        "radio", name="Цюльпаны"
    ).count() else page.locator("input[name=design]").nth(1).check()
    chosen = page.locator("input[name=design]:checked").get_attribute("value")
    page.locator("#message").press_sequentially(MESSAGES["be"][:40], delay=5)
    page.locator("#message").fill(MESSAGES["be"])
    count = page.locator("#message-count")
    assert re.match(r"Засталося \d+ знак", count.inner_text())
    image = page.locator("#preview-image")
    image.wait_for(state="visible")
    page.wait_for_function(
        "() => document.getElementById('preview-image').src.startsWith('data:image/jpeg')"
    )
    first = image.get_attribute("src")
    page.locator("#signature").fill(SIGNATURES["be"])
    page.wait_for_function(
        "(src) => document.getElementById('preview-image').src !== src", arg=first
    )
    assert image.evaluate("img => img.naturalWidth") >= 900

    # An emoji the font cannot draw: the live preview says so beside the field, in Belarusian.
    page.locator("#message").fill(MESSAGES["be"] + " 🌷")
    error = page.locator("#message-error")
    error.wait_for(state="visible")
    assert "«🌷»" in error.inner_text() and "знак" in error.inner_text()
    page.locator("#message").fill(MESSAGES["be"])
    error.wait_for(state="hidden")

    page.get_by_role("button", name="Адправіць паштоўку").click()
    page.wait_for_url(THANKS)
    assert "Дзякуй" in page.locator("h1").inner_text()
    reference = THANKS.search(page.url).group(1)
    assert reference in page.locator(".reference").inner_text()
    card = page.locator(".thanks img")
    page.wait_for_function("() => document.querySelector('.thanks img').complete")
    assert card.evaluate("img => img.naturalWidth") > 0
    assert cards_on(page) == before_cards + 1
    assert participants_on(page) in (before_people, before_people + 1)
    # The landing page's counter grew too.
    page.goto(live_server.url + "/")
    assert cards_on(page) == before_cards + 1
    assert problems == []
    assert chosen


def test_without_javascript_the_preview_button_shows_the_card_and_sending_works(
    live_server, campaign, make_page
):
    page = make_page(java_script_enabled=False, locale="ru-RU")
    problems = watch_for_problems(page)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ru"
    before_cards = cards_on(page)
    page.get_by_role("link", name="Написать открытку").click()
    page.locator("input[name=design]").nth(2).check()
    page.locator("#message").fill(MESSAGES["ru"])
    page.locator("#signature").fill(SIGNATURES["ru"])
    page.get_by_role("button", name="Посмотреть").click()
    image = page.locator("#preview-image")
    assert image.get_attribute("src").startswith("/preview.jpg?")
    assert loaded_width(image) >= 900
    # Everything typed is still there after the full-page preview.
    assert page.locator("#message").input_value() == MESSAGES["ru"]
    assert page.locator("#signature").input_value() == SIGNATURES["ru"]
    page.get_by_role("button", name="Отправить открытку").click()
    page.wait_for_url(THANKS)
    assert "Спасибо" in page.locator("h1").inner_text()
    assert cards_on(page) == before_cards + 1
    assert problems == []


def test_a_refusal_without_javascript_is_said_beside_the_field_and_keeps_the_text(
    live_server, campaign, make_page
):
    page = make_page(java_script_enabled=False)
    page.goto(live_server.url + "/write")
    page.locator("#message").fill("Hello 🙂")
    page.locator("#signature").fill("Sam")
    page.get_by_role("button", name="Send the card").click()
    assert "cannot print this character" in page.locator("#message-error").inner_text()
    assert page.locator("#message").input_value() == "Hello 🙂"
    assert page.locator("#signature").input_value() == "Sam"
    assert page.locator("#message").get_attribute("aria-invalid") == "true"


def test_the_write_page_works_by_keyboard_and_fits_a_360px_screen(live_server, campaign, make_page):
    page = make_page(viewport={"width": 360, "height": 740})
    page.goto(live_server.url + "/write")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Every control has a label a screen reader can announce.
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => !el.closest('.hp'))
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
              .map(el => el.name)"""
    )
    assert unlabeled == []
    first = page.locator("input[name=design]").first
    first.focus()
    page.keyboard.press("ArrowRight")
    assert page.locator("input[name=design]").nth(1).is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "recipient"
    page.locator("#message").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "signature"
    # The honeypot is out of sight and out of the tab order.
    assert page.locator("#website").get_attribute("tabindex") == "-1"
    assert not page.locator("#website").is_visible() or page.locator(".hp").bounding_box()["x"] < 0


LANGUAGES = {"be": "Беларуская", "ru": "Русский", "en": "English"}
SEND = {"be": "Адправіць паштоўку", "ru": "Отправить открытку", "en": "Send the card"}


@pytest.mark.parametrize("language", ["be", "ru", "en"])
def test_pages_at_phone_width_in_every_language(
    live_server, campaign, make_page, language, tmp_path
):
    """Landing, write (with the live preview) and thank-you pages, screenshot for the README."""
    folder = tmp_path
    if os.environ.get("CARDS_UPDATE_SCREENSHOTS") == "1":
        folder = ROOT / "docs" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
    page = make_page(locale={"be": "be-BY", "ru": "ru-RU", "en": "en-GB"}[language])
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == language
    page.screenshot(path=str(folder / f"{language}-landing.png"), full_page=True)
    page.goto(live_server.url + "/write")
    page.locator("input[name=design]").nth(3).check()
    page.locator("#message").fill(MESSAGES[language])
    page.locator("#signature").fill(SIGNATURES[language])
    page.wait_for_function(
        "() => document.getElementById('preview-image').src.startsWith('data:image/jpeg')"
    )
    page.wait_for_function("() => document.getElementById('preview-image').complete")
    page.screenshot(path=str(folder / f"{language}-write.png"), full_page=True)
    page.get_by_role("button", name=SEND[language]).click()
    page.wait_for_url(THANKS)
    page.wait_for_function("() => document.querySelector('.thanks img').complete")
    page.screenshot(path=str(folder / f"{language}-thanks.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
