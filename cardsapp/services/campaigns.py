"""Which campaign a page or command is about, and whether it is open for writing.

One function per need, each written once: donors' bare routes (`default_campaign`), the
list on / (`open_campaigns`), a named campaign (`campaign_by_slug`), staff pages
(`staff_campaign_choice`) and commands (`sole_active_campaign`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cardsapp.domain.languages import LANGUAGES
from cardsapp.models import Campaign, CampaignStatus, PrintFormat, utcnow


class CampaignPhase(enum.StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"


# Donors may see these; a draft is for staff only, wherever it is asked for.
DONOR_VISIBLE = (CampaignStatus.PUBLISHED, CampaignStatus.CLOSED, CampaignStatus.ARCHIVED)
# Staff pick among these: archived campaigns are history, not work.
ACTIVE = (CampaignStatus.DRAFT, CampaignStatus.PUBLISHED, CampaignStatus.CLOSED)


def campaign_phase(campaign: Campaign, now: datetime | None = None) -> CampaignPhase:
    """Not yet open, open, or closed: the status first, then the dates."""
    if campaign.status == CampaignStatus.DRAFT:
        return CampaignPhase.NOT_YET_OPEN
    if campaign.status != CampaignStatus.PUBLISHED:
        return CampaignPhase.CLOSED
    now = now or utcnow()
    if now < campaign.opens_at:
        return CampaignPhase.NOT_YET_OPEN
    if now >= campaign.closes_at:
        return CampaignPhase.CLOSED
    return CampaignPhase.OPEN


def donor_campaigns(session: Session) -> list[Campaign]:
    """Every campaign a donor may see, oldest opening first (drafts never)."""
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.status.in_(DONOR_VISIBLE))
            .order_by(Campaign.opens_at, Campaign.id)
        )
    )


def default_campaign(campaigns: Sequence[Campaign], now: datetime | None = None) -> Campaign | None:
    """The campaign behind the bare donor routes (/write, /api/counter, /counter.svg).

    Of the open ones, the one that opened first, so that opening another campaign never
    moves an embedded badge or a shared /write link; else the next to open; else the one
    that closed last. Never a draft nor an archived campaign. `campaigns` as
    `donor_campaigns` gives them.
    """
    now = now or utcnow()
    shown = [c for c in campaigns if c.status != CampaignStatus.ARCHIVED]
    open_now = [c for c in shown if campaign_phase(c, now) is CampaignPhase.OPEN]
    if open_now:
        return min(open_now, key=lambda c: (c.opens_at, c.id))
    upcoming = [c for c in shown if campaign_phase(c, now) is CampaignPhase.NOT_YET_OPEN]
    if upcoming:
        return min(upcoming, key=lambda c: (c.opens_at, c.id))
    if shown:
        return max(shown, key=lambda c: (c.closes_at, c.id))
    return None


def open_campaigns(campaigns: Sequence[Campaign], now: datetime | None = None) -> list[Campaign]:
    """The campaigns open for writing now, in the order they opened."""
    return [c for c in campaigns if campaign_phase(c, now) is CampaignPhase.OPEN]


def campaign_by_slug(session: Session, slug: str, *, staff: bool = False) -> Campaign | None:
    """The campaign with this slug; a draft only when `staff` asks."""
    if not slug or len(slug) > 64:
        return None
    campaign = session.scalars(select(Campaign).where(Campaign.slug == slug)).first()
    if campaign is None or (campaign.status == CampaignStatus.DRAFT and not staff):
        return None
    return campaign


def staff_campaigns(session: Session) -> list[Campaign]:
    """What staff pick from: open ones first, then the rest, newest first; no archived."""
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.status.in_(ACTIVE))
            .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
        )
    )
    now = utcnow()
    return sorted(campaigns, key=lambda c: campaign_phase(c, now) is not CampaignPhase.OPEN)


def staff_campaign_choice(session: Session, slug: str | None) -> Campaign | None:
    """The campaign a staff page shows: the one named, else the first `staff_campaigns` gives.

    The page names the campaign it shows and offers the others, so the choice is the
    reader's, never a guess that another campaign's creation could change silently.
    """
    if slug:
        named = campaign_by_slug(session, slug, staff=True)
        if named is not None:
            return named
    campaigns = staff_campaigns(session)
    return campaigns[0] if campaigns else None


def all_campaigns(session: Session) -> list[Campaign]:
    """Every campaign, newest opening first (the admin overview and the CLI list)."""
    return list(session.scalars(select(Campaign).order_by(Campaign.opens_at.desc(), Campaign.id)))


def campaigns_by_id(session: Session, ids: set[int]) -> dict[int, Campaign]:
    """The campaigns with these ids, to name each row's campaign on a staff page."""
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(ids)))}


def sole_active_campaign(session: Session) -> Campaign | None:
    """For commands without --campaign: the one campaign not archived, if only one is."""
    campaigns = list(session.scalars(select(Campaign).where(Campaign.status.in_(ACTIVE)).limit(2)))
    return campaigns[0] if len(campaigns) == 1 else None


def missing_texts(campaign: Campaign) -> list[tuple[str, str]]:
    """(text, language) of every donor-visible text left empty: for the admin, never donors."""
    return [
        (kind, language)
        for kind in ("title", "story", "guidance")
        for language in LANGUAGES
        if not (getattr(campaign, kind) or {}).get(language, "").strip()
    ]


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
    print_format: PrintFormat | None = None  # None: as it is
    back_text: dict[str, str] | None = None


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
    if settings.print_format is not None:
        values["print_format"] = settings.print_format
    if settings.back_text is not None:
        values["back_text"] = {lang: settings.back_text.get(lang, "").strip() for lang in LANGUAGES}
    changed = [name for name, value in values.items() if getattr(campaign, name) != value]
    for name in changed:
        setattr(campaign, name, values[name])
    return changed
