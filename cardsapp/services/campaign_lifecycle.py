"""A campaign's life: create (or copy) one, publish, open now, close, archive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from cardsapp.crypto.address import new_key_pair, seal_address
from cardsapp.crypto.memory import wipe
from cardsapp.crypto.wrapping import DEFAULT_COST, KdfCost
from cardsapp.domain.states import IllegalTransition, check_campaign_move
from cardsapp.models import Campaign, CampaignStatus, Recipient, User, utcnow
from cardsapp.services.campaigns import SettingsError
from cardsapp.services.keyholders import (
    OpenCampaignKey,
    install_campaign_key,
    keyholders,
    may_hold_keys,
)

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
DEFAULT_TIMEZONE = "Europe/Minsk"
DEFAULT_LENGTH = timedelta(days=30)


class CampaignError(SettingsError):
    """A campaign that cannot be made or moved; `field` and `code` say why."""


@dataclass(frozen=True)
class NewCampaign:
    """What an organiser gives to start a campaign (the CLI's and the admin page's choices)."""

    slug: str
    title: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    timezone: str = DEFAULT_TIMEZONE
    copy_from: str | None = None
    publish: bool = False
    language: str = "en"


def check_timezone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or CampaignError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CampaignError("timezone", "unknown") from exc


def reseal_address(key: OpenCampaignKey, token: bytes, public_key: bytes) -> bytes:
    """An address sealed to another campaign's public key, opened with its own campaign's key.

    The one place copying a recipient touches her address; it is overwritten once sealed.
    """
    address = key.open(token)
    try:
        return seal_address(public_key, address)
    finally:
        address.wipe()


def create_campaign(
    session: Session,
    new: NewCampaign,
    designs: list[str],
    source_key: OpenCampaignKey | None = None,
    holders: list[User] | None = None,
    cost: KdfCost = DEFAULT_COST,
) -> tuple[Campaign, str | None]:
    """Make a campaign (a draft unless `publish`), copying an earlier one if asked.

    The new campaign gets its own key pair, held by `holders` (when copying: the source's
    keyholders), and the recovery code returned is shown once. Copying re-seals the
    recipients' addresses, so it needs the source's key opened by a keyholder's password.
    """
    slug = new.slug.strip()
    if not SLUG.fullmatch(slug):
        raise CampaignError("slug", "invalid")
    if session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        raise CampaignError("slug", "taken")
    title = " ".join(new.title.split())
    if not title or len(title) > 200:
        raise CampaignError("title", "missing")
    check_timezone(new.timezone)
    source = None
    if new.copy_from:
        source = session.scalars(select(Campaign).where(Campaign.slug == new.copy_from)).first()
        if source is None:
            raise CampaignError("copy_from", "unknown")
        if source_key is None or source_key.campaign_id != source.id:
            raise CampaignError("copy_from", "password")
    opens_at = new.opens_at or utcnow()
    closes_at = new.closes_at or opens_at + DEFAULT_LENGTH
    if closes_at <= opens_at:
        raise CampaignError("closes_at", "before_opening")
    campaign = Campaign(
        slug=slug,
        title={new.language: title},
        story={},
        guidance={},
        opens_at=opens_at,
        closes_at=closes_at,
        timezone=new.timezone,
        designs=list(designs),
        watch_words=[],
        status=CampaignStatus.DRAFT,
    )
    if source is not None:
        campaign.story = dict(source.story or {})
        campaign.guidance = dict(source.guidance or {})
        campaign.designs = list(source.designs or [])
        campaign.watch_words = list(source.watch_words or [])
        campaign.max_message_length = source.max_message_length
        campaign.cap_per_batch = source.cap_per_batch
        campaign.cap_per_campaign = source.cap_per_campaign
    session.add(campaign)
    session.flush()
    if source is not None:
        holders = keyholders(session, source.id)
    holders = [h for h in holders or [] if may_hold_keys(h)]
    code = None
    if holders:
        public, private = new_key_pair()
        try:
            code = install_campaign_key(session, campaign.id, public, private, holders, None, cost)
        finally:
            wipe(private)
        if source is not None and source_key is not None:
            copy_recipients(session, source_key, public, source, campaign)
    if new.publish:
        move_campaign(session, campaign, CampaignStatus.PUBLISHED)
    return campaign, code


def copy_recipients(
    session: Session, key: OpenCampaignKey, public_key: bytes, source: Campaign, target: Campaign
) -> int:
    """Copy the source's active recipients (labels, caps, addresses re-sealed).

    Paused recipients and those whose address was erased stay behind.
    """
    copied = 0
    for recipient in session.scalars(
        select(Recipient)
        .where(
            Recipient.campaign_id == source.id,
            Recipient.paused.is_(False),
            Recipient.address_token.is_not(None),
        )
        .order_by(Recipient.id)
    ):
        if recipient.address_token is None:
            continue  # her address was erased: she is not copied
        session.add(
            Recipient(
                campaign_id=target.id,
                public_label=recipient.public_label,
                address_token=reseal_address(key, recipient.address_token, public_key),
                cap_per_batch=recipient.cap_per_batch,
                cap_per_campaign=recipient.cap_per_campaign,
            )
        )
        copied += 1
    session.flush()
    return copied


def move_campaign(session: Session, campaign: Campaign, to: CampaignStatus) -> None:
    """Publish, close, reopen or archive, as the table in domain/states.py allows."""
    try:
        check_campaign_move(campaign.status, to)
    except IllegalTransition as exc:
        raise CampaignError("status", "illegal") from exc
    campaign.status = to
    session.flush()


def open_now(session: Session, campaign: Campaign, now: datetime | None = None) -> None:
    """Open writing at once (publishing a draft, reopening a closed campaign)."""
    now = now or utcnow()
    if campaign.status != CampaignStatus.PUBLISHED:
        move_campaign(session, campaign, CampaignStatus.PUBLISHED)
    if campaign.opens_at > now:
        campaign.opens_at = now
    if campaign.closes_at <= now:
        campaign.closes_at = now + DEFAULT_LENGTH
    session.flush()


def close_now(session: Session, campaign: Campaign, now: datetime | None = None) -> None:
    """Stop writing at once; cards already sent go on to moderation and print."""
    now = now or utcnow()
    move_campaign(session, campaign, CampaignStatus.CLOSED)
    if campaign.closes_at > now:
        campaign.closes_at = max(now, campaign.opens_at)
    session.flush()


def allowed_actions(campaign: Campaign, now: datetime | None = None) -> list[str]:
    """The buttons an admin may press now: publish, open, close, archive."""
    from cardsapp.domain.states import can_campaign_move
    from cardsapp.services.campaigns import CampaignPhase, campaign_phase

    actions = []
    if campaign.status == CampaignStatus.DRAFT:
        actions.append("publish")  # a closed campaign reopens with "open"
    if campaign_phase(campaign, now) is not CampaignPhase.OPEN and campaign.status in (
        CampaignStatus.DRAFT,
        CampaignStatus.PUBLISHED,
        CampaignStatus.CLOSED,
    ):
        actions.append("open")
    if can_campaign_move(campaign.status, CampaignStatus.CLOSED):
        actions.append("close")
    if can_campaign_move(campaign.status, CampaignStatus.ARCHIVED):
        actions.append("archive")
    return actions
