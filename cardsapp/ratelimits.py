"""Rate limits that remember no address: keyed hashes under an hourly key, coarse windows.

A client address (and a donor's browser token) is never a Redis key: each becomes an HMAC
under a key made for the current hour. The hour's key is random, shared by every process
through Redis and expires two hours later; it is mixed with SECRET_KEY, so a copy of Redis
alone links nothing, and once an hour's key is gone nobody can tell whose counters they were.
Counters are fixed windows (a minute, ten minutes, an hour) holding a number and an expiry:
no timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

import redis

HOUR_S = 3600
WINDOW_S = 600  # the windows a browser and an address are counted in
MINUTE_S = 60
_PREFIX = "rl"


class HourlyKeys:
    """The hashing key of each hour, kept in Redis (shared by processes) and in memory."""

    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key.encode()
        self._lock = threading.Lock()
        self._hour = -1
        self._key = b""

    def key(self, connection: redis.Redis | None, now: float | None = None) -> bytes:
        """The key of the hour `now` falls in."""
        hour = int((time.time() if now is None else now) // HOUR_S)
        with self._lock:
            if hour == self._hour:
                return self._key
        seed = self._shared_seed(connection, hour)
        key = hmac.new(self._secret, b"rate-limits:" + seed, hashlib.sha256).digest()
        with self._lock:
            self._hour, self._key = hour, key
        return key

    @staticmethod
    def _shared_seed(connection: redis.Redis | None, hour: int) -> bytes:
        fresh = secrets.token_bytes(32)
        if connection is None:
            return fresh
        name = f"{_PREFIX}:hourkey:{hour}"
        try:
            # Whoever comes first in the hour sets it; it is gone an hour after the hour ends.
            connection.set(name, fresh, nx=True, ex=2 * HOUR_S)
            stored = connection.get(name)
        except redis.RedisError:
            return fresh
        return stored if isinstance(stored, bytes) else fresh


def keyed_hash(key: bytes, value: str) -> str:
    """A short HMAC of an address or token: enough to count by, useless to look up."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:24]


@dataclass(frozen=True)
class SendLimits:
    """How many cards may be sent, per browser, per address and for the whole site."""

    # One browser: a few in ten minutes, and its k-th card in an hour costs k, out of a
    # budget (15 allows 5 an hour: 1 + 2 + 3 + 4 + 5).
    browser_per_window: int = 3
    browser_hour_budget: int = 15
    # One address: a carrier's NAT, a Tor exit or an office holds many donors.
    address_per_window: int = 60
    # The whole site, per minute: moderators cannot read faster than this anyway.
    global_per_minute: int = 600

    @classmethod
    def parse(cls, text: str) -> SendLimits:
        """`browser=3,budget=15,address=60,global=600` (any subset; the rest default)."""
        names = {
            "browser": "browser_per_window",
            "budget": "browser_hour_budget",
            "address": "address_per_window",
            "global": "global_per_minute",
        }
        values: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, number = part.partition("=")
            if name.strip() not in names or not number.strip().isdigit():
                raise ValueError(f"unknown send limit {part!r}")
            values[names[name.strip()]] = int(number)
        return cls(**values)


# For test suites that send many cards from one browser and one address.
UNLIMITED_SENDS = SendLimits(10**6, 10**12, 10**6, 10**6)


@dataclass(frozen=True)
class Sender:
    """Who is sending, as the limits see it: two keyed hashes, never the values."""

    browser: str
    address: str


def hour_cost(sends_this_hour: int) -> int:
    """What a browser has spent after n sends in an hour: the k-th costs k."""
    return sends_this_hour * (sends_this_hour + 1) // 2


def _counters(sender: Sender, now: float) -> dict[str, tuple[str, int]]:
    window, hour, minute = int(now // WINDOW_S), int(now // HOUR_S), int(now // MINUTE_S)
    return {
        "browser": (f"{_PREFIX}:send:b:{window}:{sender.browser}", WINDOW_S),
        "browser_hour": (f"{_PREFIX}:send:bh:{hour}:{sender.browser}", HOUR_S),
        "address": (f"{_PREFIX}:send:a:{window}:{sender.address}", WINDOW_S),
        "global": (f"{_PREFIX}:send:g:{minute}", MINUTE_S),
    }


def send_refusal(
    connection: redis.Redis, sender: Sender, limits: SendLimits, now: float | None = None
) -> str | None:
    """Which limit refuses one more card ("browser", "address", "site"), or None.

    Reads only: a refused or failed send is never counted (count_send follows a stored card).
    With Redis unreachable nobody is refused: a card matters more than a limit, and the
    web process's few render slots still bound what a flood can cost.
    """
    counters = _counters(sender, time.time() if now is None else now)
    try:
        values: list[bytes | None] = list(connection.mget([n for n, _ttl in counters.values()]))  # type: ignore[arg-type]
    except redis.RedisError:
        return None
    seen = dict(zip(counters, (int(v or 0) for v in values), strict=True))
    if seen["global"] >= limits.global_per_minute:
        return "site"
    if seen["address"] >= limits.address_per_window:
        return "address"
    if seen["browser"] >= limits.browser_per_window:
        return "browser"
    if hour_cost(seen["browser_hour"] + 1) > limits.browser_hour_budget:
        return "browser"
    return None


def count_send(connection: redis.Redis, sender: Sender, now: float | None = None) -> None:
    """Count a card that was stored, in every window it falls in."""
    counters = _counters(sender, time.time() if now is None else now)
    try:
        with connection.pipeline(transaction=False) as pipe:
            for name, ttl in counters.values():
                pipe.incr(name)
                pipe.expire(name, ttl)
            pipe.execute()
    except redis.RedisError:
        return
