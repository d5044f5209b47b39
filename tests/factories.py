"""Synthetic rows for tests: clearly fake people, places and messages."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from sqlalchemy.orm import Session

from cardsapp.crypto import PostalAddress
from cardsapp.crypto.wrapping import TEST_COST
from cardsapp.models import (
    Campaign,
    CampaignKey,
    CampaignStatus,
    Card,
    CardStatus,
    Recipient,
    Role,
    User,
    utcnow,
)
from cardsapp.services.keyholders import (
    ensure_personal_key,
    grant_keyholder,
    set_up_campaign_key,
    unlocked_by_recovery,
)
from cardsapp.services.recipients import add_recipient
from cardsapp.services.users import create_user

_serial = count(1)
STAFF_PASSWORD = "correct horse battery staple"


def make_campaign(session: Session, *, keyed: bool = True, **overrides: object) -> Campaign:
    """An open campaign with texts in three languages (and its address key, unless keyed=False)."""
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
        "status": CampaignStatus.PUBLISHED,
    }
    values.update(overrides)
    campaign = Campaign(**values)
    session.add(campaign)
    session.flush()
    if keyed:
        ensure_campaign_key(session, campaign)
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


# Each test campaign's recovery code, so tests can make keyholders without another one.
RECOVERY_CODES: dict[int, str] = {}


def ensure_campaign_key(session: Session, campaign: Campaign) -> None:
    """Give a test campaign its key pair (held by nobody yet; the recovery code kept here)."""
    if session.get(CampaignKey, campaign.id) is None:
        RECOVERY_CODES[campaign.id] = set_up_campaign_key(session, campaign, [], None, TEST_COST)


def make_recipient(session: Session, campaign: Campaign, n: int | None = None) -> Recipient:
    """A recipient with a synthetic address, sealed to the campaign's key."""
    n = n or next(_serial)
    ensure_campaign_key(session, campaign)
    return add_recipient(session, campaign, f"Test mother {n}", fake_address(n))


def make_keyholder(
    session: Session, campaign: Campaign, *roles: Role, email: str | None = None
) -> User:
    """An addresser (or the roles given) holding the campaign's key under STAFF_PASSWORD."""
    user = make_user(session, *(roles or (Role.ADDRESSER,)), email=email)
    give_key(session, campaign, user)
    return user


def give_key(session: Session, campaign: Campaign, user: User) -> None:
    """Grant an existing account the campaign's key (its password is STAFF_PASSWORD)."""
    ensure_campaign_key(session, campaign)
    ensure_personal_key(session, user, STAFF_PASSWORD, TEST_COST)
    with unlocked_by_recovery(session, campaign.id, RECOVERY_CODES[campaign.id]) as key:
        grant_keyholder(session, key, user, user)


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


def compile_catalogues() -> None:
    """Compile the be/ru catalogues (as `make translations` does) so tests see translations."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "cardsapp" / "translations"
    for po_path in root.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        temporary = mo_path.with_suffix(".mo.tmp")
        with temporary.open("wb") as handle:
            write_mo(handle, catalog)
        temporary.replace(mo_path)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def staff_csrf_token(client: object) -> str:
    """A valid CSRF token for the test client's current session (as Flask-WTF makes them)."""
    import secrets as _secrets

    from itsdangerous import URLSafeTimedSerializer

    with client.session_transaction() as sess:  # type: ignore[attr-defined]
        raw = sess.get("csrf_token") or _secrets.token_hex(20)
        sess["csrf_token"] = raw
    secret = client.application.secret_key  # type: ignore[attr-defined]
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def log_in(client: object, email: str, password: str = STAFF_PASSWORD) -> object:
    """Log a staff account in through the real login form; returns the response."""
    token = staff_csrf_token(client)
    return client.post(  # type: ignore[attr-defined]
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )


def logged_in_admin(session: Session, client: object, email: str = "admin@example.org") -> User:
    """An admin account, logged in on the test client."""
    user = make_user(session, Role.ADMIN, email=email)
    session.commit()
    log_in(client, email)
    return user


def approved_message(n: int) -> str:
    """A synthetic approved message that can be searched for in a PDF."""
    return f"Warm wishes number {n:05d} from a test donor."


def make_approved_cards(
    session: Session,
    campaign: Campaign,
    count: int,
    *,
    designs: tuple[str, ...] = ("tulips", "birds", "meadow"),
    recipient: Recipient | None = None,
    start: int = 1,
) -> None:
    """Insert `count` approved cards quickly (one statement), oldest first."""
    from sqlalchemy import insert

    if count <= 0:
        return
    now = utcnow()
    rows = [
        {
            "reference": f"T{campaign.id:03d}{n:08d}"[:16],
            "campaign_id": campaign.id,
            "design_slug": designs[n % len(designs)],
            "message": approved_message(n),
            "signature": f"Donor {n}",
            "recipient_id": recipient.id if recipient else None,
            "recipient_chosen": recipient is not None,
            "status": CardStatus.APPROVED,
            "flags": [],
            "submitted_at": now,
            "decided_at": now,
        }
        for n in range(start, start + count)
    ]
    session.execute(insert(Card), rows)


def read_address(session: Session, campaign_id: int, token: bytes) -> PostalAddress:
    """Open a stored address as a test sees it: with the campaign's recovery code."""
    with unlocked_by_recovery(session, campaign_id, RECOVERY_CODES[campaign_id]) as key:
        return key.open(bytes(token))


class RecoveryOpener:
    """Opens any test campaign's address with that campaign's recovery code (tests only)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def open(self, token: bytes) -> PostalAddress:
        """The address, whichever test campaign's key it is sealed to."""
        from cardsapp.crypto import AddressKeyError

        for campaign_id in list(RECOVERY_CODES):
            try:
                return read_address(self.session, campaign_id, token)
            except AddressKeyError:
                continue
        raise AddressKeyError("no test campaign's key opens this address")
