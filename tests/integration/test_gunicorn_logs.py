"""Gunicorn itself, as production runs it: its own log lines carry no client address."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gunicorn(tmp_path: Path, redis_url: str, **env: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    environment = {
        **os.environ,
        "CARDS_ENV": "testing",
        "CARDS_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cards.sqlite3'}",
        "REDIS_URL": redis_url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "cardsapp:create_app()"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, port


def test_gunicorns_invalid_request_lines_name_no_client_address(tmp_path, redis_url):
    process, port = _gunicorn(tmp_path, redis_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        with connection:
            # The worker warms fonts and artwork before it answers.
            connection.settimeout(60)
            connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")
            connection.recv(1000)
        time.sleep(0.5)
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=30)
    assert "Invalid request from ip=" in err
    assert "127.0.0.1" not in err.replace(f"127.0.0.1:{port}", "")


def test_gunicorn_refuses_a_mistyped_environment_in_one_line(tmp_path, redis_url):
    process, _port = _gunicorn(tmp_path, redis_url, CARDS_ENV="prod")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.strip().splitlines() == [
        "cardsapp: CARDS_ENV must be one of development, production, testing (exactly), got 'prod'."
    ]
