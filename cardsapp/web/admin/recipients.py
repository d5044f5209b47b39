"""A campaign's recipients: import, pause, caps, one address after a fresh password."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from cardsapp.crypto import AddressKeyError
from cardsapp.extensions import db
from cardsapp.models import Campaign
from cardsapp.services.audit import AuditAction, record_event
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
from cardsapp.web.access import recent_password_required
from cardsapp.web.admin import bp, campaign_from_request, me
from cardsapp.web.admin.forms import (
    CapsForm,
    ImportForm,
    PauseForm,
)


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
    return _recipients_page(campaign_from_request())


@bp.post("/recipients/import")
def import_csv() -> Response | tuple[str, int]:
    """Add every recipient of a CSV file, or none, listing bad rows by line number."""
    campaign = campaign_from_request()
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
            me().id,
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
        me().id,
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
        me().id,
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
        me().id,
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
        db.session, me().id, AuditAction.ADDRESS_VIEWED, f"recipient:{recipient.public_id}"
    )
    db.session.commit()
    response = render_template("admin/address.html", recipient=recipient, address=address)
    return response
