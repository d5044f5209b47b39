"""The audit log: who did what and when, with no message text, address or e-mail in it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import Session

from cardsapp.models import AuditEvent, User, utcnow


class AuditAction(enum.StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGOUT = "logout"
    SESSION_EXPIRED = "session_expired"
    REAUTH = "reauth"
    REAUTH_FAILED = "reauth_failed"
    CARD_APPROVED = "card_approved"
    CARD_REJECTED = "card_rejected"
    BATCH_CREATED = "batch_created"
    BATCH_DOWNLOADED = "batch_downloaded"
    LABELS_DOWNLOADED = "labels_downloaded"
    ADDRESS_VIEWED = "address_viewed"
    RECIPIENTS_IMPORTED = "recipients_imported"
    RECIPIENTS_IMPORT_REFUSED = "recipients_import_refused"
    RECIPIENT_PAUSED = "recipient_paused"
    RECIPIENT_RESUMED = "recipient_resumed"
    RECIPIENT_CAPS_CHANGED = "recipient_caps_changed"
    RECIPIENT_CONSENT_WITHDRAWN = "recipient_consent_withdrawn"
    RECIPIENT_DELETED = "recipient_deleted"
    ADDRESS_CHANGED = "address_changed"
    CAMPAIGN_CHANGED = "campaign_changed"
    CAMPAIGN_CREATED = "campaign_created"
    CAMPAIGN_MOVED = "campaign_moved"
    DEMO_REMOVED = "demo_removed"
    USER_CREATED = "user_created"
    USER_INVITED = "user_invited"
    INVITE_ACCEPTED = "invite_accepted"
    USER_ROLES_CHANGED = "user_roles_changed"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    USER_DELETED = "user_deleted"
    INVITE_REISSUED = "invite_reissued"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an audit action, not a secret
    KEYS_ROTATED = "keys_rotated"
    BATCH_PRINTED = "batch_printed"
    BATCH_MAILED = "batch_mailed"
    ROLES_COMBINED = "roles_combined"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_FAILED = "two_factor_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    KEYS_SET_UP = "keys_set_up"
    KEY_GRANTED = "key_granted"
    KEY_REVOKED = "key_revoked"
    KEY_RECOVERED = "key_recovered"
    ADDRESSES_MIGRATED = "addresses_migrated"


class PersonalDataInAudit(ValueError):
    """An audit detail that looks like personal data (an e-mail, a long text)."""


MAX_DETAIL_TEXT = 80
PAGE_SIZE = 50


def _check_detail(detail: dict[str, object]) -> dict[str, object]:
    # Details are short facts (ids, counts, codes). Anything that could be a message text, an
    # address or an e-mail is refused here rather than trusted to every caller.
    clean: dict[str, object] = {}
    for key, value in detail.items():
        if value is None or isinstance(value, bool | int | float):
            clean[key] = value
        elif isinstance(value, str):
            if "@" in value or len(value) > MAX_DETAIL_TEXT or "\n" in value:
                raise PersonalDataInAudit(f"audit detail {key!r} looks like free text")
            clean[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
            values = [str(v) for v in value]
            if any("@" in v or len(v) > MAX_DETAIL_TEXT for v in values):
                raise PersonalDataInAudit(f"audit detail {key!r} looks like free text")
            clean[key] = list(value)
        else:
            raise PersonalDataInAudit(f"audit detail {key!r} must be a plain value")
    return clean


def record_event(
    session: Session,
    actor_id: int | None,
    action: AuditAction,
    target: str | None = None,
    **detail: object,
) -> AuditEvent:
    """Add one audit event (e.g. target "card:12", "batch:K7QX"); the caller commits."""
    if target is not None and ("@" in target or len(target) > 100):
        raise PersonalDataInAudit("an audit target is an id, never an e-mail or a text")
    event = AuditEvent(
        actor_id=actor_id,
        action=AuditAction(action).value,
        target=target,
        detail=_check_detail(detail),
        at=utcnow(),
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """What an admin asked to see; empty fields do not filter."""

    action: str | None = None
    actor_id: int | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    events: list[tuple[AuditEvent, str | None]]
    next_before: int | None


def list_events(
    session: Session, wanted: AuditFilter, before_id: int | None = None, limit: int = PAGE_SIZE
) -> AuditPage:
    """Newest first, paged by id (keyset), with each actor's e-mail for the admin's screen."""
    query = select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.actor_id:
        query = query.where(AuditEvent.actor_id == wanted.actor_id)
    if wanted.target:
        query = query.where(AuditEvent.target == wanted.target)
    if wanted.since:
        query = query.where(AuditEvent.at >= wanted.since)
    if wanted.until:
        query = query.where(AuditEvent.at < wanted.until)
    if wanted.since or wanted.until:
        # A time range walks the index on `at` from its newer end. Ordered by id alone, the
        # planner walks the primary key back from today and filters every newer event (it
        # cannot know that ids follow time); ids and times of events agree to the millisecond,
        # so newest first by time is the same page. Guarded by test_query_plans.py.
        query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        if before_id:
            before_at = select(AuditEvent.at).where(AuditEvent.id == before_id).scalar_subquery()
            query = query.where(
                tuple_(AuditEvent.at, AuditEvent.id) < tuple_(before_at, literal(before_id))
            )
    else:
        query = query.order_by(AuditEvent.id.desc())
        if before_id:
            query = query.where(AuditEvent.id < before_id)
    rows: list[tuple[AuditEvent, str | None]] = [
        (event, email) for event, email in session.execute(query.limit(limit + 1)).all()
    ]
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(events=rows, next_before=rows[-1][0].id if more and rows else None)
