"""What the service holds about people, where, how protected and for how long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cardsapp.models import AuditEvent, Batch, BatchStatus, Campaign, Erasure, Recipient, User


@dataclass(frozen=True)
class PurgeDue:
    batch_code: str
    mailed_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Holdings:
    """Counts kept cheap: small tables counted, the cards table only through counters."""

    retention_days: int
    # Addresses held now; withdrawn and deleted recipients are counts with no address.
    recipients: int
    paused_recipients: int
    withdrawn_recipients: int
    deleted_recipients: int
    cards_written: int
    participants: int
    staff_accounts: int
    audit_events: int
    batches_unpurged: int
    purges_due: list[PurgeDue]


def data_holdings(session: Session, retention_days: int) -> Holdings:
    """A summary for the admins' "what we hold" page."""
    totals = session.execute(
        select(
            func.coalesce(func.sum(Campaign.cards_count), 0),
            func.coalesce(func.sum(Campaign.participants_count), 0),
        )
    ).one()
    mailed = session.execute(
        select(Batch.code, Batch.mailed_at)
        .where(Batch.status == BatchStatus.MAILED, Batch.purged_at.is_(None))
        .order_by(Batch.mailed_at)
        .limit(50)
    ).all()
    by_state: dict[str, int] = {}
    for erasure, paused, count in session.execute(
        select(Recipient.erasure, Recipient.paused, func.count(Recipient.id)).group_by(
            Recipient.erasure, Recipient.paused
        )
    ):
        state = erasure.value if erasure else ("paused" if paused else "active")
        by_state[state] = by_state.get(state, 0) + count
    return Holdings(
        retention_days=retention_days,
        recipients=by_state.get("active", 0) + by_state.get("paused", 0),
        paused_recipients=by_state.get("paused", 0),
        withdrawn_recipients=by_state.get(Erasure.CONSENT_WITHDRAWN.value, 0),
        deleted_recipients=by_state.get(Erasure.DELETED.value, 0),
        cards_written=int(totals[0]),
        participants=int(totals[1]),
        staff_accounts=session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None)))
        or 0,
        # The audit log grows with activity; its newest id is a cheap upper bound.
        audit_events=session.scalar(select(func.max(AuditEvent.id))) or 0,
        batches_unpurged=session.scalar(
            select(func.count(Batch.id)).where(Batch.purged_at.is_(None))
        )
        or 0,
        purges_due=[
            PurgeDue(code, at, at + timedelta(days=retention_days))
            for code, at in mailed
            if at is not None
        ],
    )
