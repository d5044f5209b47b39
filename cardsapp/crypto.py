"""Address encryption at rest: MultiFernet, keys from CARDS_ADDRESS_KEYS."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class AddressKeyError(RuntimeError):
    """No usable key, or a token that no configured key opens."""


@dataclass(frozen=True)
class PostalAddress:
    """A recipient's name and address: only ever held decrypted in memory."""

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


class AddressBox:
    """Encrypts and decrypts addresses; the first key is current."""

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

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a token under the current key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise AddressKeyError("no configured address key opens this address") from exc
