"""Opening a campaign's address key with the password typed in this very request.

The password comes in the same POST as the request for addresses: it is checked (with the
login throttle), unwraps the keyholder's key, and the campaign key lives only inside the
`with` block of the view. Nothing about it goes into the session, a cookie, Redis or a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response, current_app, stream_with_context
from flask_babel import gettext as _

from cardsapp.crypto.address import AddressKeyError
from cardsapp.crypto.memory import wipe, wipe_text
from cardsapp.crypto.wrapping import KdfCost, WrongSecret
from cardsapp.extensions import db
from cardsapp.models import User
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.keyholders import (
    NoCampaignKey,
    NotAKeyholder,
    OpenCampaignKey,
    ensure_personal_key,
    unlocked_campaign_key,
)
from cardsapp.services.users import check_password

# Sent in pieces of this size; each piece is overwritten once the server has written it.
CHUNK = 64 * 1024


class KeyRefused(Exception):
    """The addresses stay closed; `message` says why, in the user's language."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def kdf_cost() -> KdfCost:
    """The Argon2id cost this server wraps new keys with."""
    return current_app.extensions["cardsapp.config"].kdf_cost


def wrong_password_message() -> str:
    """The same words as the login page's, so a guesser learns nothing more here."""
    return _(
        "The e-mail or the password is wrong. After several wrong tries an account is "
        "locked for a while; please wait and try again."
    )


def password_confirmed(user: User, password: str, known_browser: bool = False) -> bool:
    """Whether a signed-in account typed its password right; a wrong one is throttled like a
    login and written to the audit log (committed at once, whatever the request does next)."""
    result = check_password(db.session, user, password, known_browser=known_browser)
    if not result.ok:
        record_event(
            db.session,
            user.id,
            AuditAction.REAUTH_FAILED,
            f"user:{user.id}",
            outcome=result.outcome.value,
        )
        db.session.commit()
    return result.ok


def check_typed_password(user: User, password: str) -> None:
    """Check the password typed now (throttled and audited like a login); KeyRefused if wrong."""
    if not password_confirmed(user, password):
        raise KeyRefused(wrong_password_message())
    ensure_personal_key(db.session, user, password, kdf_cost())


@contextmanager
def campaign_key_from_password(
    user: User, password: str, campaign_id: int
) -> Iterator[OpenCampaignKey]:
    """The campaign's key, opened by the password typed in this request, for one block."""
    check_typed_password(user, password)
    try:
        with unlocked_campaign_key(db.session, campaign_id, user, password) as key:
            yield key
    except NoCampaignKey:
        raise KeyRefused(_("This campaign has no address key yet.")) from None
    except (NotAKeyholder, WrongSecret):
        raise KeyRefused(
            _(
                "You hold no key to this campaign's addresses. A keyholder can give you one "
                "on the admin pages."
            )
        ) from None
    except AddressKeyError:
        raise KeyRefused(_("The addresses could not be opened.")) from None


def sealed_response(body: str | bytes, mimetype: str) -> Response:
    """A response holding addresses: sent once, never cached, overwritten in memory once sent."""
    data = bytearray(body.encode() if isinstance(body, str) else body)
    if isinstance(body, str):
        wipe_text(body)
    else:
        wipe(body)

    def chunks() -> Iterator[bytes]:
        view = memoryview(data)
        try:
            for start in range(0, len(view), CHUNK):
                # The server may keep what it is given (the test client does), so the piece
                # itself is not overwritten; the whole body is, once the last piece is out.
                yield bytes(view[start : start + CHUNK])
        finally:
            view.release()
            wipe(data)

    response = Response(stream_with_context(chunks()), mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
