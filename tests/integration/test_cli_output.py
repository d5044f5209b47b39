"""The command line prints what a command is for; configuration mistakes are one line, 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def cardsapp(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `cardsapp ARGS` as a person would, in a fresh process."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CARDS_", "DATABASE_URL"))}
    environ.update(
        PYTHONPATH=str(ROOT),
        CARDS_INSTANCE_PATH=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
    )
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", "from cardsapp.cli import main; main()", *args],
        env=environ,
        input=stdin,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _json_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("{")]


def test_a_command_prints_only_what_it_is_for(tmp_path):
    done = cardsapp(tmp_path, "init-db")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Database schema is up to date."
    assert _json_lines(done.stderr) == []
    assert done.stderr.strip() == ""


def test_verbose_shows_the_log_lines_as_json(tmp_path):
    done = cardsapp(tmp_path, "-v", "init-db")
    assert done.returncode == 0, done.stderr
    assert any('"logger": "alembic' in line for line in _json_lines(done.stderr))


def test_importing_recipients_prints_one_line(tmp_path):
    assert cardsapp(tmp_path, "init-db").returncode == 0
    # The campaign's address key is held by the admin who makes it (her password on stdin).
    password = "Str0ng-Passphrase-Tulips-42\n"
    admin = cardsapp(
        tmp_path, "create-user", "keyholder@example.org", "--role", "admin", stdin=password
    )
    assert admin.returncode == 0, admin.stderr
    made = cardsapp(
        tmp_path,
        "create-campaign",
        "test-cli",
        "--title",
        "Test",
        "--as",
        "keyholder@example.org",
        stdin=password,
    )
    assert made.returncode == 0, made.stderr
    people = tmp_path / "people.csv"
    people.write_text(
        "public_label;name;address_line1;address_line2;city;postcode;country\n"
        "Mother in Example region;Testa Uno;1 Fake Street;;Fictionville;FX001;Nowhereland\n",
        encoding="utf-8-sig",
    )
    done = cardsapp(tmp_path, "import-recipients", str(people), "--campaign", "test-cli")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Imported 1 recipients into campaign test-cli."
    assert _json_lines(done.stdout + done.stderr) == []


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"CARDS_ENV": "staging"}, "CARDS_ENV"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://nobody@localhost/cards"}, "DATABASE_URL"),
        ({"CARDS_ENV": "production"}, "SECRET_KEY"),
    ],
    ids=["unknown-env", "bad-database-url", "driver-missing", "production-without-secret"],
)
def test_a_configuration_mistake_is_one_line_and_status_2(tmp_path, env, words):
    done = cardsapp(tmp_path, "init-db", **env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert words in lines[0] and "Traceback" not in done.stderr
    assert done.stdout == ""
