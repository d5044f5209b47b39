"""Synthetic rows for tests: clearly fake people, places and messages."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from sqlalchemy.orm import Session

from cardsapp.crypto import AddressBox, PostalAddress
from cardsapp.models import Campaign, Card, CardStatus, Recipient, Role, User, utcnow
from cardsapp.services.recipients import add_recipient
from cardsapp.services.users import create_user

_serial = count(1)
STAFF_PASSWORD = "correct horse battery staple"


def make_campaign(session: Session, **overrides: object) -> Campaign:
    """An open campaign with texts in three languages."""
    now = utcnow()
    values: dict[str, object] = {
        "slug": f"campaign-{next(_serial)}",
        "title": {"en": "Test cards", "be": "Тэставыя паштоўкі", "ru": "Тестовые открытки"},
        "story": {"en": "A test story.", "be": "Тэставая гісторыя.", "ru": "Тестовая история."},
        "guidance": {"en": "Be kind.", "be": "Будзьце добрыя.", "ru": "Будьте добры."},
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=10),
        "post_by": (now + timedelta(days=12)).date(),
        "watch_words": ["protest"],
        "designs": [],
    }
    values.update(overrides)
    campaign = Campaign(**values)
    session.add(campaign)
    session.flush()
    return campaign


def fake_address(n: int) -> PostalAddress:
    """A synthetic address that can be searched for in outputs."""
    return PostalAddress(
        name=f"Testa Recipientova {n}",
        address_line1=f"{n} Nowhere Lane",
        address_line2="",
        city="Fictionville",
        postcode=f"FX{n:03d}",
        country="Nowhereland",
    )


def make_recipient(
    session: Session, box: AddressBox, campaign: Campaign, n: int | None = None
) -> Recipient:
    n = n or next(_serial)
    return add_recipient(session, box, campaign, f"Test mother {n}", fake_address(n))


def make_card(
    session: Session,
    campaign: Campaign,
    *,
    message: str = "Warm wishes from a test.",
    status: CardStatus = CardStatus.SUBMITTED,
    design_slug: str = "test-design",
    recipient: Recipient | None = None,
) -> Card:
    card = Card(
        campaign_id=campaign.id,
        design_slug=design_slug,
        message=message,
        status=status,
        recipient_id=recipient.id if recipient else None,
        recipient_chosen=recipient is not None,
    )
    session.add(card)
    session.flush()
    return card


def make_user(session: Session, *roles: Role, email: str | None = None) -> User:
    return create_user(
        session, email or f"staff{next(_serial)}@example.org", STAFF_PASSWORD, set(roles)
    )
