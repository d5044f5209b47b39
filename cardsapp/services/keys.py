"""Re-sealing addresses: rotating a campaign's key, and leaving the old Fernet key behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cardsapp.crypto.address import (
    AddressKeyError,
    PostalAddress,
    is_sealed,
    new_key_pair,
    seal_address,
)
from cardsapp.crypto.fernet import AddressBox
from cardsapp.crypto.memory import wipe
from cardsapp.crypto.wrapping import DEFAULT_COST, KdfCost
from cardsapp.models import Recipient, User
from cardsapp.services.keyholders import OpenCampaignKey, install_campaign_key, keyholders
from cardsapp.services.residue import ADDRESS_TABLES

CHUNK = 500
# What rotating, revoking or migrating rewrites: old ciphertexts and slots must leave the files
# too (cardsapp.services.residue.scrub_after_delete, after the commit).
KEY_TABLES = (*ADDRESS_TABLES, "campaign_keys", "key_slots")


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: addresses re-sealed, and the new recovery code (shown once)."""

    resealed: int
    recovery_code: str


class OldTokensLeft(AddressKeyError):
    """Some addresses are still under the old Fernet key: migrate them first."""


def _tokens(session: Session, campaign_id: int, after_id: int) -> list[tuple[int, bytes]]:
    rows = session.execute(
        select(Recipient.id, Recipient.address_token)
        .where(
            Recipient.campaign_id == campaign_id,
            Recipient.id > after_id,
            Recipient.address_token.is_not(None),  # erased recipients have none
        )
        .order_by(Recipient.id)
        .limit(CHUNK)
    ).all()
    return [(row[0], bytes(row[1])) for row in rows if row[1] is not None]


def rotate_campaign_key(
    session: Session, key: OpenCampaignKey, by: User, cost: KdfCost = DEFAULT_COST
) -> Rotation:
    """A new key pair: every address re-sealed, every keyholder's slot and the recovery slot
    made again for the new key. One transaction: the caller commits (or nothing changed)."""

    def open_sealed(token: bytes) -> PostalAddress:
        if not is_sealed(token):
            raise OldTokensLeft("run `cardsapp migrate-addresses` first")
        return key.open(token)

    public, private = new_key_pair()
    try:
        resealed = _reseal(session, key.campaign_id, public, open_sealed)
        holders = keyholders(session, key.campaign_id)
        code = install_campaign_key(session, key.campaign_id, public, private, holders, by, cost)
    finally:
        wipe(private)
    return Rotation(resealed, code)


def migrate_fernet_addresses(
    session: Session, box: AddressBox, campaign_id: int, public_key: bytes
) -> int:
    """Seal a campaign's old Fernet tokens to its public key; the caller commits."""
    return _reseal(
        session, campaign_id, public_key, lambda t: None if is_sealed(t) else box.open(t)
    )


def _reseal(
    session: Session,
    campaign_id: int,
    public_key: bytes,
    open_token: Callable[[bytes], PostalAddress | None],
) -> int:
    """Seal to `public_key` every address `open_token` opens (None: leave it); a count."""
    count, last_id = 0, 0
    while rows := _tokens(session, campaign_id, last_id):
        for recipient_id, token in rows:
            address = open_token(token)
            if address is None:
                continue
            try:
                sealed = seal_address(public_key, address)
            finally:
                address.wipe()
            session.execute(
                update(Recipient)
                .where(Recipient.id == recipient_id)
                .values(address_token=sealed)
                .execution_options(synchronize_session=False)
            )
            count += 1
        last_id = rows[-1][0]
    return count


def fernet_tokens_left(session: Session) -> int:
    """How many addresses are still Fernet tokens (0 once the old key may be destroyed)."""
    tokens = session.scalars(select(Recipient.address_token))
    return sum(1 for token in tokens if token is not None and not is_sealed(bytes(token)))
