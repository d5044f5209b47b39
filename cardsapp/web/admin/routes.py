"""GET /admin and the campaign, recipients, staff and audit pages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms.fields import SelectChoice

from cardsapp.crypto import AddressKeyError
from cardsapp.extensions import db
from cardsapp.models import Campaign, Recipient, Role, User
from cardsapp.services.audit import AuditAction, AuditFilter, list_events, record_event
from cardsapp.services.campaigns import (
    LANGUAGES,
    CampaignSettings,
    SettingsError,
    current_campaign,
    parse_watch_words,
    update_campaign,
)
from cardsapp.services.recipients import (
    CapError,
    ImportRefused,
    effective_caps,
    find_recipient,
    import_recipients,
    list_recipients,
    parse_cap,
    set_caps,
    set_paused,
)
from cardsapp.services.users import (
    AccountError,
    deactivate_user,
    invite_user,
    list_users,
    reactivate_user,
    set_roles,
)
from cardsapp.web import public_cache
from cardsapp.web.access import recent_password_required
from cardsapp.web.admin import bp
from cardsapp.web.admin.forms import (
    ActiveForm,
    AuditFilterForm,
    CampaignForm,
    CapsForm,
    ImportForm,
    InviteForm,
    PauseForm,
    RolesForm,
)


def _me() -> User:
    return current_user.user


def _available_designs() -> list[str]:
    from cardsapp.render.designs import DesignError, designs

    try:
        return list(designs(current_app.extensions["cardsapp.config"].designs_dir))
    except (DesignError, OSError):
        return []


def _campaign_from_request() -> Campaign | None:
    slug = request.values.get("campaign", "")[:64]
    if slug:
        found = db.session.scalars(select(Campaign).where(Campaign.slug == slug)).first()
        if found is not None:
            return found
    return current_campaign(db.session)


@bp.get("")
def overview() -> str:
    """What an admin looks after, with counts kept cheap."""
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.opens_at.desc())).all()
    paused = db.session.scalar(select(func.count(Recipient.id)).where(Recipient.paused)) or 0
    staff = db.session.scalar(select(func.count(User.id)).where(User.active)) or 0
    return render_template("admin/overview.html", campaigns=campaigns, paused=paused, staff=staff)


# --- campaign settings --------------------------------------------------------------------------


def _as_local(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


@bp.route("/campaigns/<int:campaign_id>", methods=["GET", "POST"])
def campaign_settings(campaign_id: int) -> Response | str:
    """Dates, texts in three languages, limits, watch words and designs."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    available = _available_designs()
    form = CampaignForm()
    offered = sorted({*available, *campaign.designs})
    form.designs.choices = [SelectChoice(slug, slug) for slug in offered]
    if request.method == "GET":
        form.opens_at.data = _as_local(campaign.opens_at)
        form.closes_at.data = _as_local(campaign.closes_at)
        form.post_by.data = campaign.post_by
        form.max_message_length.data = campaign.max_message_length
        form.watch_words.data = "\n".join(campaign.watch_words)
        form.designs.data = list(campaign.designs)
        form.cap_per_batch.data = campaign.cap_per_batch
        form.cap_per_campaign.data = campaign.cap_per_campaign
        for kind in ("title", "story", "guidance"):
            texts = getattr(campaign, kind) or {}
            for lang in LANGUAGES:
                form[f"{kind}_{lang}"].data = texts.get(lang, "")
    elif form.validate_on_submit():
        settings = CampaignSettings(
            title={lang: form[f"title_{lang}"].data or "" for lang in LANGUAGES},
            story={lang: form[f"story_{lang}"].data or "" for lang in LANGUAGES},
            guidance={lang: form[f"guidance_{lang}"].data or "" for lang in LANGUAGES},
            opens_at=form.opens_at.data.replace(tzinfo=UTC),
            closes_at=form.closes_at.data.replace(tzinfo=UTC),
            post_by=form.post_by.data,
            max_message_length=form.max_message_length.data,
            watch_words=parse_watch_words(form.watch_words.data or ""),
            designs=list(form.designs.data or []),
            cap_per_batch=form.cap_per_batch.data,
            cap_per_campaign=form.cap_per_campaign.data,
        )
        try:
            changed = update_campaign(db.session, campaign, settings, available)
        except SettingsError as exc:
            db.session.rollback()
            _settings_error(form, exc)
        else:
            if changed:
                record_event(
                    db.session,
                    _me().id,
                    AuditAction.CAMPAIGN_CHANGED,
                    f"campaign:{campaign.id}",
                    fields=changed,
                )
            db.session.commit()
            flash(_("The campaign settings are saved.") if changed else _("Nothing changed."))
            return redirect(url_for("admin.campaign_settings", campaign_id=campaign.id))
    return render_template("admin/campaign.html", form=form, campaign=campaign)


def _settings_error(form: CampaignForm, exc: SettingsError) -> None:
    messages = {
        "missing": _("This is needed."),
        "before_opening": _("This must come after writing opens."),
        "out_of_range": _("Per batch must be at least 1 and no more than per campaign."),
        "too_many": _("Too many watch words, or one is longer than 60 characters."),
        "unknown": _("Offer only designs that exist."),
    }
    field = form._fields.get(exc.field, form.designs)
    field.errors = [*field.errors, messages.get(exc.code, exc.code)]


# --- recipients ---------------------------------------------------------------------------------


def _import_message(code: str, column: str) -> str:
    texts = {
        "missing": _("%(column)s is empty", column=column),
        "too_long": _("%(column)s is too long", column=column),
        "bad_characters": _("%(column)s holds invisible or control characters", column=column),
        "duplicate_label": _("the public label is already used by another recipient"),
        "header": _(
            "the first line must be: "
            "public_label,name,address_line1,address_line2,city,postcode,country"
        ),
        "encoding": _("the file is not UTF-8 text"),
        "columns": _("the line does not have 7 columns"),
        "empty": _("the file has no recipients"),
        "too_many": _("too many recipients in one file"),
    }
    return texts.get(code, code)


def _recipients_page(campaign: Campaign | None, import_errors: list[str] | None = None) -> str:
    recipients = list_recipients(db.session, campaign.id) if campaign else []
    return render_template(
        "admin/recipients.html",
        campaign=campaign,
        campaigns=db.session.scalars(select(Campaign).order_by(Campaign.opens_at.desc())).all(),
        recipients=[(r, effective_caps(r, campaign)) for r in recipients] if campaign else [],
        import_form=ImportForm(),
        caps_form=CapsForm(formdata=None),
        pause_form=PauseForm(formdata=None),
        import_errors=import_errors or [],
    )


@bp.get("/recipients")
def recipients() -> str:
    """The campaign's recipients: public labels, pause state, caps; never an address."""
    return _recipients_page(_campaign_from_request())


@bp.post("/recipients/import")
def import_csv() -> Response | tuple[str, int]:
    """Add every recipient of a CSV file, or none, listing bad rows by line number."""
    campaign = _campaign_from_request()
    form = ImportForm()
    if campaign is None or not form.validate_on_submit():
        return _recipients_page(campaign, [_("Choose a CSV file.")]), 400
    data = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    box = current_app.extensions["cardsapp.addresses"]
    try:
        added = import_recipients(db.session, box, campaign, data)
    except ImportRefused as exc:
        db.session.rollback()
        record_event(
            db.session,
            _me().id,
            AuditAction.RECIPIENTS_IMPORT_REFUSED,
            f"campaign:{campaign.id}",
            errors=len(exc.errors),
        )
        db.session.commit()
        errors = [
            _("Line %(line)d: %(problem)s", line=e.line, problem=_import_message(e.code, e.column))
            for e in exc.errors[:200]
        ]
        return _recipients_page(campaign, errors), 400
    record_event(
        db.session,
        _me().id,
        AuditAction.RECIPIENTS_IMPORTED,
        f"campaign:{campaign.id}",
        count=len(added),
    )
    db.session.commit()
    flash(ngettext("%(num)d recipient imported.", "%(num)d recipients imported.", len(added)))
    return redirect(url_for("admin.recipients", campaign=campaign.slug))


@bp.post("/recipients/<public_id>/pause")
def pause_recipient(public_id: str) -> Response:
    """Pause or resume a recipient at once."""
    recipient = find_recipient(db.session, public_id[:16])
    form = PauseForm()
    if recipient is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    pause = request.form.get("action") != "resume"
    set_paused(db.session, recipient, pause)
    record_event(
        db.session,
        _me().id,
        AuditAction.RECIPIENT_PAUSED if pause else AuditAction.RECIPIENT_RESUMED,
        f"recipient:{recipient.public_id}",
    )
    db.session.commit()
    flash(
        _("Paused: she gets no more cards until resumed.")
        if pause
        else _("Resumed: she can get cards again.")
    )
    return redirect(url_for("admin.recipients", campaign=recipient.campaign.slug))


@bp.post("/recipients/<public_id>/caps")
def recipient_caps(public_id: str) -> Response:
    """A recipient's own caps per batch and per campaign (empty: the campaign's)."""
    recipient = find_recipient(db.session, public_id[:16])
    if recipient is None:
        abort(404)
    form = CapsForm()
    back = redirect(url_for("admin.recipients", campaign=recipient.campaign.slug))
    if not form.validate_on_submit():
        flash(_("Caps are whole numbers from 0 to 10,000, or empty."), "error")
        return back
    try:
        per_batch = parse_cap(form.cap_per_batch.data)
        per_campaign = parse_cap(form.cap_per_campaign.data)
    except CapError:
        flash(_("Caps are whole numbers from 0 to 10,000, or empty."), "error")
        return back
    set_caps(recipient, per_batch, per_campaign)
    record_event(
        db.session,
        _me().id,
        AuditAction.RECIPIENT_CAPS_CHANGED,
        f"recipient:{recipient.public_id}",
        per_batch=per_batch,
        per_campaign=per_campaign,
    )
    db.session.commit()
    flash(_("Caps saved."))
    return back


@bp.get("/recipients/<public_id>/address")
@recent_password_required
def recipient_address(public_id: str) -> str:
    """One recipient's address, after a fresh password, and written to the audit log."""
    recipient = find_recipient(db.session, public_id[:16])
    if recipient is None:
        abort(404)
    try:
        address = current_app.extensions["cardsapp.addresses"].open(recipient.address_token)
    except AddressKeyError:
        abort(409)
    record_event(
        db.session, _me().id, AuditAction.ADDRESS_VIEWED, f"recipient:{recipient.public_id}"
    )
    db.session.commit()
    response = render_template("admin/address.html", recipient=recipient, address=address)
    return response


@bp.after_request
def _never_cache(response: Response) -> Response:
    # Staff pages (and one of them shows an address) must not stay in any cache.
    response.headers["Cache-Control"] = "no-store"
    if request.method == "POST":
        # A changed campaign or recipient shows on this process's donor pages at once.
        public_cache().forget()
    return response


# --- staff --------------------------------------------------------------------------------------


def _staff_page(invite_form: InviteForm | None = None, invite_link: str | None = None) -> str:
    users = list_users(db.session)
    return render_template(
        "admin/staff.html",
        users=users,
        invite_form=invite_form or InviteForm(formdata=None),
        roles_forms={u.id: RolesForm(formdata=None, roles=sorted(u.roles)) for u in users},
        active_form=ActiveForm(formdata=None),
        invite_link=invite_link,
        roles=list(Role),
    )


@bp.get("/staff")
def staff() -> str:
    """Staff accounts: invite, change roles, deactivate."""
    return _staff_page()


@bp.post("/staff/invite")
def invite() -> str | tuple[str, int]:
    """Create an account and show its one-time invite link (to be passed on privately)."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _staff_page(form), 400
    try:
        user, token = invite_user(
            db.session, form.email.data or "", {Role(r) for r in form.roles.data}
        )
    except AccountError as exc:
        db.session.rollback()
        form.email.errors = [*form.email.errors, _account_error(exc)]
        return _staff_page(form), 400
    record_event(
        db.session,
        _me().id,
        AuditAction.USER_INVITED,
        f"user:{user.id}",
        roles=sorted(r.value for r in user.roles),
    )
    db.session.commit()
    link = url_for("auth.accept_invite_page", token=token, _external=True)
    flash(_("Invitation created. Send this link privately; it works once, for 7 days."))
    return _staff_page(invite_link=link)


def _account_error(exc: AccountError) -> str:
    text = str(exc)
    translations = {
        "That is not an e-mail address.": _("That is not an e-mail address."),
        "An account with that e-mail already exists.": _(
            "An account with that e-mail already exists."
        ),
        "Give the account at least one role.": _("Give the account at least one role."),
        "The last active admin cannot lose the admin role.": _(
            "The last active admin cannot lose the admin role."
        ),
        "You cannot remove your own admin role.": _("You cannot remove your own admin role."),
        "You cannot deactivate your own account.": _("You cannot deactivate your own account."),
        "The last active admin cannot be deactivated.": _(
            "The last active admin cannot be deactivated."
        ),
    }
    return translations.get(text, text)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/staff/<int:user_id>/roles")
def change_roles(user_id: int) -> Response:
    """Give an account other roles; they apply from its next request."""
    user = _user_or_404(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        flash(_("Give the account at least one role."), "error")
        return redirect(url_for("admin.staff"))
    before = sorted(r.value for r in user.roles)
    try:
        set_roles(db.session, user, {Role(r) for r in form.roles.data}, _me())
    except AccountError as exc:
        db.session.rollback()
        flash(_account_error(exc), "error")
        return redirect(url_for("admin.staff"))
    after = sorted(r.value for r in user.roles)
    if before != after:
        record_event(
            db.session,
            _me().id,
            AuditAction.USER_ROLES_CHANGED,
            f"user:{user.id}",
            before=before,
            after=after,
        )
    db.session.commit()
    flash(_("Roles saved."))
    return redirect(url_for("admin.staff"))


@bp.post("/staff/<int:user_id>/active")
def set_active(user_id: int) -> Response:
    """Deactivate an account at once (its sessions end), or let it back in."""
    user = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    activate = request.form.get("action") == "activate"
    try:
        if activate:
            reactivate_user(user)
        else:
            deactivate_user(db.session, user, _me())
    except AccountError as exc:
        db.session.rollback()
        flash(_account_error(exc), "error")
        return redirect(url_for("admin.staff"))
    record_event(
        db.session,
        _me().id,
        AuditAction.USER_REACTIVATED if activate else AuditAction.USER_DEACTIVATED,
        f"user:{user.id}",
    )
    db.session.commit()
    flash(_("Account reactivated.") if activate else _("Account deactivated; its sessions ended."))
    return redirect(url_for("admin.staff"))


# --- audit log ----------------------------------------------------------------------------------


@bp.get("/audit")
def audit() -> str:
    """The audit log, newest first, with filters."""
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", _("Everything"))] + [
        SelectChoice(a.value, a.value) for a in AuditAction
    ]
    form.actor.choices = [SelectChoice("", _("Everyone"))] + [
        SelectChoice(str(u.id), u.email) for u in list_users(db.session)
    ]
    form.validate()
    actor = form.actor.data if form.actor.data and form.actor.data.isdigit() else None
    wanted = AuditFilter(
        action=form.action.data or None if not form.action.errors else None,
        actor_id=int(actor) if actor else None,
        target=(form.target.data or "").strip() or None,
        since=datetime.combine(form.since.data, time(), UTC)
        if form.since.data and not form.since.errors
        else None,
        until=datetime.combine(form.until.data + timedelta(days=1), time(), UTC)
        if form.until.data and not form.until.errors
        else None,
    )
    before = request.args.get("before", "")
    page = list_events(
        db.session, wanted, int(before) if before.isdigit() and len(before) < 12 else None
    )
    next_url = None
    if page.next_before:
        args = {k: v for k, v in request.args.items() if k != "before"}
        next_url = url_for("admin.audit", before=page.next_before, **args)
    return render_template("admin/audit.html", form=form, page=page, next_url=next_url)


@bp.get("/data")
def data_held() -> str:
    """What we hold about people, how it is protected and when it goes."""
    from cardsapp.services.holdings import data_holdings

    config = current_app.extensions["cardsapp.config"]
    return render_template(
        "admin/data.html", holdings=data_holdings(db.session, config.retention_days)
    )
