"""Staff accounts over the years: invites re-issued, passwords changed, accounts deleted."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cardsapp.models import Role, User, utcnow
from cardsapp.services.users import (
    INVITE_DAYS,
    AccountError,
    LoginOutcome,
    _other_active_admins,
    _token_hash,
    check_password,
    end_sessions,
    hash_password,
    start_session,
)


def check_new_password(password: str) -> None:
    """Refuse a password too weak to protect addresses (AccountError)."""
    # Until users.py offers a strength check of its own, the same rule as invites use.
    from cardsapp.services import users

    strength = getattr(users, "check_password_strength", None)
    if strength is not None:
        strength(password)
        return
    if len(password) < users.MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {users.MIN_PASSWORD_LENGTH} characters.")


# --- invites ------------------------------------------------------------------------------------


class InviteState(enum.StrEnum):
    """What an invite link is now, so its page can say so in plain words."""

    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # never made, or replaced by a newer link


@dataclass(frozen=True)
class InviteLookup:
    state: InviteState
    user: User | None = None


def look_up_invite(session: Session, token: str, now: datetime | None = None) -> InviteLookup:
    """Whether an invite link can still be used, and if not, why."""
    if not token or len(token) > 100:
        return InviteLookup(InviteState.UNKNOWN)
    digest = _token_hash(token)
    user = session.scalars(
        select(User).where(or_(User.invite_token_hash == digest, User.invite_used_hash == digest))
    ).first()
    if user is None or user.deleted_at is not None or not user.active:
        return InviteLookup(InviteState.UNKNOWN)
    if user.invite_token_hash != digest:
        return InviteLookup(InviteState.USED, user)
    if user.invite_expires_at is None or user.invite_expires_at <= (now or utcnow()):
        return InviteLookup(InviteState.EXPIRED, user)
    return InviteLookup(InviteState.VALID, user)


def remember_used_invite(user: User, token: str) -> None:
    """After an invite is accepted: its link says "already used" from now on."""
    user.invite_used_hash = _token_hash(token)


def invite_pending(user: User) -> bool:
    """An account that has not chosen a password yet (its link may be lost or expired)."""
    return user.invite_token_hash is not None and user.deleted_at is None


def reissue_invite(user: User, now: datetime | None = None) -> str:
    """A new one-time invite link for an account that has not accepted; the old link dies."""
    if not invite_pending(user) or not user.active:
        raise AccountError("This account has no invitation waiting.")
    token = secrets.token_urlsafe(32)
    user.invite_token_hash = _token_hash(token)
    user.invite_expires_at = (now or utcnow()) + timedelta(days=INVITE_DAYS)
    return token


# --- one's own password -------------------------------------------------------------------------


class PasswordChange(enum.StrEnum):
    DONE = "done"
    WRONG_CURRENT = "wrong_current"
    LOCKED = "locked"


def change_own_password(
    session: Session, user: User, current: str, new: str
) -> tuple[PasswordChange, str | None]:
    """Change a password given the current one; returns the new session id when done.

    A wrong current password counts as a failed login (and locks as one does). Other
    sessions of the account end; the caller logs this one in again with the new id.
    """
    result = check_password(session, user, current)
    if result.outcome is LoginOutcome.LOCKED:
        return PasswordChange.LOCKED, None
    if not result.ok:
        return PasswordChange.WRONG_CURRENT, None
    check_new_password(new)
    if new == current:
        raise AccountError("The new password is the same as the current one.")
    user.password_hash = hash_password(new)
    end_sessions(user)
    return PasswordChange.DONE, start_session(user)


# --- deleting an account ------------------------------------------------------------------------


def deleted_name(user_id: int) -> str:
    """What a deleted account is called from then on: its number, no e-mail."""
    return f"user:{user_id} (deleted)"


def delete_user(session: Session, user: User, by: User) -> None:
    """Delete a staff account: its e-mail and password go; audit entries keep its number.

    The row stays as a tombstone because audit events, batches and decisions point at its
    id; nothing in it says who the person was.
    """
    if user.id == by.id:
        raise AccountError("You cannot delete your own account.")
    if Role.ADMIN in user.roles and user.active and not _other_active_admins(session, user):
        raise AccountError("The last active admin cannot be deleted.")
    user.email = deleted_name(user.id)
    user.password_hash = ""  # matches no password: argon2 refuses an empty hash
    user.roles = frozenset()
    user.active = False
    user.invite_token_hash = None
    user.invite_expires_at = None
    user.invite_used_hash = None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = None
    user.label_offset_x_mm = 0.0
    user.label_offset_y_mm = 0.0
    user.deleted_at = utcnow()
    end_sessions(user)
    session.flush()
