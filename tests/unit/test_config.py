import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cardsapp.config import Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("CARDS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CARDS_ADDRESS_KEYS", raising=False)
    with pytest.raises(ConfigError, match="without SECRET_KEY"):
        Config.from_env()


def test_production_needs_no_address_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("CARDS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "q7Vw-2xLp9ZrT4mKc8NbY3hJd6FgS1aE")
    monkeypatch.delenv("CARDS_ADDRESS_KEYS", raising=False)
    config = Config.from_env()
    assert config.production and config.address_keys == []
    assert list(tmp_path.iterdir()) == []  # no key written beside the database either


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
    assert first.address_keys == [] and not (tmp_path / "dev-address-key").exists()
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


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


@pytest.mark.parametrize("name", ["Production", "prod", "PRODUCTION", "dev", " production", ""])
def test_a_mistyped_environment_is_refused_not_run_as_development(monkeypatch, tmp_path, name):
    monkeypatch.setenv("CARDS_ENV", name)
    monkeypatch.setenv("CARDS_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="CARDS_ENV must be one of"):
        Config.from_env()
    # Nothing was written beside the database: no development keys for a production server.
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "secret",
    ["12345678901234567890123456789012", "abcdefgh" * 5, "qwertyuiopasdfghjklzxcvbnm123456"],
)
def test_production_refuses_a_guessable_secret(monkeypatch, tmp_path, secret):
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("CARDS_ADDRESS_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="placeholder"):
        Config.from_env()


@pytest.mark.parametrize(
    "key",
    [
        base64.urlsafe_b64encode(bytes(32)).decode(),
        base64.urlsafe_b64encode(b"\x01" * 32).decode(),
        "not-a-fernet-key",
    ],
)
def test_production_refuses_an_address_key_that_is_not_random(monkeypatch, tmp_path, key):
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "q7Vw-2xLp9ZrT4mKc8NbY3hJd6FgS1aE")
    monkeypatch.setenv("CARDS_ADDRESS_KEYS", f"{Fernet.generate_key().decode()},{key}")
    with pytest.raises(ConfigError, match="key 2"):
        Config.from_env()


def test_a_configuration_mistake_is_one_line_and_status_2(tmp_path):
    env = {
        **os.environ,
        "CARDS_ENV": "Production",
        "CARDS_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    for command in (
        [sys.executable, "-c", "from cardsapp.cli import main; main()", "init-db"],
        [sys.executable, "-m", "worker", "--burst"],
    ):
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "CARDS_ENV" in done.stderr
