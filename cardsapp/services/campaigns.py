"""Which campaign is running, and whether it is open for writing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cardsapp.domain.languages import LANGUAGES
from cardsapp.models import Campaign, utcnow


class CampaignPhase(enum.StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"


def current_campaign(session: Session, now: datetime | None = None) -> Campaign | None:
    """The campaign donors see: the open one, else the next to open, else the last."""
    now = now or utcnow()
    open_now = session.scalars(
        select(Campaign)
        .where(Campaign.opens_at <= now, Campaign.closes_at > now)
        .order_by(Campaign.closes_at)
        .limit(1)
    ).first()
    if open_now:
        return open_now
    upcoming = session.scalars(
        select(Campaign).where(Campaign.opens_at > now).order_by(Campaign.opens_at).limit(1)
    ).first()
    if upcoming:
        return upcoming
    return session.scalars(select(Campaign).order_by(Campaign.closes_at.desc()).limit(1)).first()


def campaign_phase(campaign: Campaign, now: datetime | None = None) -> CampaignPhase:
    """Not yet open, open, or closed."""
    now = now or utcnow()
    if now < campaign.opens_at:
        return CampaignPhase.NOT_YET_OPEN
    if now >= campaign.closes_at:
        return CampaignPhase.CLOSED
    return CampaignPhase.OPEN


# --- admin settings -----------------------------------------------------------------------------

MIN_MESSAGE_LENGTH = 50
MAX_MESSAGE_LENGTH = 2000
MAX_WATCH_WORDS = 300


class SettingsError(ValueError):
    """Campaign settings that cannot be saved; `field` names the form field at fault."""

    def __init__(self, field: str, code: str) -> None:
        self.field = field
        self.code = code
        super().__init__(f"{field}: {code}")


@dataclass(frozen=True)
class CampaignSettings:
    """Everything an admin edits on the campaign page."""

    title: dict[str, str]
    story: dict[str, str]
    guidance: dict[str, str]
    opens_at: datetime
    closes_at: datetime
    post_by: date | None
    max_message_length: int
    watch_words: list[str]
    designs: list[str]
    cap_per_batch: int
    cap_per_campaign: int


def parse_watch_words(text: str) -> list[str]:
    """One word or phrase per line (or comma-separated), trimmed, each kept once."""
    words: dict[str, str] = {}
    for part in text.replace(",", "\n").splitlines():
        word = " ".join(part.split())
        if word:
            words.setdefault(word.casefold(), word)
    return list(words.values())


def update_campaign(
    session: Session, campaign: Campaign, settings: CampaignSettings, available_designs: list[str]
) -> list[str]:
    """Check and save the settings; return the names of what changed. The caller commits."""
    if not settings.title.get("en", "").strip():
        raise SettingsError("title_en", "missing")
    if settings.closes_at <= settings.opens_at:
        raise SettingsError("closes_at", "before_opening")
    if settings.post_by is not None and settings.post_by < settings.opens_at.date():
        raise SettingsError("post_by", "before_opening")
    if not MIN_MESSAGE_LENGTH <= settings.max_message_length <= MAX_MESSAGE_LENGTH:
        raise SettingsError("max_message_length", "out_of_range")
    if len(settings.watch_words) > MAX_WATCH_WORDS or any(
        len(w) > 60 for w in settings.watch_words
    ):
        raise SettingsError("watch_words", "too_many")
    unknown = [d for d in settings.designs if d not in available_designs]
    if unknown or not settings.designs:
        raise SettingsError("designs", "unknown" if unknown else "missing")
    if not (0 < settings.cap_per_batch <= settings.cap_per_campaign <= 10_000):
        raise SettingsError("cap_per_batch", "out_of_range")
    values = {
        "title": {lang: settings.title.get(lang, "").strip() for lang in LANGUAGES},
        "story": {lang: settings.story.get(lang, "").strip() for lang in LANGUAGES},
        "guidance": {lang: settings.guidance.get(lang, "").strip() for lang in LANGUAGES},
        "opens_at": settings.opens_at,
        "closes_at": settings.closes_at,
        "post_by": settings.post_by,
        "max_message_length": settings.max_message_length,
        "watch_words": settings.watch_words,
        "designs": settings.designs,
        "cap_per_batch": settings.cap_per_batch,
        "cap_per_campaign": settings.cap_per_campaign,
    }
    changed = [name for name, value in values.items() if getattr(campaign, name) != value]
    for name in changed:
        setattr(campaign, name, values[name])
    return changed
