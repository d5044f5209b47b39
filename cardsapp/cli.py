"""The `cardsapp` command: a Flask CLI group over the services."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from cardsapp.extensions import db
from cardsapp.models import Campaign, Role
from cardsapp.services.batches.policy import MAX_CARDS
from cardsapp.services.residue import ADDRESS_TABLES, PURGE_TABLES, scrub_after_delete

SCRUB_INCOMPLETE = (
    "Older transactions still see some deleted rows: their bytes stay in the database files "
    "until the command is run again after those transactions end."
)


# Long-running services log JSON lines at INFO, as gunicorn and the worker do.
SERVICE_COMMANDS = frozenset({"run", "dev"})


def _create_app() -> Flask:
    from cardsapp import create_app
    from cardsapp.config import ConfigError

    try:
        return create_app()
    except ConfigError as error:
        # A configuration mistake is one line and status 2, never a traceback.
        click.echo(f"cardsapp: {error}", err=True)
        sys.exit(2)
    except SQLAlchemyError as error:
        _database_unusable(error)
    except ImportError as error:
        # A DATABASE_URL naming a database whose driver is not installed (mysql://...).
        if "sqlalchemy/dialects" not in traceback.format_exc():
            raise
        click.echo(f"cardsapp: DATABASE_URL names a database we cannot use: {error}", err=True)
        sys.exit(2)


def _database_unusable(error: SQLAlchemyError) -> NoReturn:
    # The URL itself is never printed: it may hold a password.
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
    if isinstance(error, ArgumentError):
        click.echo(f"cardsapp: DATABASE_URL is not a database URL we can use: {detail}", err=True)
    else:
        click.echo(f"cardsapp: the database (DATABASE_URL) cannot be used: {detail}", err=True)
    sys.exit(2)


class CardsGroup(FlaskGroup):
    """Flask's CLI group, quiet on a terminal, and one line for an unusable database."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Decide how much to log before the app is loaded to find the command."""
        verbose = any(a in ("-v", "--verbose") for a in args[: self._first_command(args)])
        rest = super().parse_args(ctx, args)
        command = next((a for a in args if not a.startswith("-")), None)
        if command not in SERVICE_COMMANDS:
            from cardsapp.logs import quiet_command_line

            quiet_command_line(verbose)
        return rest

    @staticmethod
    def _first_command(args: list[str]) -> int:
        return next((i for i, a in enumerate(args) if not a.startswith("-")), len(args))

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; a database that cannot be reached is one line, status 2."""
        try:
            return super().invoke(ctx)
        except (OperationalError, ArgumentError) as error:
            _database_unusable(error)


@click.group(cls=CardsGroup, create_app=_create_app, add_version_option=False)
@click.option(
    "-v", "--verbose", is_flag=True, help="Show the log lines (JSON) a service would write."
)
def main(verbose: bool) -> None:
    """cardsapp: greeting-card campaigns for people in hardship."""


def wait_option(help_text: str):
    """`--wait SECONDS` (0 to 3600, default 0), for commands that can wait for a service."""
    return click.option(
        "--wait", "wait_seconds", type=click.IntRange(0, 3600), default=0, help=help_text
    )


@main.command("healthcheck", with_appcontext=False)
@click.option("--url", default=None, help="Check this /healthz URL (the web container).")
@wait_option("Retry for up to this many seconds.")
def healthcheck_command(url: str | None, wait_seconds: int) -> None:
    """Exit 0 when the site (--url), or else the database and Redis, answer; 1 if not."""
    from cardsapp.config import Config, ConfigError
    from cardsapp.health import database_check, http_check, redis_check, run_checks

    if url:
        checks = [http_check(url)]
    else:
        try:
            config = Config.from_env()
        except ConfigError as error:
            click.echo(f"cardsapp: {error}", err=True)
            sys.exit(2)
        checks = [database_check(config.database_url)]
        if config.redis_url:
            checks.append(redis_check(config.redis_url))
    if failures := run_checks(checks, wait_seconds):
        click.echo("unhealthy: " + ", ".join(failures), err=True)
        sys.exit(1)
    click.echo("healthy")


def chosen_campaign(slug: str | None) -> Campaign:
    """The campaign --campaign names; without it, the only one not archived; else an error."""
    from cardsapp.services.campaigns import campaign_by_slug, sole_active_campaign

    campaign = (
        campaign_by_slug(db.session, slug, staff=True) if slug else sole_active_campaign(db.session)
    )
    if campaign is not None:
        return campaign
    if slug:
        raise click.ClickException(f"No campaign {slug!r}: `cardsapp campaign` lists them.")
    raise click.ClickException(
        "Say which campaign with --campaign SLUG (none, or several, are running); "
        "create one with `cardsapp create-campaign`."
    )


@click.command("init-db")
@wait_option("First wait up to this many seconds for the database to answer.")
@with_appcontext
def init_db_command(wait_seconds: int) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from cardsapp.health import database_check, run_checks
    from cardsapp.schema import upgrade_schema

    # A container started with its database (compose's depends_on starts, it does not wait).
    url = current_app.extensions["cardsapp.config"].database_url
    if failures := run_checks([database_check(url)], wait_seconds):
        raise click.ClickException(f"No database after {wait_seconds} s ({failures[0]}).")
    upgrade_schema(db.engine)
    click.echo("Database schema is up to date.")


@click.command("demo")
@click.option("--remove", is_flag=True, help="Delete the demo campaign, its data and demo staff.")
@with_appcontext
def demo_command(remove: bool) -> None:
    """Fill an empty database with a demo campaign, recipients and staff (or remove them)."""
    from cardsapp.render.designs import readable_designs
    from cardsapp.services.demo import DemoRefused, fill_demo, remove_demo

    config = current_app.extensions["cardsapp.config"]
    if remove:
        removed = remove_demo(db.session, config.data_dir)
        db.session.commit()
        scrub_after_delete(db.engine, (*PURGE_TABLES, *ADDRESS_TABLES))
        click.echo(
            f"Removed {removed.campaigns} demo campaign(s) and {removed.users} demo account(s)."
        )
        return
    if config.env == "production":
        raise click.ClickException("The demo is refused in production (CARDS_ENV=production).")
    try:
        logins = fill_demo(db.session, list(readable_designs(config.designs_dir)), config.kdf_cost)
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
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "slug", default=None, help="Campaign slug (default: the current one).")
@click.option(
    "--encoding",
    type=click.Choice(["cp1251"]),
    default=None,
    help="Convert a CSV saved in the Windows Cyrillic encoding (default: UTF-8 only).",
)
@with_appcontext
def import_recipients_command(file: Path, slug: str | None, encoding: str | None) -> None:
    """Import recipients from a .csv (UTF-8, comma or semicolon) or .xlsx file: all or none."""
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.keyholders import NoCampaignKey
    from cardsapp.services.recipient_files import MAX_FILE_BYTES
    from cardsapp.services.recipients import Encoding, ImportRefused, import_recipients

    campaign = chosen_campaign(slug)
    with file.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    try:
        added = import_recipients(
            db.session, campaign, data, Encoding(encoding) if encoding else None
        )
    except NoCampaignKey as exc:
        raise click.ClickException(
            f"Campaign {campaign.slug} has no address key yet: "
            f"cardsapp keys setup {campaign.slug} --holder EMAIL"
        ) from exc
    except ImportRefused as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(error.describe(), err=True)
        raise click.ClickException(
            f"{len(exc.errors)} line(s) with errors in {file.name}: nothing was imported."
        ) from exc
    record_event(
        db.session,
        None,
        AuditAction.RECIPIENTS_IMPORTED,
        f"campaign:{campaign.id}",
        count=added,
        via="cli",
    )
    db.session.commit()
    click.echo(f"Imported {added} recipients into campaign {campaign.slug}.")


@click.command("build-batch")
@click.option(
    "--max-cards", type=click.IntRange(1, MAX_CARDS), default=None, help="At most this many."
)
@click.option(
    "--layout",
    type=click.Choice(["home_a4", "home_letter", "print_shop"]),
    default="home_a4",
    show_default=True,
)
@click.option("--campaign", "slug", default=None, help="Campaign slug (default: the current one).")
@click.option("--wait", is_flag=True, help="Build the PDFs now, in this process, before returning.")
@with_appcontext
def build_batch_command(max_cards: int | None, layout: str, slug: str | None, wait: bool) -> None:
    """Claim approved cards into a new print batch and print its code."""
    from cardsapp.models import BatchLayout, BatchStatus
    from cardsapp.render.designs import designs
    from cardsapp.services.batches import BatchError, build_batch, create_batch

    config = current_app.extensions["cardsapp.config"]
    campaign = chosen_campaign(slug)
    campaign_id = campaign.id
    db.session.rollback()  # the claim starts its own transaction
    try:
        batch = create_batch(
            db.session, campaign_id, max_cards or config.batch_default_cards, BatchLayout(layout)
        )
        batch_id, code = batch.id, batch.code
        db.session.commit()
    except BatchError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if wait:
        # The queued job will find the batch ready and leave it alone.
        batch = build_batch(
            db.session,
            batch_id,
            config.data_dir,
            designs(config.designs_dir),
            print_icc=config.print_icc,
        )
        db.session.commit()
        if batch.status != BatchStatus.READY:
            raise click.ClickException(f"Batch {code} is {batch.status}.")
        click.echo(f"{batch.card_count} cards in {batch.envelope_count} envelopes.", err=True)
    click.echo(code)


@click.command("export-batch")
@click.argument("code")
@click.option("--cards", "cards_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--labels", "labels_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", type=click.Choice(["L7163", "5160"]), default="L7163", show_default=True)
@click.option(
    "--as", "as_email", default=None, help="Labels: the keyholder whose password follows."
)
@with_appcontext
def export_batch_command(
    code: str, cards_path: Path | None, labels_path: Path | None, sheet: str, as_email: str | None
) -> None:
    """Write a batch's cards PDF and/or its labels PDF to the given paths (audited).

    Labels need a keyholder: her e-mail (--as) and her password on standard input.
    """
    import io
    import shutil

    from cardsapp.cli_keys import opened_key, verified_keyholder
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.batches import (
        BatchError,
        batch_by_code,
        batch_files,
        file_parts,
        has_file,
        write_labels,
    )

    if not cards_path and not labels_path:
        raise click.UsageError("Give --cards PATH, --labels PATH or both.")
    config = current_app.extensions["cardsapp.config"]
    try:
        batch = batch_by_code(db.session, code)
        if cards_path:
            source = batch_files(config.data_dir, batch)["cards"]
            if has_file(db.session, batch.id, "cards"):
                with cards_path.open("wb") as handle:
                    for part in file_parts(db.session, batch.id, "cards"):
                        handle.write(part)
            elif source.is_file():  # built before files were kept in the database
                shutil.copyfile(source, cards_path)
            else:
                raise click.ClickException(f"Batch {batch.code} has no cards PDF ({batch.status}).")
            record_event(
                db.session,
                None,
                AuditAction.BATCH_DOWNLOADED,
                f"batch:{batch.code}",
                file="cards",
                via="cli",
            )
            click.echo(f"Cards: {cards_path}")
        if labels_path:
            user, password = verified_keyholder(as_email)
            labels = io.BytesIO()
            with opened_key(batch.campaign_id, user, password) as key:
                write_labels(db.session, key, batch, labels, sheet)
            labels_path.write_bytes(labels.getvalue())
            record_event(
                db.session,
                user.id,
                AuditAction.LABELS_DOWNLOADED,
                f"batch:{batch.code}",
                sheet=sheet,
                via="cli",
            )
            click.echo(f"Labels: {labels_path}")
    except BatchError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Delete message texts and files of batches mailed, and of cards rejected, long ago."""
    from cardsapp.services.batches import purge_due, purge_turn

    config = current_app.extensions["cardsapp.config"]
    with purge_turn(db.engine) as mine:
        if not mine:
            raise click.ClickException("Another purge is running; nothing was done.")
        purged, rejected = purge_due(
            db.session, config.data_dir, config.retention_days, db.session.commit
        )
    if (purged or rejected) and not scrub_after_delete(db.engine, PURGE_TABLES):
        click.echo(SCRUB_INCOMPLETE)
    click.echo(f"Purged {len(purged)} batches mailed over {config.retention_days} days ago.")
    click.echo(
        f"Purged the texts of {rejected} cards rejected over {config.retention_days} days ago."
    )


def init_app(app: Flask) -> None:
    """Register the commands on the app (and so on the `cardsapp` group)."""
    from cardsapp.cli_keys import COMMANDS as KEY_COMMANDS
    from cardsapp.devstack import dev_command

    for command in (
        init_db_command,
        demo_command,
        create_user_command,
        dev_command,
        import_recipients_command,
        *KEY_COMMANDS,
    ):
        app.cli.add_command(command)
    for command in (build_batch_command, export_batch_command, purge_command):
        app.cli.add_command(command)
    from cardsapp.campaign_cli import campaign_command, create_campaign_command

    for command in (create_campaign_command, campaign_command):
        app.cli.add_command(command)
