"""New campaign, and Publish / Open now / Close now / Archive with a confirmation step."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms.fields import SelectChoice

from cardsapp.extensions import db
from cardsapp.models import Campaign, CampaignStatus, PersonalKey
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.campaign_lifecycle import (
    CampaignError,
    NewCampaign,
    allowed_actions,
    check_timezone,
    close_now,
    create_campaign,
    move_campaign,
    open_now,
)
from cardsapp.services.campaigns import all_campaigns, campaign_by_slug, campaign_phase
from cardsapp.web.admin import available_designs, bp, me
from cardsapp.web.admin.forms import MoveForm, NewCampaignForm
from cardsapp.web.keys import KeyRefused, campaign_key_from_password, kdf_cost, sealed_response

ACTIONS = {
    "publish": (
        _l("Publish"),
        _l("Donors will see this campaign; it opens for writing on its date."),
    ),
    "open": (_l("Open now"), _l("Writing opens at once, whatever the opening date says.")),
    "close": (_l("Close now"), _l("Writing stops at once. Cards already sent go on to print.")),
    "archive": (_l("Archive"), _l("The campaign leaves every staff list; its results stay.")),
}
ERRORS = {
    "slug:invalid": _l("Use lower-case letters, digits and dashes, e.g. mothers-day-2026."),
    "slug:taken": _l("A campaign with this short name exists already."),
    "title:missing": _l("This is needed."),
    "timezone:unknown": _l("Unknown time zone: use a name such as Europe/Minsk."),
    "copy_from:unknown": _l("Choose a campaign from the list."),
    "copy_from:password": _l("Type your password: it opens the old campaign's addresses to copy."),
    "closes_at:before_opening": _l("This must come after writing opens."),
}


def _zoned(value: datetime | None, zone_name: str) -> datetime | None:
    """A time typed in the form, read on the campaign's own clock."""
    if value is None:
        return None
    return value.replace(tzinfo=check_timezone(zone_name))


def _create(new: NewCampaign, password: str) -> tuple[Campaign, str | None]:
    """Create it; its key is held by this admin, and copying opens the old key with her password."""
    source = campaign_by_slug(db.session, new.copy_from, staff=True) if new.copy_from else None
    holders = [me()] if db.session.get(PersonalKey, me().id) else []
    if source is None or not password:
        return create_campaign(db.session, new, available_designs(), None, holders, kdf_cost())
    with campaign_key_from_password(me(), password, source.id) as key:
        return create_campaign(db.session, new, available_designs(), key, holders, kdf_cost())


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign() -> Response | str:
    """Start a campaign: a draft unless published at once; copy an earlier one if asked."""
    form = NewCampaignForm()
    form.copy_from.choices = [SelectChoice("", _("Nothing: start empty"))] + [
        SelectChoice(c.slug, f"{c.slug} ({c.status.value})") for c in all_campaigns(db.session)
    ]
    if form.validate_on_submit():
        zone = (form.timezone.data or "Europe/Minsk").strip()
        try:
            new = NewCampaign(
                slug=(form.slug.data or "").strip(),
                title=form.title.data or "",
                opens_at=_zoned(form.opens_at.data, zone),
                closes_at=_zoned(form.closes_at.data, zone),
                timezone=zone,
                copy_from=form.copy_from.data or None,
                publish=bool(form.publish.data),
            )
            campaign, code = _create(new, form.password.data or "")
        except CampaignError as exc:
            db.session.rollback()
            field = form._fields.get(exc.field, form.slug)
            field.errors = [*field.errors, str(ERRORS.get(f"{exc.field}:{exc.code}", exc.code))]
        except KeyRefused as refused:
            db.session.commit()  # the password check's own bookkeeping
            form.password.errors = [*form.password.errors, refused.message]
        else:
            record_event(
                db.session,
                me().id,
                AuditAction.CAMPAIGN_CREATED,
                f"campaign:{campaign.id}",
                status=campaign.status.value,
            )
            db.session.commit()
            if code:  # its address key is made: the recovery code is shown this once
                page = render_template("admin/recovery_code.html", campaign=campaign, code=code)
                return sealed_response(page, "text/html")
            flash(_("The campaign is created. Fill in its texts in every language."))
            return redirect(url_for("admin.campaign_settings", campaign_id=campaign.id))
    return render_template("admin/new_campaign.html", form=form)


@bp.route("/campaigns/<int:campaign_id>/move", methods=["GET", "POST"])
def move(campaign_id: int) -> Response | str:
    """GET: ask to confirm the action; POST: do it. Works without JavaScript."""
    campaign = db.get_or_404(Campaign, campaign_id)
    action = request.values.get("action", "")
    if action not in ACTIONS:
        if request.method == "POST":
            return redirect(url_for("admin.campaign_settings", campaign_id=campaign_id))
        # No action named: offer the ones this campaign allows.
        return render_template(
            "admin/confirm_move.html",
            campaign=campaign,
            action=None,
            phase=campaign_phase(campaign),
            moves=allowed_actions(campaign),
        )
    form = MoveForm()
    if request.method == "GET" or not form.validate_on_submit():
        form.action.data = action
        return render_template(
            "admin/confirm_move.html", campaign=campaign, form=form, action=ACTIONS[action]
        )
    try:
        _do(campaign, action)
    except CampaignError:
        db.session.rollback()
        flash(_("This campaign cannot do that now."), "error")
    else:
        record_event(
            db.session,
            me().id,
            AuditAction.CAMPAIGN_MOVED,
            f"campaign:{campaign.id}",
            move=action,
            status=campaign.status.value,
        )
        db.session.commit()
        flash(_("Done: %(action)s.", action=ACTIONS[action][0]))
    return redirect(url_for("admin.campaign_settings", campaign_id=campaign_id))


def _do(campaign: Campaign, action: str) -> None:
    if action == "open":
        open_now(db.session, campaign)
    elif action == "close":
        close_now(db.session, campaign)
    elif action == "publish":
        move_campaign(db.session, campaign, CampaignStatus.PUBLISHED)
    else:
        move_campaign(db.session, campaign, CampaignStatus.ARCHIVED)


@bp.route("/demo/remove", methods=["GET", "POST"])
def remove_demo_data() -> Response | str:
    """GET: ask to confirm; POST: delete the demo campaign, its data and the demo staff."""
    from cardsapp.services.demo import has_demo, remove_demo
    from cardsapp.services.residue import ADDRESS_TABLES, PURGE_TABLES, scrub_after_delete

    form = MoveForm(action="archive")
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("admin/remove_demo.html", form=form, present=has_demo(db.session))
    config = current_app.extensions["cardsapp.config"]
    removed = remove_demo(db.session, config.data_dir)
    record_event(
        db.session,
        me().id if not me().demo else None,
        AuditAction.DEMO_REMOVED,
        None,
        campaigns=removed.campaigns,
        users=removed.users,
    )
    db.session.commit()
    scrub_after_delete(db.engine, (*PURGE_TABLES, *ADDRESS_TABLES))
    flash(_("Demo data removed."))
    return redirect(url_for("admin.overview"))
