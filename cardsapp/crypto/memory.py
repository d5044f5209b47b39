"""Overwrite secrets in memory once they are used, so a process keeps no copy for long.

Python frees an object without clearing it: the bytes of a key or an address stay in the heap
until something else happens to take their place, and a core dump or /proc/<pid>/mem of the
process finds them. What we hold in a bytearray we zero in place. Immutable `bytes` that a
library hands back (a decrypted address, an unwrapped key) we zero through ctypes: only
objects we made ourselves and hold the last reference to, never shared or interned ones
(tests/unit/test_crypto_memory.py checks the object layout this relies on).
"""

from __future__ import annotations

import ctypes
import sys

# Where a bytes object's data starts: the size of an empty one, less its trailing NUL.
_BYTES_DATA = sys.getsizeof(b"") - 1
# Where a compact str's characters start: ASCII strings have the smaller header.
_ASCII_DATA = sys.getsizeof("") - 1
_COMPACT_DATA = sys.getsizeof("é" + "x") - 3  # built at run time: never a cached object
# PyASCIIObject: refcount, type, length, hash, then the state bits (interned:2, kind:3,
# compact:1, ascii:1) on CPython 3.11 to 3.13.
_STATE = 4 * ctypes.sizeof(ctypes.c_ssize_t)
# A non-ASCII str may keep a UTF-8 copy: its length and pointer follow the ASCII header.
_UTF8_LENGTH = _ASCII_DATA
_UTF8_POINTER = _ASCII_DATA + ctypes.sizeof(ctypes.c_ssize_t)


def wipe(buffer: bytes | bytearray | memoryview | None) -> None:
    """Overwrite a secret's bytes with zeros (a bytes object of length 2 or more only)."""
    if buffer is None:
        return
    if isinstance(buffer, bytearray | memoryview):
        buffer[:] = bytes(len(buffer))
        return
    # Empty and one-byte bytes objects are shared singletons: never touch them.
    if isinstance(buffer, bytes) and len(buffer) > 1:
        ctypes.memset(id(buffer) + _BYTES_DATA, 0, len(buffer))


def wipe_text(text: str | None) -> None:
    """Overwrite a str's characters (and its cached UTF-8 copy) with zeros.

    Only for strings this process decrypted and holds alone: one- and zero-character strings
    are shared singletons and are left alone, as are interned ones.
    """
    if type(text) is not str or len(text) < 2:
        return
    address = id(text)
    state = ctypes.c_uint32.from_address(address + _STATE).value
    interned, kind, compact = state & 3, (state >> 2) & 7, (state >> 5) & 1
    if interned or not compact or kind not in (1, 2, 4):
        return
    if text.isascii():
        ctypes.memset(address + _ASCII_DATA, 0, len(text))
        return
    utf8_length = ctypes.c_ssize_t.from_address(address + _UTF8_LENGTH).value
    utf8 = ctypes.c_void_p.from_address(address + _UTF8_POINTER).value
    if utf8 and utf8_length > 0:
        ctypes.memset(utf8, 0, utf8_length)
    ctypes.memset(address + _COMPACT_DATA, 0, len(text) * kind)
