"""Which campaign is running, and whether it is open for writing."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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
