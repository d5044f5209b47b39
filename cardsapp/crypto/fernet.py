"""The old standing address key (Fernet, CARDS_ADDRESS_KEYS): read only to migrate away from it.

Addresses sealed before campaign keys existed are Fernet tokens. `cardsapp migrate-addresses`
opens them with these keys once, seals them to their campaign's public key, and then the
old keys can be destroyed.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from cardsapp.crypto.address import AddressKeyError, PostalAddress


class AddressBox:
    """Opens (and, for tests of the migration, makes) Fernet address tokens."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise AddressKeyError("CARDS_ADDRESS_KEYS is empty")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError) as exc:
            raise AddressKeyError(
                "CARDS_ADDRESS_KEYS holds a key that is not a Fernet key"
            ) from exc

    def seal(self, address: PostalAddress) -> bytes:
        """Encrypt an address under the current key."""
        return self._fernet.encrypt(json.dumps(asdict(address)).encode())

    def open(self, token: bytes) -> PostalAddress:
        """Decrypt an address with whichever configured key made it."""
        try:
            data = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise AddressKeyError("no configured address key opens this address") from exc
        return PostalAddress(**data)
