"""TOTP two-factor sign-in (RFC 6238, pyotp): enrolment, codes, recovery codes.

Required for the roles that can reach addresses (config.two_factor_roles: addressers and
admins), optional for everyone else. The QR code is drawn here, as SVG (segno), never by
another site. Recovery codes are shown once and kept only as SHA-256 hashes: each is 50
random bits, too many to try against a hash, so a slow hash would add nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

import pyotp
import segno
from sqlalchemy.orm import Session

from cardsapp.models import Role, User, utcnow

ISSUER = "cardsapp"
RECOVERY_CODES = 10
# One step either side: a phone's clock a little off still works.
VALID_WINDOW = 1


def two_factor_required(user: User, roles: Iterable[str]) -> bool:
    """Whether this account must use a second factor (it holds one of `roles`)."""
    wanted = {Role(role) for role in roles}
    return bool(wanted & set(user.roles))


def new_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def enrolment_qr(email: str, secret: str) -> str:
    """The otpauth:// link as a QR code, an SVG data: URI for an <img> (the CSP allows data:)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _step(totp: pyotp.TOTP, code: str, now: datetime) -> int | None:
    """The time step a code belongs to within the window, or None."""
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        moment = now.timestamp() + offset * totp.interval
        if secrets.compare_digest(totp.at(moment), code):
            return int(moment // totp.interval)
    return None


def enable_two_factor(user: User, secret: str, code: str, now: datetime | None = None) -> list[str]:
    """Turn TOTP on once the app shows the right code; returns the recovery codes (shown once)."""
    now = now or utcnow()
    step = _step(pyotp.TOTP(secret), code.strip(), now)
    if step is None:
        raise ValueError("wrong code")
    codes = [
        f"{secrets.token_hex(3)[:5]}-{secrets.token_hex(3)[:5]}" for _ in range(RECOVERY_CODES)
    ]
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = step
    user.recovery_codes = [_hash_code(c) for c in codes]
    return codes


def check_second_factor(
    session: Session, user: User, code: str, now: datetime | None = None
) -> str | None:
    """'totp' or 'recovery' when the code is right (each works once), else None."""
    now = now or utcnow()
    code = code.strip().replace(" ", "")
    if user.totp_secret is None or not code or len(code) > 20:
        return None
    if code.isdigit():
        step = _step(pyotp.TOTP(user.totp_secret), code, now)
        # A code already used (seen by someone over the shoulder) does not work twice.
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return None
        user.totp_last_step = step
        return "totp"
    hashed = _hash_code(code)
    remaining = list(user.recovery_codes or [])
    if hashed in remaining:
        remaining.remove(hashed)
        user.recovery_codes = remaining
        return "recovery"
    return None
