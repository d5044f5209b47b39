import pytest
from cryptography.fernet import Fernet

from cardsapp.config import Config, ConfigError


def test_production_refuses_to_start_without_secret_or_address_keys(monkeypatch, tmp_path):
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("CARDS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CARDS_ADDRESS_KEYS", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY and CARDS_ADDRESS_KEYS"):
        Config.from_env()


def test_production_refuses_a_short_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("CARDS_ADDRESS_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="at least 32"):
        Config.from_env()


def test_production_starts_with_real_keys(monkeypatch, tmp_path):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "q7Vw-2xLp9ZrT4mKc8NbY3hJd6FgS1aE")
    monkeypatch.setenv("CARDS_ADDRESS_KEYS", f"{key}, {Fernet.generate_key().decode()}")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/cards")
    config = Config.from_env()
    assert config.production
    assert config.address_keys[0] == key and len(config.address_keys) == 2
    assert config.flask_settings()["SESSION_COOKIE_SECURE"] is True


def test_a_laptop_gets_sqlite_in_instance_and_keeps_its_dev_secrets(monkeypatch, tmp_path):
    for name in ("CARDS_ENV", "SECRET_KEY", "CARDS_ADDRESS_KEYS", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARDS_INSTANCE_PATH", str(tmp_path))
    first, second = Config.from_env(), Config.from_env()
    assert first.database_url == f"sqlite:///{tmp_path / 'cardsapp.sqlite3'}"
    assert first.redis_url is None
    assert first.secret_key == second.secret_key
    assert first.address_keys == second.address_keys
    assert (tmp_path / "dev-address-key").stat().st_mode & 0o077 == 0


def test_a_garbled_number_is_reported_by_name(monkeypatch, tmp_path):
    monkeypatch.setenv("CARDS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CARDS_RETENTION_DAYS", "sixty")
    with pytest.raises(ConfigError, match="CARDS_RETENTION_DAYS"):
        Config.from_env()


@pytest.mark.parametrize(
    "secret",
    ["change-me-change-me-change-me-change-me", "a" * 40, "my-super-secret-key-for-production-use"],
)
def test_production_refuses_a_placeholder_secret(monkeypatch, tmp_path, secret):
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("CARDS_ADDRESS_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="placeholder"):
        Config.from_env()
