"""Campaigns of their own: drafts stay with staff, and one campaign never moves another."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import Campaign, CampaignStatus, Card, CardStatus, Recipient, Role, utcnow
from cardsapp.services.campaigns import default_campaign, donor_campaigns
from cardsapp.services.keyholders import unlocked_campaign_key
from tests.factories import (
    STAFF_PASSWORD,
    csrf_token,
    fake_address,
    log_in,
    make_campaign,
    make_card,
    make_keyholder,
    make_recipient,
    make_user,
)
from tests.factories import staff_csrf_token as token

DRAFT_TITLE = "Secret draft title"


def _draft(**overrides: object) -> Campaign:
    values: dict[str, object] = {
        "slug": "draft-one",
        "title": {"en": DRAFT_TITLE},
        "status": CampaignStatus.DRAFT,
    }
    values.update(overrides)
    return make_campaign(db.session, **values)


PUBLIC_DRAFT_ROUTES = [
    ("get", "/c/draft-one"),
    ("get", "/c/draft-one/write"),
    ("post", "/c/draft-one/write"),
    ("post", "/c/draft-one/preview"),
    ("get", "/c/draft-one/preview.jpg"),
    ("get", "/c/draft-one/counter.svg"),
    ("get", "/api/counter?campaign=draft-one"),
]


@pytest.mark.parametrize(("method", "path"), PUBLIC_DRAFT_ROUTES)
def test_a_draft_is_not_found_on_any_public_route_named_for_it(app, client, method, path):
    _draft()
    make_campaign(db.session, slug="open-one")
    db.session.commit()
    token = csrf_token(client.get("/c/open-one/write").get_data(as_text=True))
    data = {"message": "hello", "design": "x", "csrf_token": token}
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 404
    assert DRAFT_TITLE not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/write", "/counter.svg", "/api/counter"])
def test_a_draft_never_becomes_the_campaign_of_the_bare_routes(app, client, path):
    _draft(opens_at=utcnow() - timedelta(days=2))
    db.session.commit()
    body = client.get(path).get_data(as_text=True)
    assert DRAFT_TITLE not in body
    if path == "/api/counter":
        assert json.loads(body)["cards"] == 0


def test_staff_can_look_at_a_draft_but_cannot_send_a_card_to_it(app, client):
    _draft()
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    assert DRAFT_TITLE in client.get("/c/draft-one").get_data(as_text=True)
    write = client.get("/c/draft-one/write")
    assert write.status_code == 200
    assert "/c/draft-one/write" in write.get_data(as_text=True)


def test_each_campaign_has_its_own_pages_counter_and_badge(app, client):
    first = make_campaign(db.session, slug="alpha", title={"en": "Alpha cards"})
    second = make_campaign(db.session, slug="beta", title={"en": "Beta cards"})
    first.cards_count, second.cards_count = 3, 7
    db.session.commit()
    assert "Alpha cards" in client.get("/c/alpha").get_data(as_text=True)
    beta_write = client.get("/c/beta/write").get_data(as_text=True)
    assert "Beta cards" in beta_write and 'action="/c/beta/write#write-form"' in beta_write
    assert client.get("/api/counter?campaign=alpha").get_json()["cards"] == 3
    assert client.get("/api/counter?campaign=beta").get_json()["cards"] == 7
    assert "7 cards" in client.get("/c/beta/counter.svg").get_data(as_text=True)
    assert client.get("/c/nobody").status_code == 404
    assert client.get("/api/counter?campaign=nobody").status_code == 404


def test_the_landing_page_lists_the_campaigns_when_several_are_open(app, client):
    make_campaign(db.session, slug="alpha", title={"en": "Alpha cards"})
    make_campaign(db.session, slug="beta", title={"en": "Beta cards"})
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "/c/alpha/write" in page and "/c/beta/write" in page


def _what_alpha_donors_see(client) -> dict[str, object]:
    counter = client.get("/api/counter").get_json()
    return {
        "counter": (counter["participants"], counter["cards"]),
        "alpha_counter": client.get("/api/counter?campaign=alpha").get_json()["cards"],
        "badge": client.get("/counter.svg").get_data(),
        "alpha_badge": client.get("/c/alpha/counter.svg").get_data(),
        "write": client.get("/write").get_data(as_text=True).count("Alpha cards"),
        "alpha_page": "Alpha cards" in client.get("/c/alpha").get_data(as_text=True),
        "write_action": 'action="/write#write-form"' in client.get("/write").get_data(as_text=True),
    }


def test_creating_and_publishing_another_campaign_never_changes_what_alpha_shows(
    app, client, runner
):
    alpha = make_campaign(
        db.session, slug="alpha", title={"en": "Alpha cards"}, opens_at=utcnow() - timedelta(5)
    )
    alpha.cards_count, alpha.participants_count = 8, 6
    make_keyholder(db.session, alpha, Role.ADMIN, email="admin@example.org")
    for _ in range(3):
        make_card(db.session, alpha)
    db.session.commit()
    staff = app.test_client()
    log_in(staff, "admin@example.org")
    before = _what_alpha_donors_see(client)
    queue_before = staff.get("/moderate?campaign=alpha").get_data(as_text=True).count("queue-card")
    batches_before = "Alpha cards" in staff.get("/batches?campaign=alpha").get_data(as_text=True)

    steps = [
        ["create-campaign", "beta", "--title", "Beta cards"],
        ["campaign", "beta", "publish"],
        ["campaign", "beta", "open"],
        # Copying re-seals the addresses: a keyholder's password opens alpha's key.
        [
            *("create-campaign", "gamma", "--title", "Gamma", "--copy-from", "alpha"),
            *("--publish", "--as", "admin@example.org"),
        ],
    ]
    for step in steps:
        result = runner.invoke(args=step, input=STAFF_PASSWORD + "\n")
        assert result.exit_code == 0, result.output
        assert _what_alpha_donors_see(client) == before, step
        queue = staff.get("/moderate?campaign=alpha").get_data(as_text=True)
        assert queue.count("queue-card") == queue_before, step
        assert ("Alpha cards" in staff.get("/batches?campaign=alpha").get_data(as_text=True)) == (
            batches_before
        )
    # Both open now: the bare routes stay with the campaign that opened first.
    assert default_campaign(donor_campaigns(db.session)).slug == "alpha"


def test_create_campaign_makes_a_draft_in_minsk_time_unless_told_otherwise(app, runner):
    result = runner.invoke(
        args=["create-campaign", "birthday", "--title", "Birthday", "--opens", "2026-10-01T09:00"]
    )
    assert result.exit_code == 0, result.output
    campaign = db.session.scalars(select(Campaign).where(Campaign.slug == "birthday")).one()
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.timezone == "Europe/Minsk"
    assert campaign.opens_at.hour == 6  # 09:00 in Minsk is 06:00 UTC
    assert campaign.closes_at - campaign.opens_at == timedelta(days=30)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["create-campaign", "Bad Slug", "--title", "X"], "slug"),
        (["create-campaign", "ok", "--title", "X", "--timezone", "Mars/Base"], "time zone"),
        (["create-campaign", "ok", "--title", "X", "--copy-from", "nope"], "copy"),
        (
            [
                "create-campaign",
                "ok",
                "--title",
                "X",
                "--opens",
                "2026-10-02",
                "--closes",
                "2026-10-01",
            ],
            "close after",
        ),
        (["campaign", "nope", "publish"], "No campaign"),
    ],
)
def test_campaign_commands_refuse_mistakes_in_one_clear_line(app, runner, args, says):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert says in result.output


def test_a_campaign_moves_only_as_its_table_allows(app, runner):
    assert runner.invoke(args=["create-campaign", "one", "--title", "One"]).exit_code == 0
    closed = runner.invoke(args=["campaign", "one", "close"])
    assert closed.exit_code != 0 and "cannot close" in closed.output
    for action, status in [("publish", "published"), ("close", "closed"), ("archive", "archived")]:
        result = runner.invoke(args=["campaign", "one", action])
        assert result.exit_code == 0, result.output
        assert status in result.output
    assert runner.invoke(args=["campaign", "one", "publish"]).exit_code != 0


def test_copy_from_copies_texts_caps_and_recipients_sealed_anew(app, runner):
    source = make_campaign(db.session, slug="old", cap_per_batch=3, cap_per_campaign=9)
    kept = make_recipient(db.session, source, n=41)
    paused = make_recipient(db.session, source, n=42)
    paused.paused = True
    holder = make_keyholder(db.session, source)
    db.session.commit()
    args = ["create-campaign", "new", "--title", "New", "--copy-from", "old"]
    # Copying re-seals the addresses: the old campaign's key, opened by a keyholder's password.
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0
    result = runner.invoke(args=[*args, "--as", holder.email], input=STAFF_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Recovery code for campaign new" in result.output
    new = db.session.scalars(select(Campaign).where(Campaign.slug == "new")).one()
    assert new.story == source.story and new.guidance == source.guidance
    assert new.watch_words == source.watch_words
    assert (new.cap_per_batch, new.cap_per_campaign) == (3, 9)
    copied = db.session.scalars(select(Recipient).where(Recipient.campaign_id == new.id)).all()
    assert [r.public_label for r in copied] == [kept.public_label]
    assert copied[0].address_token != kept.address_token
    with unlocked_campaign_key(db.session, new.id, holder, STAFF_PASSWORD) as key:
        assert key.open(copied[0].address_token) == fake_address(41)
    assert copied[0].public_id != kept.public_id


def test_the_queue_shows_only_open_campaigns_and_a_closed_one_is_finished_by_name(app, client):
    now = utcnow()
    open_one = make_campaign(db.session, slug="open", title={"en": "Open cards"})
    closed = make_campaign(
        db.session, slug="closed", title={"en": "Closed cards"}, status=CampaignStatus.CLOSED
    )
    ended = make_campaign(
        db.session, slug="ended", title={"en": "Ended cards"}, closes_at=now - timedelta(hours=1)
    )
    draft = make_campaign(
        db.session, slug="draft", title={"en": "Draft cards"}, status=CampaignStatus.DRAFT
    )
    later = make_campaign(
        db.session, slug="later", title={"en": "Later cards"}, opens_at=now + timedelta(days=2)
    )
    make_card(db.session, open_one, message="From the open one.")
    for campaign in (closed, ended, draft, later):
        make_card(db.session, campaign, message=f"Left in {campaign.slug}.")
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")

    everything = client.get("/moderate").get_data(as_text=True)
    assert "From the open one." in everything
    assert "Left in" not in everything
    assert "1 card is waiting" in everything
    # The others are named, with their counts, as queues to finish by picking them.
    assert "Closed cards (1)" in everything and "Ended cards (1)" in everything
    assert 'href="/moderate?campaign=closed"' in everything

    picked = client.get("/moderate?campaign=closed").get_data(as_text=True)
    assert "Left in closed." in picked and "From the open one." not in picked
    assert 'id="not-open"' in picked
    card = db.session.scalars(select(Card).where(Card.campaign_id == closed.id)).one()
    data = {"action": "approve", "csrf_token": token(client), "campaign": "closed"}
    response = client.post(f"/moderate/{card.id}", data=data)
    assert response.status_code == 302 and "campaign=closed" in response.location
    db.session.refresh(card)
    assert card.status == CardStatus.APPROVED
    assert 'id="not-open"' not in client.get("/moderate?campaign=open").get_data(as_text=True)


def test_the_queue_says_when_no_campaign_is_open(app, client):
    make_campaign(db.session, slug="draft", status=CampaignStatus.DRAFT)
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    page = client.get("/moderate").get_data(as_text=True)
    assert "No campaign is open for writing now." in page


def test_commands_without_campaign_ask_which_when_several_run(app, runner, tmp_path):
    make_campaign(db.session, slug="alpha")
    make_campaign(db.session, slug="beta")
    db.session.commit()
    result = runner.invoke(args=["build-batch"])
    assert result.exit_code != 0 and "--campaign" in result.output


def test_the_queue_shows_every_campaigns_cards_with_a_count_for_each(app, client):
    alpha = make_campaign(db.session, slug="alpha", title={"en": "Alpha cards"})
    beta = make_campaign(db.session, slug="beta", title={"en": "Beta cards"})
    make_card(db.session, alpha, message="From alpha, kindly.")
    make_card(db.session, beta, message="From beta, warmly.")
    make_card(db.session, beta, message="From beta, again.")
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    everything = client.get("/moderate").get_data(as_text=True)
    assert "From alpha" in everything and "From beta" in everything
    assert "Alpha cards (1)" in everything and "Beta cards (2)" in everything
    only_beta = client.get("/moderate?campaign=beta").get_data(as_text=True)
    assert (
        "From alpha" not in only_beta
        and only_beta.count('queue-card"') + only_beta.count("queue-card flagged") >= 2
    )
    assert db.session.scalar(select(Card.id).where(Card.campaign_id == beta.id)) is not None
