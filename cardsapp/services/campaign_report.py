"""A campaign's report: what the admin reads after (or during) a campaign, and its totals."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cardsapp.models import Batch, BatchStatus, Campaign, Card, CardStatus, Recipient


@dataclass(frozen=True)
class CampaignReport:
    """Counts only: never a message, an address or a donor."""

    participants: int
    cards: int
    by_status: dict[str, int]
    by_design: dict[str, int]
    by_language: dict[str, int]
    by_day: dict[str, int]
    batches: dict[str, int]
    cards_printed: int
    cards_mailed: int
    per_recipient: list[tuple[str, str, int]]


def _grouped(session: Session, campaign_id: int, column: Any) -> dict[str, int]:
    rows = session.execute(
        select(column, func.count(Card.id))
        .where(Card.campaign_id == campaign_id)
        .group_by(column)
        .order_by(column)
    ).all()
    return {str(key) if key is not None else "": count for key, count in rows}


def _by_local_day(session: Session, campaign: Campaign) -> dict[str, int]:
    """Cards per day on the campaign's clock, counted per UTC hour in the database."""
    if session.get_bind().dialect.name == "postgresql":
        hour = func.to_char(func.timezone("UTC", Card.submitted_at), "YYYY-MM-DD HH24")
    else:
        hour = func.strftime("%Y-%m-%d %H", Card.submitted_at)
    zone = ZoneInfo(campaign.timezone)
    days: Counter[str] = Counter()
    for key, count in session.execute(
        select(hour, func.count(Card.id)).where(Card.campaign_id == campaign.id).group_by(hour)
    ):
        moment = datetime.strptime(key, "%Y-%m-%d %H").replace(tzinfo=UTC)
        days[moment.astimezone(zone).date().isoformat()] += count
    return dict(sorted(days.items()))


def campaign_report(session: Session, campaign: Campaign) -> CampaignReport:
    """Every figure of the report, in a few grouped queries."""
    by_status = _grouped(session, campaign.id, Card.status)
    batches = {
        str(status): count
        for status, count in session.execute(
            select(Batch.status, func.count(Batch.id))
            .where(Batch.campaign_id == campaign.id)
            .group_by(Batch.status)
        )
    }
    per_recipient = [
        (public_id, label, count)
        for public_id, label, count in session.execute(
            select(Recipient.public_id, Recipient.public_label, func.count(Card.id))
            .outerjoin(Card, Card.recipient_id == Recipient.id)
            .where(Recipient.campaign_id == campaign.id)
            .group_by(Recipient.id, Recipient.public_id, Recipient.public_label)
            .order_by(Recipient.id)
        )
    ]
    mailed = by_status.get(CardStatus.MAILED.value, 0)
    return CampaignReport(
        participants=campaign.participants_count,
        cards=campaign.cards_count,
        by_status=by_status,
        by_design=_grouped(session, campaign.id, Card.design_slug),
        by_language=_grouped(session, campaign.id, Card.language),
        by_day=_by_local_day(session, campaign),
        batches=batches,
        cards_printed=by_status.get(CardStatus.PRINTED.value, 0) + mailed,
        cards_mailed=mailed,
        per_recipient=per_recipient,
    )


def report_csv(report: CampaignReport) -> str:
    """The report as CSV: one row per figure (section, key, count)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "count"])
    writer.writerow(["total", "participants", report.participants])
    writer.writerow(["total", "cards", report.cards])
    writer.writerow(["total", "cards_printed", report.cards_printed])
    writer.writerow(["total", "cards_mailed", report.cards_mailed])
    for section, values in (
        ("status", report.by_status),
        ("design", report.by_design),
        ("language", report.by_language),
        ("day", report.by_day),
        ("batches", report.batches),
    ):
        for key, count in values.items():
            writer.writerow([section, key, count])
    for public_id, _label, count in report.per_recipient:
        # The public id, never the label or name: a spreadsheet travels.
        writer.writerow(["recipient", public_id, count])
    return out.getvalue()


@dataclass(frozen=True)
class PublicTotals:
    participants: int
    cards: int
    cards_mailed: int
    batches_mailed: int


def public_totals(session: Session, campaign: Campaign) -> PublicTotals:
    """What the public results page shows after closing: totals, never per recipient."""
    mailed = session.scalar(
        select(func.coalesce(func.sum(Batch.card_count), 0)).where(
            Batch.campaign_id == campaign.id, Batch.status == BatchStatus.MAILED
        )
    )
    batches = session.scalar(
        select(func.count(Batch.id)).where(
            Batch.campaign_id == campaign.id, Batch.status == BatchStatus.MAILED
        )
    )
    return PublicTotals(
        campaign.participants_count, campaign.cards_count, int(mailed or 0), int(batches or 0)
    )
