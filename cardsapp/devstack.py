"""`cardsapp dev`: the whole service on one laptop, for `make run`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from cardsapp.config import PROJECT_ROOT, Config
from cardsapp.extensions import db
from cardsapp.models import Campaign
from cardsapp.redis_server import EmbeddedRedis
from cardsapp.schema import upgrade_schema

DEMO_LOGINS = "demo-logins.txt"


def _prepare_database(config: Config) -> str:
    """init-db, and demo data on first use; returns the demo logins text."""
    from cardsapp.render.designs import readable_designs
    from cardsapp.services.demo import fill_demo

    upgrade_schema(db.engine)
    logins_file = config.instance_path / DEMO_LOGINS
    if not db.session.scalar(select(func.count(Campaign.id))):
        logins = fill_demo(db.session, list(readable_designs(config.designs_dir)), config.kdf_cost)
        db.session.commit()
        logins_file.write_text(
            "".join(f"  {x.role.value:<10} {x.email:<26} {x.password}\n" for x in logins)
        )
        logins_file.chmod(0o600)
    return logins_file.read_text() if logins_file.exists() else "  (see your own accounts)\n"


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def dev_command(host: str, port: int) -> None:
    """Run web, one worker and (without REDIS_URL) a private Redis, until Ctrl-C."""
    config: Config = current_app.extensions["cardsapp.config"]
    logins = _prepare_database(config)
    env = dict(os.environ)
    redis = None
    if not config.redis_url:
        redis = EmbeddedRedis(config.instance_path / "redis").start()
        env["REDIS_URL"] = redis.url
    bin_dir = Path(sys.executable).parent
    children = [
        subprocess.Popen(  # noqa: S603 - fixed argv
            [
                str(bin_dir / "gunicorn"),
                "--config",
                str(PROJECT_ROOT / "gunicorn.conf.py"),
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "cardsapp:create_app()",
            ],
            env=env,
        ),
        subprocess.Popen([sys.executable, "-m", "worker"], env=env),
    ]
    click.echo(f"\ncardsapp is running at http://{host}:{port}/  (Ctrl-C stops it)")
    click.echo("Staff logins (demo only):\n" + logins)

    def _stop(*_args: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        click.echo("A process stopped; shutting down.", err=True)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if redis:
            redis.stop()
