"""Who holds a campaign's address key, and opening it for one request.

Each keyholder (an admin or addresser) has a personal X25519 key pair whose private half is
wrapped under her password. A campaign's private key is kept only sealed to the personal
public keys of its keyholders, and once more under a recovery code shown once. So the server
can seal new addresses (it has the public keys) and grant the key to a newcomer when an
existing keyholder types her password, but it can open nothing on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cardsapp.crypto.address import (
    AddressKeyError,
    PostalAddress,
    new_key_pair,
    open_address,
    open_bytes,
    public_key_of,
    seal_address,
    seal_bytes,
)
from cardsapp.crypto.memory import wipe
from cardsapp.crypto.wrapping import (
    DEFAULT_COST,
    KdfCost,
    WrappedKey,
    WrongSecret,
    new_recovery_code,
    normalise_recovery_code,
    unwrap_key,
    wrap_key,
)
from cardsapp.models import Campaign, CampaignKey, KeySlot, PersonalKey, Role, User

__all__ = ["WrongSecret"]


class NoCampaignKey(AddressKeyError):
    """The campaign has no address key yet: set one up before importing recipients."""


class NotAKeyholder(AddressKeyError):
    """This account holds no key to this campaign's addresses."""


class NoPersonalKey(AddressKeyError):
    """The account has never logged in with its password, so it has no personal key yet."""


def may_hold_keys(user: User) -> bool:
    """Admins and addressers may hold address keys (while the account is active)."""
    return user.active and user.has_role(Role.ADDRESSER)


# --- personal keys -------------------------------------------------------------------------------


def _personal_label(user_id: int) -> str:
    return f"user:{user_id}"


def ensure_personal_key(
    session: Session, user: User, password: str, cost: KdfCost = DEFAULT_COST
) -> PersonalKey | None:
    """Give a keyholder-to-be her personal key pair, wrapped under the password just checked.

    Called where the password was typed and verified (login, the labels form); a no-op for
    accounts that have one, and for roles that never hold keys.
    """
    existing = session.get(PersonalKey, user.id)
    if existing is not None or not may_hold_keys(user):
        return existing
    public, private = new_key_pair()
    try:
        wrapped = wrap_key(private, password, _personal_label(user.id), cost)
    finally:
        wipe(private)
    key = PersonalKey(
        user_id=user.id,
        public_key=public,
        salt=wrapped.salt,
        wrapped_key=wrapped.blob,
        time_cost=wrapped.time_cost,
        memory_kib=wrapped.memory_kib,
    )
    session.add(key)
    session.flush()
    return key


def rewrap_personal_key(
    session: Session, user: User, old_password: str, new_password: str, cost: KdfCost = DEFAULT_COST
) -> None:
    """On a password change: the same personal key, wrapped under the new password."""
    key = session.get(PersonalKey, user.id)
    if key is None:
        return
    private = unwrap_key(_wrapped(key), old_password, _personal_label(user.id))
    try:
        wrapped = wrap_key(private, new_password, _personal_label(user.id), cost)
    finally:
        wipe(private)
    key.salt, key.wrapped_key = wrapped.salt, wrapped.blob
    key.time_cost, key.memory_kib = wrapped.time_cost, wrapped.memory_kib


def forget_personal_key(session: Session, user: User) -> None:
    """A password reset without the old password: her key and every slot sealed to it go."""
    session.execute(delete(KeySlot).where(KeySlot.user_id == user.id))
    session.execute(delete(PersonalKey).where(PersonalKey.user_id == user.id))


def _wrapped(key: PersonalKey | KeySlot) -> WrappedKey:
    wrapped = key.wrapped_key if isinstance(key, PersonalKey) else key.sealed_key
    return WrappedKey(
        bytes(key.salt or b""), bytes(wrapped), int(key.time_cost or 0), int(key.memory_kib or 0)
    )


# --- a campaign's key, opened for one request ----------------------------------------------------


class OpenCampaignKey:
    """A campaign's private key, open for the length of one request or command."""

    def __init__(self, campaign_id: int, public_key: bytes, private_key: bytearray) -> None:
        self.campaign_id = campaign_id
        self.public_key = public_key
        # nacl wants bytes: one copy we made ourselves, zeroed in close().
        self._private = bytes(private_key)
        wipe(private_key)

    def open(self, token: bytes) -> PostalAddress:
        """One recipient's address (wipe it with PostalAddress.wipe once used)."""
        if not self._private:
            raise AddressKeyError("the campaign key is closed")
        return open_address(self.public_key, self._private, token)

    def private_copy(self) -> bytearray:
        """The private key in a new bytearray (to seal it to another keyholder); caller wipes."""
        return bytearray(self._private)

    def close(self) -> None:
        """Overwrite the private key: nothing opens an address with this object any more."""
        wipe(self._private)
        self._private = b""


def campaign_public_key(session: Session, campaign_id: int) -> bytes:
    """The key new addresses are sealed to; NoCampaignKey before one is set up."""
    key = session.get(CampaignKey, campaign_id)
    if key is None:
        raise NoCampaignKey("this campaign has no address key yet")
    return bytes(key.public_key)


def seal_for_campaign(session: Session, campaign_id: int, address: PostalAddress) -> bytes:
    """Seal an address to its campaign's public key (importing needs no secret)."""
    return seal_address(campaign_public_key(session, campaign_id), address)


@contextmanager
def unlocked_campaign_key(
    session: Session, campaign_id: int, user: User, password: str
) -> Iterator[OpenCampaignKey]:
    """Open a campaign's key with a keyholder's password; closed again when the block ends."""
    public = campaign_public_key(session, campaign_id)
    slot = _slot(session, campaign_id, user)
    personal = session.get(PersonalKey, user.id)
    if personal is None:
        raise NoPersonalKey("no personal key")
    personal_private = unwrap_key(_wrapped(personal), password, _personal_label(user.id))
    try:
        campaign_private = open_bytes(
            bytes(personal.public_key), bytes(personal_private), bytes(slot.sealed_key)
        )
    finally:
        wipe(personal_private)
    key = _checked(campaign_id, public, campaign_private)
    try:
        yield key
    finally:
        key.close()


@contextmanager
def unlocked_by_recovery(
    session: Session, campaign_id: int, recovery_code: str
) -> Iterator[OpenCampaignKey]:
    """Open a campaign's key with its recovery code (when every keyholder is lost)."""
    public = campaign_public_key(session, campaign_id)
    slot = _recovery_slot(session, campaign_id)
    if slot is None:
        raise WrongSecret("no recovery slot")
    code = normalise_recovery_code(recovery_code)
    campaign_private = unwrap_key(_wrapped(slot), code, _recovery_label(campaign_id))
    key = _checked(campaign_id, public, campaign_private)
    try:
        yield key
    finally:
        key.close()


def _checked(campaign_id: int, public: bytes, private: bytes | bytearray) -> OpenCampaignKey:
    secret = bytearray(private)
    wipe(private)
    if public_key_of(secret) != public:
        wipe(secret)
        raise AddressKeyError("the slot holds another key than the campaign's")
    return OpenCampaignKey(campaign_id, public, secret)


def _slot(session: Session, campaign_id: int, user: User) -> KeySlot:
    if not may_hold_keys(user):
        raise NotAKeyholder("this account may not hold address keys")
    slot = session.scalars(
        select(KeySlot).where(KeySlot.campaign_id == campaign_id, KeySlot.user_id == user.id)
    ).first()
    if slot is None:
        raise NotAKeyholder("not a keyholder of this campaign")
    return slot


def _recovery_label(campaign_id: int) -> str:
    return f"recovery:{campaign_id}"


def _recovery_slot(session: Session, campaign_id: int) -> KeySlot | None:
    return session.scalars(
        select(KeySlot).where(KeySlot.campaign_id == campaign_id, KeySlot.user_id.is_(None))
    ).first()


# --- setting up, granting, revoking --------------------------------------------------------------


def install_campaign_key(
    session: Session,
    campaign_id: int,
    public: bytes,
    private: bytearray,
    holders: list[User],
    by: User | None = None,
    cost: KdfCost = DEFAULT_COST,
) -> str:
    """Store a key pair: public in the clear, private sealed to each holder and a recovery code.

    Replaces any key and slots the campaign had (the caller has re-sealed its addresses).
    Returns the new recovery code, to be shown once and never stored.
    """
    session.execute(delete(KeySlot).where(KeySlot.campaign_id == campaign_id))
    existing = session.get(CampaignKey, campaign_id)
    if existing is None:
        session.add(CampaignKey(campaign_id=campaign_id, public_key=public))
    else:
        existing.public_key = public
    for holder in holders:
        _seal_slot(session, campaign_id, private, holder, by)
    code = new_recovery_code()
    wrapped = wrap_key(private, code, _recovery_label(campaign_id), cost)
    session.add(
        KeySlot(
            campaign_id=campaign_id,
            user_id=None,
            sealed_key=wrapped.blob,
            salt=wrapped.salt,
            time_cost=wrapped.time_cost,
            memory_kib=wrapped.memory_kib,
            granted_by_id=by.id if by else None,
        )
    )
    session.flush()
    return code


def set_up_campaign_key(
    session: Session,
    campaign: Campaign,
    holders: list[User],
    by: User | None = None,
    cost: KdfCost = DEFAULT_COST,
) -> str:
    """Give a campaign its key pair (no password needed); returns the recovery code."""
    if session.get(CampaignKey, campaign.id) is not None:
        raise AddressKeyError("this campaign already has an address key")
    public, private = new_key_pair()
    try:
        return install_campaign_key(session, campaign.id, public, private, holders, by, cost)
    finally:
        wipe(private)


def _seal_slot(
    session: Session, campaign_id: int, private: bytes | bytearray, holder: User, by: User | None
) -> KeySlot:
    if not may_hold_keys(holder):
        raise NotAKeyholder("only admins and addressers hold address keys")
    personal = session.get(PersonalKey, holder.id)
    if personal is None:
        raise NoPersonalKey("she must log in once before she can be given the key")
    slot = KeySlot(
        campaign_id=campaign_id,
        user_id=holder.id,
        sealed_key=seal_bytes(bytes(personal.public_key), bytes(private)),
        granted_by_id=by.id if by else None,
    )
    session.add(slot)
    session.flush()
    return slot


def grant_keyholder(session: Session, key: OpenCampaignKey, grantee: User, by: User) -> KeySlot:
    """Seal the campaign key, opened by a keyholder's password, to a newcomer's personal key."""
    existing = session.scalars(
        select(KeySlot).where(KeySlot.campaign_id == key.campaign_id, KeySlot.user_id == grantee.id)
    ).first()
    if existing is not None:
        return existing
    private = key.private_copy()
    try:
        return _seal_slot(session, key.campaign_id, private, grantee, by)
    finally:
        wipe(private)


def revoke_keyholder(session: Session, campaign_id: int, user: User) -> bool:
    """Delete her slot: from now on her password opens nothing of this campaign."""
    result = session.execute(
        delete(KeySlot).where(KeySlot.campaign_id == campaign_id, KeySlot.user_id == user.id)
    )
    return bool(getattr(result, "rowcount", 0))


def keyholders(session: Session, campaign_id: int) -> list[User]:
    """The accounts holding this campaign's key, by e-mail."""
    return list(
        session.scalars(
            select(User)
            .join(KeySlot, KeySlot.user_id == User.id)
            .where(KeySlot.campaign_id == campaign_id)
            .order_by(User.email)
        )
    )


def holds_key(session: Session, campaign_id: int, user: User) -> bool:
    """Whether she holds a slot of this campaign's key."""
    return (
        session.scalars(
            select(KeySlot.id).where(KeySlot.campaign_id == campaign_id, KeySlot.user_id == user.id)
        ).first()
        is not None
    )
