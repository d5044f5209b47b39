"""Addresses sealed to a campaign's public key (libsodium sealed boxes, through PyNaCl).

Sealing needs only the public key, so importing recipients needs no secret. Opening needs the
campaign's private key, which the server holds only inside a keyholder's request (see
cardsapp/services/keyholders.py). A sealed token is one version byte and the sealed box.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from nacl.bindings import (
    crypto_box_keypair,
    crypto_box_seal,
    crypto_box_seal_open,
    crypto_scalarmult_base,
)
from nacl.exceptions import CryptoError

from cardsapp.crypto.memory import wipe, wipe_text

SEALED_V1 = b"\x01"
# Fernet tokens are base64 of a 0x80 version byte: they always start with "gAAAAA".
FERNET_PREFIX = b"gAAAAA"


class AddressKeyError(RuntimeError):
    """No usable key, or a token that the key at hand does not open."""


@dataclass(frozen=True)
class PostalAddress:
    """A recipient's name and address: only ever held decrypted in memory, briefly."""

    name: str
    address_line1: str
    address_line2: str
    city: str
    postcode: str
    country: str

    def lines(self) -> list[str]:
        """The label lines, blank parts left out."""
        city_line = " ".join(p for p in (self.postcode, self.city) if p)
        parts = (self.name, self.address_line1, self.address_line2, city_line, self.country)
        return [p for p in parts if p]

    def wipe(self) -> None:
        """Overwrite the decrypted texts in memory once they have been used."""
        for field in fields(self):
            wipe_text(getattr(self, field.name))


def new_key_pair() -> tuple[bytes, bytearray]:
    """A fresh X25519 key pair: (public key, private key in a bytearray the caller wipes)."""
    public, private = crypto_box_keypair()
    secret = bytearray(private)
    wipe(private)
    return public, secret


def public_key_of(private_key: bytes | bytearray) -> bytes:
    """The public key that belongs to a private key."""
    return crypto_scalarmult_base(bytes(private_key))


def seal_bytes(public_key: bytes, plaintext: bytes) -> bytes:
    """Seal bytes so that only the holder of the private key opens them."""
    return crypto_box_seal(plaintext, public_key)


def open_bytes(public_key: bytes, private_key: bytes, sealed: bytes) -> bytes:
    """Open a sealed box; the caller wipes what it gets back."""
    try:
        return crypto_box_seal_open(sealed, public_key, private_key)
    except (CryptoError, ValueError, TypeError) as exc:
        raise AddressKeyError("this key does not open that box") from exc


def is_sealed(token: bytes) -> bool:
    """Whether an address token is sealed to a campaign key (not an old Fernet token)."""
    return bytes(token[:1]) == SEALED_V1


def seal_address(public_key: bytes, address: PostalAddress) -> bytes:
    """Seal an address to a campaign's public key: no secret needed."""
    plaintext = json.dumps(asdict(address), ensure_ascii=False).encode()
    try:
        return SEALED_V1 + seal_bytes(public_key, plaintext)
    finally:
        wipe(plaintext)


def open_address(public_key: bytes, private_key: bytes, token: bytes) -> PostalAddress:
    """Open a sealed address with the campaign's private key."""
    token = bytes(token)
    if not is_sealed(token):
        raise AddressKeyError("this address is not sealed to a campaign key")
    plaintext = open_bytes(public_key, private_key, token[1:])
    try:
        data = json.loads(plaintext)
    finally:
        wipe(plaintext)
    return PostalAddress(**data)
