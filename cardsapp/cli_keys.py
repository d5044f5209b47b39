"""`cardsapp keys ...`, `rotate-keys` and `migrate-addresses`: campaign address keys.

Every command that opens a campaign's key reads a keyholder's password from standard input
(or a hidden prompt): the key is opened for that command only and closed before it ends.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from cardsapp.crypto.address import AddressKeyError
from cardsapp.extensions import db
from cardsapp.models import Campaign, User

if TYPE_CHECKING:
    from cardsapp.crypto.wrapping import KdfCost
    from cardsapp.services.keyholders import OpenCampaignKey


def read_secret(prompt: str) -> str:
    """A password or recovery code: a hidden prompt on a terminal, else one line of stdin."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True))
    return sys.stdin.readline().rstrip("\r\n")


def find_campaign(slug: str | None) -> Campaign:
    """The campaign named, else the only one running; a one-line error otherwise."""
    from cardsapp.cli import chosen_campaign

    return chosen_campaign(slug)


def find_staff(email: str) -> User:
    """The account with this e-mail; a one-line error if there is none."""
    from cardsapp.services.users import find_user

    user = find_user(db.session, email)
    if user is None:
        raise click.ClickException("No such account.")
    return user


def _cost() -> KdfCost:
    return current_app.extensions["cardsapp.config"].kdf_cost


def verified_keyholder(email: str | None) -> tuple[User, str]:
    """Ask for a keyholder's e-mail (unless given) and password, and check the password."""
    from cardsapp.services.keyholders import ensure_personal_key
    from cardsapp.services.users import check_password

    if not email:
        if not sys.stdin.isatty():
            raise click.UsageError("Give --as EMAIL: the keyholder whose password follows.")
        email = str(click.prompt("Keyholder's e-mail"))
    user = find_staff(email)
    password = read_secret("Password")
    if not check_password(db.session, user, password).ok:
        db.session.commit()  # the failed try counts towards the account's lock
        raise click.ClickException("Wrong e-mail or password.")
    ensure_personal_key(db.session, user, password, _cost())
    return user, password


@contextmanager
def opened_key(campaign_id: int, user: User, password: str) -> Iterator[OpenCampaignKey]:
    """The campaign's key, opened by this keyholder's password, for one block."""
    from cardsapp.services.keyholders import unlocked_campaign_key

    try:
        with unlocked_campaign_key(db.session, campaign_id, user, password) as key:
            yield key
    except AddressKeyError as exc:
        raise click.ClickException(f"The addresses stay closed: {exc}.") from exc


def scrub_old_keys() -> None:
    """After a commit that replaced ciphertexts or slots: their old bytes leave the files too."""
    from cardsapp.cli import SCRUB_INCOMPLETE
    from cardsapp.services.keys import KEY_TABLES
    from cardsapp.services.residue import scrub_after_delete

    if not scrub_after_delete(db.engine, KEY_TABLES):
        click.echo(SCRUB_INCOMPLETE)


def show_recovery_code(campaign: Campaign, code: str) -> None:
    """Print a recovery code once, with what to do with it."""
    click.echo(f"Recovery code for campaign {campaign.slug} (shown once, never stored):")
    click.echo(f"  {code}")
    click.echo("Print it or write it down, and keep it offline. It opens every address.")


@click.group("keys")
def keys_group() -> None:
    """Campaign address keys: set up, list, grant, revoke, recover."""


@keys_group.command("setup")
@click.argument("slug")
@click.option("--holder", "holders", multiple=True, required=True, help="E-mail; repeat.")
@with_appcontext
def setup_command(slug: str, holders: tuple[str, ...]) -> None:
    """Give a campaign its key pair, held by these admins or addressers; print its recovery code."""
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.keyholders import set_up_campaign_key

    campaign = find_campaign(slug)
    users = [find_staff(email) for email in holders]
    try:
        code = set_up_campaign_key(db.session, campaign, users, None, _cost())
    except AddressKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    record_event(
        db.session, None, AuditAction.KEYS_SET_UP, f"campaign:{campaign.id}", holders=len(users)
    )
    db.session.commit()
    show_recovery_code(campaign, code)


@keys_group.command("list")
@click.argument("slug")
@with_appcontext
def list_command(slug: str) -> None:
    """Who holds a campaign's key."""
    from cardsapp.services.keyholders import keyholders

    campaign = find_campaign(slug)
    for user in keyholders(db.session, campaign.id):
        click.echo(user.email)


@keys_group.command("grant")
@click.argument("slug")
@click.argument("email")
@click.option("--as", "as_email", default=None, help="The keyholder whose password follows.")
@with_appcontext
def grant_command(slug: str, email: str, as_email: str | None) -> None:
    """Give EMAIL the campaign's key: an existing keyholder's password opens it to do so."""
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.keyholders import grant_keyholder

    campaign = find_campaign(slug)
    grantee = find_staff(email)
    user, password = verified_keyholder(as_email)
    with opened_key(campaign.id, user, password) as key:
        try:
            grant_keyholder(db.session, key, grantee, user)
        except AddressKeyError as exc:
            raise click.ClickException(str(exc)) from exc
    record_event(
        db.session, user.id, AuditAction.KEY_GRANTED, f"campaign:{campaign.id}", to=grantee.id
    )
    db.session.commit()
    click.echo(f"{grantee.email} now holds the key of campaign {campaign.slug}.")


@keys_group.command("revoke")
@click.argument("slug")
@click.argument("email")
@with_appcontext
def revoke_command(slug: str, email: str) -> None:
    """Take the campaign's key from EMAIL (then rotate: she may have kept a copy)."""
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.keyholders import revoke_keyholder

    campaign = find_campaign(slug)
    user = find_staff(email)
    if not revoke_keyholder(db.session, campaign.id, user):
        raise click.ClickException("That account holds no key to this campaign.")
    record_event(db.session, None, AuditAction.KEY_REVOKED, f"campaign:{campaign.id}", user=user.id)
    db.session.commit()
    scrub_old_keys()
    click.echo(f"{user.email} no longer holds the key. Rotate it: cardsapp rotate-keys {slug}")


@keys_group.command("recover")
@click.argument("slug")
@click.option("--to", "email", required=True, help="Who gets the key (she has logged in once).")
@with_appcontext
def recover_command(slug: str, email: str) -> None:
    """Give EMAIL the key with the recovery code (read from standard input)."""
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.keyholders import grant_keyholder, unlocked_by_recovery

    campaign = find_campaign(slug)
    grantee = find_staff(email)
    code = read_secret("Recovery code")
    try:
        with unlocked_by_recovery(db.session, campaign.id, code) as key:
            grant_keyholder(db.session, key, grantee, grantee)
    except AddressKeyError as exc:
        raise click.ClickException(f"The key stays closed: {exc}.") from exc
    record_event(
        db.session, None, AuditAction.KEY_RECOVERED, f"campaign:{campaign.id}", to=grantee.id
    )
    db.session.commit()
    click.echo(f"{grantee.email} now holds the key of campaign {campaign.slug}.")


@click.command("rotate-keys")
@click.argument("slug", required=False)
@click.option("--as", "as_email", default=None, help="The keyholder whose password follows.")
@with_appcontext
def rotate_keys_command(slug: str | None, as_email: str | None) -> None:
    """A new key pair for a campaign: every address re-sealed, in one transaction."""
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.keys import rotate_campaign_key

    campaign = find_campaign(slug)
    user, password = verified_keyholder(as_email)
    with opened_key(campaign.id, user, password) as key:
        try:
            rotation = rotate_campaign_key(db.session, key, user, _cost())
        except AddressKeyError as exc:
            raise click.ClickException(str(exc)) from exc
    record_event(
        db.session,
        user.id,
        AuditAction.KEYS_ROTATED,
        f"campaign:{campaign.id}",
        count=rotation.resealed,
        via="cli",
    )
    db.session.commit()
    scrub_old_keys()
    click.echo(f"Re-sealed {rotation.resealed} addresses to the new key of {campaign.slug}.")
    show_recovery_code(campaign, rotation.recovery_code)


@click.command("migrate-addresses")
@click.option("--as", "as_email", default=None, help="The keyholder whose password follows.")
@with_appcontext
def migrate_addresses_command(as_email: str | None) -> None:
    """Seal every old Fernet address (CARDS_ADDRESS_KEYS) to its campaign's key.

    A campaign without a key gets one, held by the keyholder running this; its recovery code
    is printed once. Afterwards CARDS_ADDRESS_KEYS can be destroyed.
    """
    from cardsapp.crypto.fernet import AddressBox
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.keyholders import (
        campaign_public_key,
        holds_key,
        set_up_campaign_key,
    )
    from cardsapp.services.keys import fernet_tokens_left, migrate_fernet_addresses

    keys = current_app.extensions["cardsapp.config"].address_keys
    try:
        box = AddressBox(keys)
    except AddressKeyError as exc:
        raise click.ClickException(f"{exc}: the old keys are needed once, to migrate.") from exc
    user, _password = verified_keyholder(as_email)
    total = 0
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.id)).all():
        code = None
        if not _has_key(campaign.id):
            code = set_up_campaign_key(db.session, campaign, [user], user, _cost())
        elif not holds_key(db.session, campaign.id, user):
            raise click.ClickException(f"You hold no key to campaign {campaign.slug}.")
        try:
            count = migrate_fernet_addresses(
                db.session, box, campaign.id, campaign_public_key(db.session, campaign.id)
            )
        except AddressKeyError as exc:
            raise click.ClickException(f"{campaign.slug}: {exc}") from exc
        record_event(
            db.session,
            user.id,
            AuditAction.ADDRESSES_MIGRATED,
            f"campaign:{campaign.id}",
            count=count,
        )
        db.session.commit()
        total += count
        click.echo(f"{campaign.slug}: sealed {count} addresses to the campaign key.")
        if code:
            show_recovery_code(campaign, code)
    scrub_old_keys()
    left = fernet_tokens_left(db.session)
    click.echo(f"Migrated {total} addresses; {left} left under the old key.")
    if not left:
        click.echo("CARDS_ADDRESS_KEYS can now be removed and destroyed.")


def _has_key(campaign_id: int) -> bool:
    from cardsapp.models import CampaignKey

    return db.session.get(CampaignKey, campaign_id) is not None


COMMANDS = (keys_group, rotate_keys_command, migrate_addresses_command)
