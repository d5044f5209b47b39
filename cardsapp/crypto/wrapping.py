"""Private keys wrapped under a password or a recovery code: Argon2id, then AES-256-GCM.

The associated data names what is wrapped (`user:7`, `recovery:3`), so a wrapped key copied
into another row does not open. Cost parameters are kept beside each wrapped key, so they can
be raised later without breaking what was wrapped before.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cardsapp.crypto.address import AddressKeyError
from cardsapp.crypto.memory import wipe

SALT_BYTES = 16
NONCE_BYTES = 12


@dataclass(frozen=True)
class KdfCost:
    """Argon2id cost: passes over memory, and memory in KiB."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024


DEFAULT_COST = KdfCost()
# What tests use: the same algorithm, cheap enough to run hundreds of times.
TEST_COST = KdfCost(time_cost=1, memory_kib=8 * 1024)


@dataclass(frozen=True)
class WrappedKey:
    """A private key wrapped under a secret someone types: nothing here opens it alone."""

    salt: bytes
    blob: bytes  # nonce + AES-GCM ciphertext and tag
    time_cost: int
    memory_kib: int


class WrongSecret(AddressKeyError):
    """The password or recovery code does not open this wrapped key."""


def _derive(secret: str, salt: bytes, time_cost: int, memory_kib: int) -> bytes:
    typed = bytearray(secret.encode())
    try:
        return hash_secret_raw(
            bytes(typed), salt, time_cost, memory_kib, parallelism=1, hash_len=32, type=Type.ID
        )
    finally:
        wipe(typed)


def wrap_key(
    private_key: bytes | bytearray, secret: str, label: str, cost: KdfCost = DEFAULT_COST
) -> WrappedKey:
    """Wrap a private key under a key derived from a password or recovery code."""
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    kek = _derive(secret, salt, cost.time_cost, cost.memory_kib)
    try:
        blob = nonce + AESGCM(kek).encrypt(nonce, bytes(private_key), label.encode())
    finally:
        wipe(kek)
    return WrappedKey(salt, blob, cost.time_cost, cost.memory_kib)


def unwrap_key(wrapped: WrappedKey, secret: str, label: str) -> bytearray:
    """The private key, in a bytearray the caller wipes; WrongSecret if the secret is wrong."""
    kek = _derive(secret, wrapped.salt, wrapped.time_cost, wrapped.memory_kib)
    nonce, sealed = wrapped.blob[:NONCE_BYTES], wrapped.blob[NONCE_BYTES:]
    try:
        plain = AESGCM(kek).decrypt(nonce, sealed, label.encode())
    except InvalidTag as exc:
        raise WrongSecret("wrong password or recovery code") from exc
    finally:
        wipe(kek)
    key = bytearray(plain)
    wipe(plain)
    return key


def new_recovery_code() -> str:
    """A random recovery code (160 bits), in groups of four to copy by hand."""
    raw = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_code(code: str) -> str:
    """What a person typed, in the form it was printed (case and spaces forgiven)."""
    raw = "".join(c for c in code.upper() if c.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
