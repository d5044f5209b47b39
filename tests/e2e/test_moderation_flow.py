"""A moderator logs in, approves two cards with the keyboard and rejects one with a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cardsapp.models import Card, CardStatus, Role
from cardsapp.services.submissions import card_flags
from tests.factories import STAFF_PASSWORD, make_campaign, make_card, make_user

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
CARDS = [
    ("plain", "Dear mum, thinking of you today. Spring is coming and so are better days.", "Sam"),
    ("tulips", "Дарагая мама! Шчыра віншую з Днём маці. Няхай вясна прынясе цяпло.", "Алеся"),
    ("meadow", "Join the protest, and write to me at helper@example.org or t.me/someone", ""),
]


@pytest.fixture
def waiting_cards(live_server) -> tuple[str, list[int], str]:
    """Three submitted cards (the last one flagged) in a campaign of their own, and a login."""
    with live_server.session() as session:
        campaign = make_campaign(session, watch_words=["protest"])
        ids = []
        for design, message, signature in CARDS:
            card = make_card(session, campaign, message=message, design_slug=design)
            card.signature = signature or None
            card.flags = card_flags(message, signature, campaign.watch_words)
            ids.append(card.id)
        user = make_user(session, Role.MODERATOR)
        session.commit()
        return campaign.slug, ids, user.email


def _wait_for_pictures(page) -> None:
    """Scroll every (lazy) card picture into view and wait until it has been drawn."""
    from playwright.sync_api import expect

    pictures = page.locator(".queue-picture img")
    for index in range(pictures.count()):
        picture = pictures.nth(index)
        picture.scroll_into_view_if_needed()
        expect(picture).to_have_js_property("naturalWidth", 640)
    page.locator("h1").scroll_into_view_if_needed()


def _log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/moderate")


def test_a_moderator_decides_three_cards_with_the_keyboard(
    shots, live_server, make_page, waiting_cards
):
    slug, ids, email = waiting_cards
    page = make_page(viewport=DESKTOP, is_mobile=False, has_touch=False)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)

    page.goto(f"{live_server.url}/login")
    page.screenshot(path=str(shots / "moderation-login.png"))
    _log_in(page, live_server.url, email)
    page.goto(f"{live_server.url}/moderate?campaign={slug}")
    _wait_for_pictures(page)
    assert page.locator(".queue-card").count() == 3
    assert page.locator(".queue-card.flagged mark.flag").count() >= 2
    assert "3 cards are waiting" in page.inner_text("#waiting")
    page.screenshot(path=str(shots / "moderation-queue.png"), full_page=True)

    page.keyboard.press("a")
    page.wait_for_selector(f"#card-{ids[0]}.decided.was-approved")
    page.keyboard.press("a")
    page.wait_for_selector(f"#card-{ids[1]}.decided.was-approved")
    page.keyboard.press("r")
    reason = page.locator(f"#reason-{ids[2]}")
    assert reason.evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowDown")  # the first preset reason: politics
    assert reason.input_value() == "politics"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#card-{ids[2]}.decided.was-rejected")
    assert "0 cards are waiting" in page.inner_text("#waiting")
    assert page.locator(f"#card-{ids[2]} form.decision").first.is_hidden()
    page.screenshot(path=str(shots / "moderation-decided.png"), full_page=True)

    with live_server.session() as session:
        cards = {c.id: c for c in session.scalars(select(Card).where(Card.id.in_(ids)))}
        assert [cards[i].status for i in ids] == [
            CardStatus.APPROVED,
            CardStatus.APPROVED,
            CardStatus.REJECTED,
        ]
        assert cards[ids[2]].rejection_reason == "politics"

    page.reload()
    assert page.locator(".queue-card").count() == 0
    assert errors == []


def test_the_queue_reads_well_on_a_phone(live_server, make_page, waiting_cards, shots):
    slug, _ids, email = waiting_cards
    page = make_page()
    _log_in(page, live_server.url, email)
    page.goto(f"{live_server.url}/moderate?campaign={slug}")
    _wait_for_pictures(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the queue scrolls sideways on a phone"
    page.screenshot(path=str(shots / "moderation-phone.png"))
