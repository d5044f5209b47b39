"""Configuration: the only module that reads the environment."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cardsapp.crypto.wrapping import KdfCost

from cardsapp.ratelimits import SendLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


# Words that betray a secret copied from documentation rather than generated.
PLACEHOLDERS = ("change", "secret", "example", "default", "xxxx", "password", "replace")
# The only environments there are: a typo ("Production", "prod") must not quietly run as
# development, which writes development keys beside the database.
ENVIRONMENTS = ("development", "production", "testing")
# zxcvbn's estimate of guesses (log10) below which a SECRET_KEY is refused in production: a
# generated key (secrets.token_urlsafe(48)) scores 64; "1234567890" * 3 or "abcdefgh" * 5 about 4.
MIN_SECRET_GUESSES_LOG10 = 25


class ConfigError(RuntimeError):
    """The configuration cannot be used (for example production with defaults)."""


def env_int(name: str, default: int) -> int:
    """Read an integer environment variable, failing loudly on garbage."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def env_list(name: str) -> list[str]:
    """Read a comma-separated environment variable."""
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def check_secret_key(secret: str) -> None:
    """Refuse a SECRET_KEY that is short, a placeholder or guessable (repeats, sequences)."""
    from zxcvbn import zxcvbn

    if len(secret) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters in production.")
    guessable = zxcvbn(secret[:100])["guesses_log10"] < MIN_SECRET_GUESSES_LOG10
    if guessable or len(set(secret)) < 8 or any(w in secret.lower() for w in PLACEHOLDERS):
        raise ConfigError(
            "SECRET_KEY looks like a placeholder: generate a random one "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )


def check_address_keys(keys: list[str]) -> None:
    """Refuse address keys that are not Fernet keys or carry little randomness (all zeros)."""
    import base64
    import binascii

    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ConfigError(f"CARDS_ADDRESS_KEYS: key {position} is not a Fernet key.")
        # Each half (signing, encryption) of a generated key has ~16 distinct bytes of 16.
        if min(len(set(raw[:16])), len(set(raw[16:]))) < 8:
            raise ConfigError(
                f"CARDS_ADDRESS_KEYS: key {position} is not random (generate one with "
                "python3 -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')."
            )


def read_environment_name() -> str:
    """CARDS_ENV: development (the default), production or testing; anything else refused."""
    env = os.environ.get("CARDS_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(
            f"CARDS_ENV must be one of {', '.join(ENVIRONMENTS)} (exactly), got {env!r}."
        )
    return env


def _instance_secret(instance: Path, filename: str, make: Callable[[], str]) -> str:
    """A development secret kept in instance/, created on first use."""
    path = instance / filename
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


@dataclass
class Config:
    """Settings for one app; from_env() builds it from the environment."""

    env: str = "development"
    instance_path: Path = DEFAULT_INSTANCE
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    # Old Fernet keys: read only by `cardsapp migrate-addresses`, then destroyed. Addresses are
    # sealed to campaign keys that only keyholders' passwords open (docs/threat-model.md).
    address_keys: list[str] = field(default_factory=list)
    # Argon2id cost of wrapping a keyholder's key under her password (passes, KiB of memory).
    kdf_time_cost: int = 3
    kdf_memory_kib: int = 64 * 1024
    data_dir: Path = DEFAULT_INSTANCE / "batches"
    retention_days: int = 60
    # Print batches: a building batch whose job has been silent this long is rebuilt; the
    # worker looks for such batches (and expired ones to purge) this often.
    batch_stale_seconds: int = 60
    # The periodic purge scrubs PostgreSQL's files (VACUUM FULL locks the tables) at most
    # this often; the `purge` command always scrubs at once.
    scrub_every_hours: int = 6
    batch_recovery_interval_seconds: int = 60
    batch_default_cards: int = 200
    designs_dir: Path = PROJECT_ROOT / "card_designs"
    # A print shop's CMYK ICC profile: print-shop cards become PDF/X-4 in CMYK (else sRGB).
    print_icc: Path | None = None
    session_idle_minutes: int = 30
    fresh_login_minutes: int = 10
    max_content_length: int = 1024 * 1024
    testing: bool = False
    # Cards sent, per browser, per address and for the site (ratelimits.py, README).
    send_limits: SendLimits = field(default_factory=SendLimits)
    # Flask-Limiter strings, per keyed hash of the client address, in fixed windows.
    rate_limit_preview: str = "120 per minute"
    rate_limit_login: str = "10 per minute"
    rate_limit_status: str = "30 per minute"
    # Roles whose accounts must sign in with a second factor (TOTP); optional for others.
    two_factor_roles: tuple[str, ...] = ("admin", "addresser")
    # How many proxies in front of the app set X-Forwarded-For/-Proto (0: none trusted).
    proxy_hops: int = 0
    # Donor pages reread the campaign, its recipients and its counter this often (per
    # process); 0 reads them on every request.
    public_cache_seconds: int = 2
    # The public counter (page, JSON, badge) moves only at these wall-clock boundaries, so
    # that it does not timestamp each card for whoever watches it (docs/threat-model.md).
    counter_period_seconds: int = 600
    # Behind a proxy that stamps X-Request-Start: a request that waited longer than this
    # in the queue is refused with 503 at once (web/overload.py); 0 never refuses.
    queue_limit_ms: int = 1000
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def kdf_cost(self) -> KdfCost:
        """The Argon2id cost new wrapped keys get."""
        from cardsapp.crypto.wrapping import KdfCost

        return KdfCost(self.kdf_time_cost, self.kdf_memory_kib)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls) -> Config:
        """Read CARDS_ENV, DATABASE_URL, REDIS_URL, SECRET_KEY and friends."""
        env = read_environment_name()
        instance = Path(os.environ.get("CARDS_INSTANCE_PATH", DEFAULT_INSTANCE))
        secret = os.environ.get("SECRET_KEY", "")
        keys = env_list("CARDS_ADDRESS_KEYS")
        if env == "production":
            if not secret:
                raise ConfigError(
                    "Refusing to start in production without SECRET_KEY: "
                    "set it in the environment (see docs/operations.md)."
                )
            check_secret_key(secret)
            check_address_keys(keys)
        else:
            secret = secret or _instance_secret(
                instance, "dev-secret-key", lambda: secrets.token_urlsafe(48)
            )
        return cls(
            env=env,
            instance_path=instance,
            database_url=os.environ.get("DATABASE_URL")
            or f"sqlite:///{instance / 'cardsapp.sqlite3'}",
            redis_url=os.environ.get("REDIS_URL") or None,
            secret_key=secret,
            address_keys=keys,
            data_dir=Path(os.environ.get("CARDS_DATA_DIR") or instance / "batches"),
            retention_days=env_int("CARDS_RETENTION_DAYS", 60),
            batch_stale_seconds=env_int("CARDS_BATCH_STALE_SECONDS", 60),
            scrub_every_hours=env_int("CARDS_SCRUB_EVERY_HOURS", 6),
            batch_recovery_interval_seconds=env_int("CARDS_BATCH_RECOVERY_SECONDS", 60),
            designs_dir=Path(os.environ.get("CARDS_DESIGNS_DIR") or PROJECT_ROOT / "card_designs"),
            print_icc=Path(icc) if (icc := os.environ.get("CARDS_PRINT_ICC")) else None,
            send_limits=_send_limits(os.environ.get("CARDS_SEND_LIMITS", "")),
            rate_limit_status=os.environ.get("CARDS_RATE_LIMIT_STATUS") or cls.rate_limit_status,
            rate_limit_preview=os.environ.get("CARDS_RATE_LIMIT_PREVIEW") or cls.rate_limit_preview,
            rate_limit_login=os.environ.get("CARDS_RATE_LIMIT_LOGIN") or cls.rate_limit_login,
            proxy_hops=env_int("CARDS_PROXY_HOPS", 0),
            public_cache_seconds=env_int("CARDS_PUBLIC_CACHE_SECONDS", cls.public_cache_seconds),
            counter_period_seconds=env_int(
                "CARDS_COUNTER_PERIOD_SECONDS", cls.counter_period_seconds
            ),
            queue_limit_ms=env_int("CARDS_QUEUE_LIMIT_MS", cls.queue_limit_ms),
            kdf_time_cost=env_int("CARDS_KDF_TIME_COST", cls.kdf_time_cost),
            kdf_memory_kib=env_int("CARDS_KDF_MEMORY_KIB", cls.kdf_memory_kib),
        )

    def flask_settings(self) -> dict[str, object]:
        """The subset Flask and its extensions read from app.config."""
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url),
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "MAX_FORM_MEMORY_SIZE": 64 * 1024,
            "MAX_FORM_PARTS": 100,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.production,
            "SESSION_COOKIE_NAME": "cardsapp_session",
            "REMEMBER_COOKIE_DURATION": 0,
            "WTF_CSRF_TIME_LIMIT": 4 * 3600,
            # Our pages send Referrer-Policy: no-referrer, so browsers send no Referer
            # (and Origin: null) with forms; the token and SameSite cookies protect them.
            "WTF_CSRF_SSL_STRICT": False,
            "BABEL_DEFAULT_LOCALE": "en",
            "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_HEADERS_ENABLED": False,
            **self.extra,
        }


def _send_limits(text: str) -> SendLimits:
    try:
        return SendLimits.parse(text)
    except ValueError as exc:
        raise ConfigError(
            f"CARDS_SEND_LIMITS: {exc} (e.g. browser=3,budget=15,address=60,global=600)"
        ) from exc


def engine_options(url: str) -> dict[str, object]:
    """Engine settings per backend: pool sizes for PostgreSQL, timeouts for SQLite."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    return {"pool_size": 5, "max_overflow": 5, "pool_pre_ping": True, "pool_timeout": 5}


def config_for_tests(database_url: str, redis_url: str | None, tmp_path: Path) -> Config:
    """Settings for the test suite: real services, fast hashing, no CSRF bypass."""
    return Config(
        env="testing",
        instance_path=tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret-" + "x" * 32,
        data_dir=tmp_path / "batches",
        # The same Argon2id, cheap enough to run hundreds of times.
        kdf_time_cost=1,
        kdf_memory_kib=8 * 1024,
        testing=True,
        # Tests change the database directly and look at the next page at once.
        public_cache_seconds=0,
        counter_period_seconds=0,
        # Accounts made by the factories sign in with a password alone; the two-factor tests
        # turn the requirement on.
        two_factor_roles=(),
    )
