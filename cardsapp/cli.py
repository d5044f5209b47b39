"""The `cardsapp` command: a Flask CLI group over the services."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from cardsapp.extensions import db
from cardsapp.models import Role


def _create_app() -> Flask:
    from cardsapp import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """cardsapp: greeting-card campaigns for people in hardship."""


def design_slugs() -> list[str]:
    """The slugs of the designs shipped in card_designs/."""
    folder = current_app.extensions["cardsapp.config"].designs_dir
    return sorted(p.parent.name for p in folder.glob("*/design.toml"))


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from cardsapp.schema import upgrade_schema

    upgrade_schema(db.engine)
    click.echo("Database schema is up to date.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Fill an empty database with a demo campaign, recipients and staff."""
    from cardsapp.services.demo import DemoRefused, fill_demo

    box = current_app.extensions["cardsapp.addresses"]
    try:
        logins = fill_demo(db.session, box, design_slugs())
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo("Demo campaign created. Staff logins (demo only):")
    for login in logins:
        click.echo(f"  {login.role.value:<10} {login.email:<26} {login.password}")


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeat for several roles.",
)
@with_appcontext
def create_user_command(email: str, roles: tuple[str, ...]) -> None:
    """Create a staff account; the password is read from standard input."""
    from cardsapp.services.users import AccountError, create_user

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(db.session, email, password, {Role(r) for r in roles})
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    from cardsapp.services.audit import AuditAction, record_event

    target = f"user:{user.id}"
    record_event(db.session, None, AuditAction.USER_CREATED, target, roles=sorted(roles), via="cli")
    db.session.commit()
    click.echo(f"Created account #{user.id} with roles: {', '.join(sorted(roles))}")


@click.command("import-recipients")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "slug", default=None, help="Campaign slug (default: the current one).")
@with_appcontext
def import_recipients_command(csv_file: Path, slug: str | None) -> None:
    """Import recipients from a UTF-8 CSV file: all of them, or none if any line is wrong."""
    from sqlalchemy import select

    from cardsapp.models import Campaign
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.campaigns import current_campaign
    from cardsapp.services.recipients import ImportRefused, import_recipients

    if slug:
        campaign = db.session.scalars(select(Campaign).where(Campaign.slug == slug)).first()
    else:
        campaign = current_campaign(db.session)
    if campaign is None:
        raise click.ClickException("No such campaign: create one first (or run `cardsapp demo`).")
    box = current_app.extensions["cardsapp.addresses"]
    try:
        added = import_recipients(db.session, box, campaign, csv_file.read_bytes())
    except ImportRefused as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(error.describe(), err=True)
        raise click.ClickException(
            f"{len(exc.errors)} line(s) with errors in {csv_file.name}: nothing was imported."
        ) from exc
    record_event(
        db.session,
        None,
        AuditAction.RECIPIENTS_IMPORTED,
        f"campaign:{campaign.id}",
        count=len(added),
        via="cli",
    )
    db.session.commit()
    click.echo(f"Imported {len(added)} recipients into campaign {campaign.slug}.")


@click.command("rotate-keys")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--after-id", default=0, type=int, help="Resume after this recipient id.")
@with_appcontext
def rotate_keys_command(batch_size: int, after_id: int) -> None:
    """Re-encrypt every address under the first key of CARDS_ADDRESS_KEYS.

    Each batch is committed on its own, so an interrupted run is resumed with
    --after-id (the last id it printed) or simply run again: rotating an
    address already under the current key is harmless.
    """
    from cardsapp.services.keys import rotate_address_batch

    box = current_app.extensions["cardsapp.addresses"]
    total, last_id = 0, after_id
    while True:
        step = rotate_address_batch(db.session, box, last_id, batch_size)
        db.session.commit()
        if not step.rotated:
            break
        total, last_id = total + step.rotated, step.last_id
        click.echo(f"  re-encrypted {total} addresses (last id {last_id})")
    from cardsapp.services.audit import AuditAction, record_event

    record_event(db.session, None, AuditAction.KEYS_ROTATED, None, count=total, via="cli")
    db.session.commit()
    click.echo(f"Rotated {total} addresses to the current key. Older keys may now be removed.")


def init_app(app: Flask) -> None:
    """Register the commands on the app (and so on the `cardsapp` group)."""
    from cardsapp.devstack import dev_command

    for command in (
        init_db_command,
        demo_command,
        create_user_command,
        dev_command,
        rotate_keys_command,
        import_recipients_command,
    ):
        app.cli.add_command(command)
