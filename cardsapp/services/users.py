"""Staff accounts: creation and password hashing (argon2id)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cardsapp.models import Role, User

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended cost


class AccountError(ValueError):
    """A staff account cannot be created or changed as asked."""


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if not roles:
        raise AccountError("Give the account at least one role.")
    if session.scalar(select(func.count(User.id)).where(User.email == email)):
        raise AccountError("An account with that e-mail already exists.")
    user = User(email=email, password_hash=hash_password(password))
    user.roles = roles
    session.add(user)
    session.flush()
    return user
