"""Address encryption: sealed to campaign keys that only keyholders' passwords unwrap.

- address.py: addresses sealed to a campaign's X25519 public key (sealed boxes).
- wrapping.py: private keys wrapped under Argon2id of a password or recovery code.
- memory.py: zeroing secrets once used.
- fernet.py: the old standing key, read only to migrate old tokens.
"""

from cardsapp.crypto.address import AddressKeyError, PostalAddress
from cardsapp.crypto.fernet import AddressBox

__all__ = ["AddressBox", "AddressKeyError", "PostalAddress"]
