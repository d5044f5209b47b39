"""Demo data for a laptop: a campaign, synthetic recipients, staff and a few cards."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from cardsapp.crypto import PostalAddress
from cardsapp.crypto.wrapping import DEFAULT_COST, KdfCost
from cardsapp.models import (
    AuditEvent,
    Batch,
    Campaign,
    CampaignKey,
    CampaignStatus,
    Card,
    CardClaim,
    CardStatus,
    Envelope,
    KeySlot,
    Participant,
    PersonalKey,
    Recipient,
    Role,
    User,
    utcnow,
)
from cardsapp.services.counter import recount
from cardsapp.services.keyholders import ensure_personal_key, set_up_campaign_key
from cardsapp.services.recipients import add_recipient
from cardsapp.services.users import create_user


class DemoRefused(RuntimeError):
    """The database already holds data; the demo never mixes into it."""


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    password: str


TITLE = {
    "en": "Cards for mothers",
    "be": "Паштоўкі для мам",
    "ru": "Открытки для мам",
}
STORY = {
    "en": (
        "Their children are far from home. A card in the post tells a mother that she is "
        "not alone and that people remember.\n\nWrite a few warm words: we print your card "
        "and post it in time for Mother's Day (14 October in Belarus)."
    ),
    "be": (
        "Іх дзеці далёка ад дому. Паштоўка ў паштовай скрыні скажа маці, што яна не адна "
        "і што людзі памятаюць.\n\nНапішыце некалькі цёплых слоў: мы надрукуем вашу "
        "паштоўку і адправім яе да Дня маці (14 кастрычніка)."
    ),
    "ru": (
        "Их дети далеко от дома. Открытка в почтовом ящике скажет маме, что она не одна "
        "и что люди помнят.\n\nНапишите несколько тёплых слов: мы напечатаем вашу открытку "
        "и отправим её ко Дню матери (в Беларуси — 14 октября)."
    ),
}
GUIDANCE = {
    "en": (
        "Write warmly and simply: wishes for health, warmth, strength. Avoid politics, "
        "names of organisations, slogans and symbols: a card with them may never be delivered."
    ),
    "be": (
        "Пішыце цёпла і проста: пажаданні здароўя, цяпла, сілы. Пазбягайце палітыкі, назваў "
        "арганізацый, лозунгаў і сімвалаў: такая паштоўка можа не дайсці."
    ),
    "ru": (
        "Пишите тепло и просто: пожелания здоровья, тепла, сил. Избегайте политики, названий "
        "организаций, лозунгов и символов: такая открытка может не дойти."
    ),
}
WATCH_WORDS = ["свабода", "свобода", "freedom", "рэжым", "режим", "regime", "протест", "protest"]
MESSAGES = [
    (
        "be",
        "Дарагая мама! Шчыра віншую з Днём маці. Няхай гэтая восень прынясе цяпло і надзею.",
        "Алеся",
    ),
    (
        "ru",
        "Дорогая мама! Поздравляю вас с Днём матери. Пусть эта осень принесёт тепло и силы.",
        "Ира",
    ),
    ("en", "Dear mum, thinking of you on Mother's Day. You are not alone; many of us care.", "Sam"),
    ("be", "Добры дзень! Жадаю вам здароўя, спакою і сонечных дзён. Мы памятаем пра вас.", ""),
    ("ru", "Здравствуйте! Желаю вам здоровья, терпения и добрых новостей. Обнимаю.", "Оля"),
]


def _demo_recipient(n: int) -> tuple[str, PostalAddress]:
    """Clearly fake people and places, numbered."""
    if n % 2:
        return (
            f"Мама з Прыкладнага раёна №{n}",
            PostalAddress(
                name=f"Прыкладная Адрасатка {n}",
                address_line1=f"вул. Узорная, {n}",
                address_line2="",
                city="Прыкладск",
                postcode=f"{200000 + n}",
                country="Узорная краіна",
            ),
        )
    return (
        f"A mother in Example district no. {n}",
        PostalAddress(
            name=f"Demo Recipient {n:02d}",
            address_line1=f"{n} Example Street",
            address_line2=f"Flat {n * 3}",
            city="Sampleton",
            postcode=f"SX{n:02d} 0AA",
            country="Testland",
        ),
    )


def fill_demo(
    session: Session, design_slugs: list[str], cost: KdfCost = DEFAULT_COST
) -> list[DemoLogin]:
    """Fill an empty database; return the staff logins. The caller commits."""
    if session.scalar(select(func.count(Campaign.id))):
        raise DemoRefused("the database already holds a campaign; demo only fills an empty one")
    now = utcnow()
    campaign = Campaign(
        slug="mothers-day",
        title=TITLE,
        story=STORY,
        guidance=GUIDANCE,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        post_by=(now + timedelta(days=35)).date(),
        max_message_length=600,
        watch_words=WATCH_WORDS,
        designs=design_slugs,
        status=CampaignStatus.PUBLISHED,
        demo=True,
    )
    session.add(campaign)
    session.flush()
    logins, holders = [], []
    for role in Role:
        password = secrets.token_urlsafe(12)
        user = create_user(session, f"{role.value}@example.org", password, {role})
        user.demo = True
        logins.append(DemoLogin(f"{role.value}@example.org", role, password))
        if ensure_personal_key(session, user, password, cost) is not None:
            holders.append(user)
    # The demo's admin and addresser hold its key; its recovery code is not kept (demo data).
    set_up_campaign_key(session, campaign, holders, None, cost)
    for n in range(1, 13):
        label, address = _demo_recipient(n)
        add_recipient(session, campaign, label, address)
    for i, (language, message, signature) in enumerate(MESSAGES):
        session.add(
            Card(
                campaign_id=campaign.id,
                design_slug=design_slugs[i % len(design_slugs)] if design_slugs else "plain",
                message=message,
                signature=signature or None,
                language=language,
                status=CardStatus.SUBMITTED,
            )
        )
        # Demo donors: random tokens, as a real browser's would be, kept only as hashes.
        session.add(Participant(campaign_id=campaign.id, token_hash=secrets.token_hex(32)))
    session.flush()
    recount(session, campaign.id)
    return logins


@dataclass(frozen=True)
class DemoRemoved:
    campaigns: int
    users: int


def remove_demo(session: Session, data_dir: Path | None = None) -> DemoRemoved:
    """Delete every demo campaign with all it holds, and the demo staff; the caller commits.

    Real rows are left exactly as they were, except that a real row pointing at a demo
    account (a card a demo moderator decided) forgets who it was.
    """
    campaign_ids = list(session.scalars(select(Campaign.id).where(Campaign.demo.is_(True))))
    user_ids = list(session.scalars(select(User.id).where(User.demo.is_(True))))
    batches = list(
        session.execute(select(Batch.id, Batch.code).where(Batch.campaign_id.in_(campaign_ids)))
    )
    batch_ids = [b.id for b in batches]
    card_ids = select(Card.id).where(Card.campaign_id.in_(campaign_ids))
    targets = [f"campaign:{i}" for i in campaign_ids] + [f"batch:{b.code}" for b in batches]
    targets += [f"user:{i}" for i in user_ids]
    session.execute(
        delete(CardClaim).where(
            or_(CardClaim.batch_id.in_(batch_ids), CardClaim.card_id.in_(card_ids))
        )
    )
    session.execute(delete(Card).where(Card.campaign_id.in_(campaign_ids)))
    session.execute(delete(Envelope).where(Envelope.batch_id.in_(batch_ids)))
    session.execute(delete(Batch).where(Batch.id.in_(batch_ids)))
    session.execute(delete(Participant).where(Participant.campaign_id.in_(campaign_ids)))
    session.execute(delete(Recipient).where(Recipient.campaign_id.in_(campaign_ids)))
    session.execute(
        delete(KeySlot).where(
            or_(KeySlot.campaign_id.in_(campaign_ids), KeySlot.user_id.in_(user_ids))
        )
    )
    session.execute(delete(CampaignKey).where(CampaignKey.campaign_id.in_(campaign_ids)))
    session.execute(delete(PersonalKey).where(PersonalKey.user_id.in_(user_ids)))
    session.execute(
        delete(AuditEvent).where(
            or_(AuditEvent.target.in_(targets), AuditEvent.actor_id.in_(user_ids))
        )
    )
    session.execute(update(Card).where(Card.decided_by_id.in_(user_ids)).values(decided_by_id=None))
    session.execute(
        update(Batch).where(Batch.created_by_id.in_(user_ids)).values(created_by_id=None)
    )
    session.execute(delete(User).where(User.id.in_(user_ids)))
    session.execute(delete(Campaign).where(Campaign.id.in_(campaign_ids)))
    if data_dir is not None:
        for batch in batches:
            shutil.rmtree(Path(data_dir) / batch.code, ignore_errors=True)
    return DemoRemoved(len(campaign_ids), len(user_ids))


def has_demo(session: Session) -> bool:
    """Whether any demo campaign or demo account is left."""
    return (
        session.scalar(select(Campaign.id).where(Campaign.demo.is_(True)).limit(1)) is not None
        or session.scalar(select(User.id).where(User.demo.is_(True)).limit(1)) is not None
    )
