"""Staff accounts: hashing (argon2id), throttled logins, roles, invites and deactivation."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cardsapp.models import Role, User, utcnow

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended cost


class AccountError(ValueError):
    """A staff account cannot be created or changed as asked."""


# zxcvbn's score (0-4) a staff password must reach: 3 is "safely unguessable" (about 10^8
# guesses or more) against its lists of common passwords, words, names, dates, keyboard
# walks, repeats and sequences. Staff passwords also unwrap the address keys.
MIN_PASSWORD_SCORE = 3
GUESSABLE_TEXT = (
    "That password is too easy to guess (a common password, a word with a few "
    "changes, a repeat or a sequence). A few unrelated words make a good one."
)


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new staff password is refused (too short, common or guessable), or None."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must be at least {MIN_PASSWORD_LENGTH} characters."
    hints = [part for part in email_words(email) if len(part) >= 3]
    # zxcvbn's cost grows with the length; beyond 100 characters a password is strong anyway.
    if zxcvbn(password[:100], user_inputs=hints)["score"] < MIN_PASSWORD_SCORE:
        return GUESSABLE_TEXT
    return None


def check_password_strength(password: str, email: str = "") -> None:
    """Raise AccountError when a new password is too short or guessable."""
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)


def email_words(email: str) -> list[str]:
    """The words of an e-mail address, which a password should not be made of."""
    import re

    return [part for part in re.split(r"[@._+-]+", email.lower()) if part]


SEPARATE_ROLES = (
    "Printing and addressing are kept apart: tick the box to confirm that one person does both."
)


def check_role_separation(roles: set[Role], confirmed: bool) -> bool:
    """Refuse printer and addresser on one account unless an admin confirms; True if combined.

    Split knowledge: whoever prints the messages should not also hold the addresses.
    """
    combined = {Role.PRINTER, Role.ADDRESSER} <= roles
    if combined and not confirmed:
        raise AccountError(SEPARATE_ROLES)
    return combined


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased, so logins are not case sensitive."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check a password against the stored hash."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(session: Session, email: str) -> User | None:
    """The account with this e-mail, if any."""
    return session.scalars(select(User).where(User.email == normalise_email(email))).first()


def create_user(session: Session, email: str, password: str, roles: set[Role]) -> User:
    """Create a staff account; the caller commits."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("That is not an e-mail address.")
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    if not roles:
        raise AccountError("Give the account at least one role.")
    if session.scalar(select(func.count(User.id)).where(User.email == email)):
        raise AccountError("An account with that e-mail already exists.")
    user = User(email=email, password_hash=hash_password(password))
    user.roles = roles
    session.add(user)
    session.flush()
    return user


# --- logins and throttling ----------------------------------------------------------------------

# Per account, in the database, so that a Redis restart does not reset the count.
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MAX_LOCK_MINUTES = 24 * 60
INVITE_DAYS = 7
# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("no such account: " + secrets.token_hex(8))


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is LoginOutcome.OK


def lock_minutes(failed_logins: int) -> int:
    """How long an account stays locked after this many failures in a row (0: not locked)."""
    if failed_logins < MAX_FAILED_LOGINS:
        return 0
    return min(LOCK_MINUTES * (1 << (failed_logins - MAX_FAILED_LOGINS)), MAX_LOCK_MINUTES)


def authenticate(
    session: Session,
    email: str,
    password: str,
    now: datetime | None = None,
    *,
    known_browser: bool = False,
) -> LoginResult:
    """Check a login; count failures on the account and lock it for a while; caller commits.

    Failures from a browser the account has logged in from before (`known_browser`) are
    counted and locked apart from everyone else's: a stranger who knows the e-mail can lock
    strangers out, never the staff member at her own computer.
    """
    now = now or utcnow()
    user = find_user(session, email)
    if user is None:
        _dummy_verify(password)
        return LoginResult(LoginOutcome.WRONG)
    return check_password(session, user, password, now, known_browser=known_browser)


def _dummy_verify(password: str) -> None:
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_DUMMY_HASH, password)


def check_password(
    session: Session,
    user: User,
    password: str,
    now: datetime | None = None,
    *,
    known_browser: bool = False,
) -> LoginResult:
    """Verify the password of a known account, honouring and updating its lock."""
    now = now or utcnow()
    count_column = User.known_failed_logins if known_browser else User.failed_logins
    locked_until = user.known_locked_until if known_browser else user.locked_until
    if locked_until is not None and locked_until > now:
        _dummy_verify(password)
        return LoginResult(LoginOutcome.LOCKED, user, locked_until)
    if not verify_password(user, password):
        # An atomic increment: parallel guesses cannot overwrite each other's count.
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values({count_column: count_column + 1})
            .execution_options(synchronize_session=False)
        )
        session.refresh(user, [count_column.key])
        minutes = lock_minutes(getattr(user, count_column.key))
        if minutes:
            until = now + timedelta(minutes=minutes)
            setattr(user, "known_locked_until" if known_browser else "locked_until", until)
            return LoginResult(LoginOutcome.LOCKED, user, until)
        return LoginResult(LoginOutcome.WRONG, user)
    if not user.active:
        return LoginResult(LoginOutcome.INACTIVE, user)
    if known_browser:
        user.known_failed_logins = 0
        user.known_locked_until = None
    else:
        user.failed_logins = 0
        user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(LoginOutcome.OK, user)


def start_session(user: User, now: datetime | None = None) -> str:
    """A new session id for a login: older session cookies of the account stop working."""
    user.session_token = secrets.token_urlsafe(32)
    user.last_login_at = now or utcnow()
    return user.session_token


def end_sessions(user: User) -> None:
    """Log the account out everywhere: its session cookies are refused from now on."""
    user.session_token = secrets.token_urlsafe(32)


# --- administration -----------------------------------------------------------------------------


def list_users(session: Session) -> list[User]:
    """Every staff account, oldest first (deleted accounts are only numbers now)."""
    return list(session.scalars(select(User).where(User.deleted_at.is_(None)).order_by(User.id)))


def _other_active_admins(session: Session, user: User) -> int:
    admins = session.scalars(select(User).where(User.active.is_(True), User.id != user.id))
    return sum(1 for other in admins if Role.ADMIN in other.roles)


def set_roles(session: Session, user: User, roles: set[Role], by: User) -> None:
    """Change an account's roles; the last active admin cannot stop being one."""
    if not roles:
        raise AccountError("Give the account at least one role.")
    if (
        Role.ADMIN in user.roles
        and Role.ADMIN not in roles
        and not _other_active_admins(session, user)
    ):
        raise AccountError("The last active admin cannot lose the admin role.")
    if user.id == by.id and Role.ADMIN not in roles:
        raise AccountError("You cannot remove your own admin role.")
    user.roles = roles


def deactivate_user(session: Session, user: User, by: User) -> None:
    """Switch an account off at once: it cannot log in and its sessions end."""
    if user.id == by.id:
        raise AccountError("You cannot deactivate your own account.")
    if Role.ADMIN in user.roles and not _other_active_admins(session, user):
        raise AccountError("The last active admin cannot be deactivated.")
    user.active = False
    user.invite_token_hash = None
    end_sessions(user)


def reactivate_user(user: User) -> None:
    """Let a deactivated account log in again (with its old password)."""
    user.active = True
    user.failed_logins = 0
    user.locked_until = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_user(
    session: Session, email: str, roles: set[Role], now: datetime | None = None
) -> tuple[User, str]:
    """An account with no password yet and the one-time token of its invite link."""
    # The random password is never told to anyone: the invite sets the real one.
    user = create_user(session, email, secrets.token_urlsafe(32), roles)
    token = secrets.token_urlsafe(32)
    user.invite_token_hash = _token_hash(token)
    user.invite_expires_at = (now or utcnow()) + timedelta(days=INVITE_DAYS)
    return user, token


def find_invited(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active account this invite token belongs to, if it is still valid."""
    if not token or len(token) > 100:
        return None
    user = session.scalars(select(User).where(User.invite_token_hash == _token_hash(token))).first()
    now = now or utcnow()
    if user is None or not user.active or not user.invite_expires_at:
        return None
    if user.invite_expires_at <= now:
        return None
    return user


def accept_invite(session: Session, user: User, password: str) -> None:
    """Set the invited account's password; the link cannot be used again."""
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.invite_token_hash = None
    user.invite_expires_at = None
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)
