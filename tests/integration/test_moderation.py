"""The moderation queue: what a moderator sees, decides, and what two moderators cannot do."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Campaign, Card, CardStatus, Role
from cardsapp.services.review import AlreadyDecided, decide_card, list_queue
from tests.factories import log_in, make_campaign, make_card, make_recipient, make_user
from tests.factories import staff_csrf_token as token


@pytest.fixture
def moderator(app):
    user = make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    return user


@pytest.fixture
def mod_client(app, client, moderator):
    log_in(client, "mod@example.org")
    return client


def _decide(client, card_id: int, action: str, reason: str = "", **extra):
    headers = extra.pop("headers", {})
    data = {"action": action, "reason": reason, "csrf_token": token(client), **extra}
    return client.post(f"/moderate/{card_id}", data=data, headers=headers)


def test_the_queue_shows_submitted_cards_oldest_first_with_their_label(app, mod_client):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, n=3)
    first = make_card(db.session, campaign, message="First card, oldest.", recipient=recipient)
    make_card(db.session, campaign, message="Already approved.", status=CardStatus.APPROVED)
    second = make_card(db.session, campaign, message="Second card.")
    db.session.commit()
    page = mod_client.get("/moderate").get_data(as_text=True)
    assert page.index("First card, oldest.") < page.index("Second card.")
    assert "Already approved." not in page
    assert "Test mother 3" in page
    assert "any recipient" in page
    assert f'id="card-{first.id}"' in page and f'id="card-{second.id}"' in page
    assert "2 cards are waiting" in page
    # Moderators never see an address.
    assert "Nowhere Lane" not in page and "Testa Recipientova" not in page


def test_message_text_is_escaped_and_flagged_words_are_marked(app, mod_client):
    campaign = make_campaign(db.session)
    message = "<script>alert(1)</script> join the protest at example.com"
    card = make_card(db.session, campaign, message=message)
    start = message.index("protest")
    card.flags = [
        {
            "kind": "watch_word",
            "field": "message",
            "start": start,
            "end": start + 7,
            "detail": "protest",
        },
        {
            "kind": "link",
            "field": "message",
            "start": message.index("example.com"),
            "end": len(message),
            "detail": "",
        },
    ]
    db.session.commit()
    page = mod_client.get("/moderate").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<mark class="flag flag-watch_word" title="watch word">protest</mark>' in page
    assert '<mark class="flag flag-link" title="link">example.com</mark>' in page
    assert "watch word: protest" in page


def test_a_moderator_approves_a_card(app, mod_client, moderator):
    campaign = make_campaign(db.session)
    card = make_card(db.session, campaign)
    db.session.commit()
    response = _decide(mod_client, card.id, "approve")
    assert response.status_code == 302
    db.session.refresh(card)
    assert card.status == CardStatus.APPROVED
    assert card.decided_by_id == moderator.id
    assert "Warm wishes" not in mod_client.get("/moderate").get_data(as_text=True)


def test_a_rejection_keeps_its_reason_and_leaves_the_public_count(app, mod_client):
    campaign = make_campaign(db.session, cards_count=1)
    card = make_card(db.session, campaign)
    db.session.commit()
    response = _decide(mod_client, card.id, "reject", "other", note="Asks for a meeting")
    assert response.status_code == 302
    db.session.refresh(card)
    assert card.status == CardStatus.REJECTED
    assert card.rejection_reason == "other: Asks for a meeting"
    assert db.session.get(Campaign, campaign.id).cards_count == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "card_rejected")).one()
    assert event.detail == {"reason": "other", "note": True}
    assert "meeting" not in str(event.detail)


@pytest.mark.parametrize("reason", ["", "other", "no such reason"])
def test_a_rejection_without_a_usable_reason_changes_nothing(app, mod_client, reason):
    campaign = make_campaign(db.session)
    card = make_card(db.session, campaign)
    db.session.commit()
    response = _decide(mod_client, card.id, "reject", reason)
    assert response.status_code in (302, 400)
    db.session.refresh(card)
    assert card.status == CardStatus.SUBMITTED


def test_the_second_of_two_decisions_is_told_the_card_is_taken(app, mod_client):
    campaign = make_campaign(db.session)
    card = make_card(db.session, campaign)
    db.session.commit()
    first = _decide(mod_client, card.id, "approve", headers={"Accept": "application/json"})
    second = _decide(
        mod_client, card.id, "reject", "politics", headers={"Accept": "application/json"}
    )
    assert first.status_code == 200 and first.json["status"] == "approved"
    assert second.status_code == 409
    assert "already approved" in second.json["message"]
    db.session.refresh(card)
    assert card.status == CardStatus.APPROVED


def test_two_moderators_deciding_at_once_decide_the_card_once(app, moderator):
    other = make_user(db.session, Role.MODERATOR, email="mod2@example.org")
    campaign = make_campaign(db.session, cards_count=5)
    cards = [make_card(db.session, campaign, message=f"Card {n}") for n in range(5)]
    db.session.commit()
    clients = []
    for email in ("mod@example.org", "mod2@example.org"):
        c = app.test_client()
        log_in(c, email)
        clients.append(c)
    results: dict[tuple[int, int], int] = {}

    def race(index: int, card_id: int, action: str, barrier: threading.Barrier) -> None:
        c = clients[index]
        data = {"action": action, "reason": "politics", "csrf_token": token(c)}
        barrier.wait()
        with app.app_context():
            response = c.post(
                f"/moderate/{card_id}", data=data, headers={"Accept": "application/json"}
            )
        results[(index, card_id)] = response.status_code

    for card in cards:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=race, args=(0, card.id, "approve", barrier)),
            threading.Thread(target=race, args=(1, card.id, "reject", barrier)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        codes = sorted((results[(0, card.id)], results[(1, card.id)]))
        assert codes == [200, 409], codes
    db.session.expire_all()
    for card in cards:
        events = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.target == f"card:{card.id}")
        )
        assert events == 1
        decided = db.session.get(Card, card.id)
        assert decided.status in (CardStatus.APPROVED, CardStatus.REJECTED)
        assert decided.decided_by_id in (moderator.id, other.id)
    rejected = db.session.scalar(
        select(func.count(Card.id)).where(Card.status == CardStatus.REJECTED)
    )
    assert db.session.get(Campaign, campaign.id).cards_count == 5 - rejected


def test_deciding_an_already_decided_card_raises_in_the_service(app, moderator):
    campaign = make_campaign(db.session)
    card = make_card(db.session, campaign)
    db.session.commit()
    decide_card(db.session, card.id, moderator.id, approve=True)
    db.session.commit()
    with pytest.raises(AlreadyDecided):
        decide_card(db.session, card.id, moderator.id, approve=False, reason="politics")


def test_approving_the_page_approves_only_the_unflagged_cards(app, mod_client):
    campaign = make_campaign(db.session)
    plain = [make_card(db.session, campaign, message=f"Plain {n}") for n in range(3)]
    flagged = make_card(db.session, campaign, message="see example.com")
    flagged.flags = [{"kind": "link", "field": "message", "start": 4, "end": 15, "detail": ""}]
    db.session.commit()
    page = mod_client.get("/moderate").get_data(as_text=True)
    assert "Approve the 3 cards without flags on this page" in page
    ids = ",".join(str(c.id) for c in [*plain, flagged])
    response = mod_client.post(
        "/moderate/approve-unflagged",
        data={"card_ids": ids, "csrf_token": token(mod_client), "campaign": campaign.slug},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Card, c.id).status for c in plain] == [CardStatus.APPROVED] * 3
    assert db.session.get(Card, flagged.id).status == CardStatus.SUBMITTED


def test_the_queue_pages_by_id_without_skipping_or_repeating(app, moderator):
    campaign = make_campaign(db.session)
    cards = [make_card(db.session, campaign, message=f"Card {n}") for n in range(7)]
    db.session.commit()
    first = list_queue(db.session, [campaign.id], limit=3)
    # Decisions made while paging do not shift the next page (no OFFSET).
    decide_card(db.session, cards[0].id, moderator.id, approve=True)
    second = list_queue(db.session, [campaign.id], first.next_after or 0, limit=3)
    third = list_queue(db.session, [campaign.id], second.next_after or 0, limit=3)
    seen = [e.card.id for p in (first, second, third) for e in p.entries]
    assert seen == [c.id for c in cards]
    assert third.next_after is None


def test_the_next_page_link_follows_the_last_card(app, mod_client):
    campaign = make_campaign(db.session)
    cards = [make_card(db.session, campaign, message=f"Card number {n}") for n in range(25)]
    db.session.commit()
    page = mod_client.get("/moderate").get_data(as_text=True)
    assert "Card number 19" in page and "Card number 20" not in page
    assert f"after={cards[19].id}" in page
    page2 = mod_client.get(f"/moderate?after={cards[19].id}").get_data(as_text=True)
    assert "Card number 20" in page2 and "Card number 19" not in page2


def test_the_card_picture_is_the_printed_card(app, mod_client):
    campaign = make_campaign(db.session)
    card = make_card(db.session, campaign, design_slug="plain", message="Hello from the test.")
    db.session.commit()
    response = mod_client.get(f"/moderate/cards/{card.id}/picture.jpg")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data[:3] == b"\xff\xd8\xff"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unknown_design_or_card_gives_no_picture_and_no_error(app, mod_client):
    campaign = make_campaign(db.session)
    card = make_card(db.session, campaign, design_slug="no-such-design")
    db.session.commit()
    assert mod_client.get(f"/moderate/cards/{card.id}/picture.jpg").status_code == 404
    assert mod_client.get("/moderate/cards/999999/picture.jpg").status_code == 404
    assert mod_client.get("/moderate?after=notanumber").status_code == 200


def test_printers_and_addressers_cannot_moderate(app, client):
    make_user(db.session, Role.PRINTER, Role.ADDRESSER, email="vol@example.org")
    campaign = make_campaign(db.session)
    card = make_card(db.session, campaign)
    db.session.commit()
    log_in(client, "vol@example.org")
    assert client.get("/moderate").status_code == 403
    assert _decide(client, card.id, "approve").status_code == 403
    db.session.refresh(card)
    assert card.status == CardStatus.SUBMITTED
