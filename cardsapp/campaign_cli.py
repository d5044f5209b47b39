"""`cardsapp create-campaign` and `cardsapp campaign`: an organiser's campaigns from a shell."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from cardsapp.extensions import db
from cardsapp.models import CampaignStatus


def parse_moment(value: str | None, zone_name: str) -> datetime | None:
    """An ISO date or date-time; without an offset it is the campaign's own clock."""
    from cardsapp.services.campaign_lifecycle import CampaignError, check_timezone

    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date or date-time") from exc
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=check_timezone(zone_name))
        except CampaignError as exc:
            raise click.BadParameter(f"unknown time zone {zone_name!r}") from exc
    return moment


@click.command("create-campaign")
@click.argument("slug")
@click.option("--title", required=True, help="The title in English; other languages in admin.")
@click.option("--opens", default=None, help="ISO date-time writing opens (default: now).")
@click.option("--closes", default=None, help="ISO date-time writing closes (default: +30 days).")
@click.option("--timezone", "zone", default="Europe/Minsk", show_default=True)
@click.option("--copy-from", "copy_from", default=None, help="Copy texts, designs and recipients.")
@click.option("--publish", is_flag=True, help="Publish at once (default: a draft, staff only).")
@click.option(
    "--as",
    "as_email",
    default=None,
    help="A keyholder (password on stdin): holds the new key; with --copy-from, opens the old.",
)
@with_appcontext
def create_campaign_command(
    slug: str,
    title: str,
    opens: str | None,
    closes: str | None,
    zone: str,
    copy_from: str | None,
    publish: bool,
    as_email: str | None,
) -> None:
    """Create a campaign: a draft that only staff see, unless --publish.

    Its address key is held by --as (or, copying, by the old campaign's keyholders); copying
    re-seals the recipients' addresses with the old campaign's key, opened by --as's password.
    """
    from contextlib import ExitStack

    from cardsapp.cli_keys import opened_key, show_recovery_code, verified_keyholder
    from cardsapp.render.designs import readable_designs
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.campaign_lifecycle import CampaignError, NewCampaign, create_campaign
    from cardsapp.services.campaigns import campaign_by_slug

    new = NewCampaign(
        slug=slug,
        title=title,
        opens_at=parse_moment(opens, zone),
        closes_at=parse_moment(closes, zone),
        timezone=zone,
        copy_from=copy_from,
        publish=publish,
    )
    config = current_app.extensions["cardsapp.config"]
    source = campaign_by_slug(db.session, copy_from, staff=True) if copy_from else None
    if copy_from and source is None:
        raise click.ClickException(_explain(CampaignError("copy_from", "unknown")))
    holder, password = verified_keyholder(as_email) if as_email or copy_from else (None, "")
    with ExitStack() as stack:
        source_key = (
            stack.enter_context(opened_key(source.id, holder, password))
            if source is not None and holder is not None
            else None
        )
        try:
            campaign, code = create_campaign(
                db.session,
                new,
                list(readable_designs(config.designs_dir)),
                source_key,
                [holder] if holder else [],
                config.kdf_cost,
            )
        except CampaignError as exc:
            db.session.rollback()
            raise click.ClickException(_explain(exc)) from exc
    record_event(
        db.session,
        None,
        AuditAction.CAMPAIGN_CREATED,
        f"campaign:{campaign.id}",
        status=campaign.status.value,
        via="cli",
    )
    db.session.commit()
    click.echo(f"Created campaign {campaign.slug} ({campaign.status.value}).")
    if code:
        show_recovery_code(campaign, code)


ACTIONS = ("publish", "open", "close", "archive")


@click.command("campaign")
@click.argument("slug", required=False)
@click.argument("action", required=False, type=click.Choice(ACTIONS))
@with_appcontext
def campaign_command(slug: str | None, action: str | None) -> None:
    """List campaigns, or publish / open (now) / close (now) / archive one."""
    from cardsapp.services.audit import AuditAction, record_event
    from cardsapp.services.campaign_lifecycle import (
        CampaignError,
        close_now,
        move_campaign,
        open_now,
    )
    from cardsapp.services.campaigns import all_campaigns, campaign_by_slug, campaign_phase

    if slug is None:
        for each in all_campaigns(db.session):
            phase = campaign_phase(each).value
            click.echo(f"{each.slug:<24} {each.status.value:<10} {phase}")
        return
    named = campaign_by_slug(db.session, slug, staff=True)
    if named is None:
        raise click.ClickException(f"No campaign {slug!r}.")
    campaign = named
    if action is None:
        raise click.UsageError(f"Say what to do: {', '.join(ACTIONS)}.")
    try:
        if action == "open":
            open_now(db.session, campaign)
        elif action == "close":
            close_now(db.session, campaign)
        else:
            to = CampaignStatus.PUBLISHED if action == "publish" else CampaignStatus.ARCHIVED
            move_campaign(db.session, campaign, to)
    except CampaignError as exc:
        db.session.rollback()
        raise click.ClickException(_explain(exc, campaign.status.value, action)) from exc
    record_event(
        db.session,
        None,
        AuditAction.CAMPAIGN_MOVED,
        f"campaign:{campaign.id}",
        move=action,
        status=campaign.status.value,
        via="cli",
    )
    db.session.commit()
    click.echo(f"Campaign {campaign.slug} is {campaign.status.value}.")


def _explain(exc: Exception, status: str = "", action: str = "") -> str:
    code = f"{getattr(exc, 'field', '')}:{getattr(exc, 'code', '')}"
    return {
        "slug:invalid": "A slug is lower-case letters, digits and dashes (e.g. mothers-day-2026).",
        "slug:taken": "A campaign with this slug exists already.",
        "title:missing": "Give a title (at most 200 characters).",
        "timezone:unknown": "Unknown time zone: use an IANA name such as Europe/Minsk.",
        "copy_from:unknown": "No campaign to copy with that slug.",
        "closes_at:before_opening": "The campaign must close after it opens.",
        "status:illegal": f"A {status} campaign cannot {action}.",
    }.get(code, str(exc))
