"""A campaign's recipients: paged list, import, pause, caps, address edit and erasure."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from cardsapp.crypto import PostalAddress
from cardsapp.extensions import db
from cardsapp.models import Campaign, Erasure, Recipient
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.keyholders import NoCampaignKey
from cardsapp.services.recipient_files import (
    MAX_FILE_BYTES,
    check_fields,
    template_csv,
    template_xlsx,
)
from cardsapp.services.recipients import (
    AddressErased,
    CapError,
    Encoding,
    ImportRefused,
    RecipientErased,
    change_address,
    clear_erased_residue,
    effective_caps,
    erase_recipient,
    find_recipient,
    import_recipients,
    open_address,
    page_recipients,
    parse_cap,
    set_caps,
    set_paused,
)
from cardsapp.web.access import recent_password_required
from cardsapp.web.admin import bp, campaign_from_request, me
from cardsapp.web.admin.forms import (
    AddressForm,
    AddressPasswordForm,
    CapsForm,
    EraseForm,
    ImportForm,
    PauseForm,
)
from cardsapp.web.admin.recipient_messages import import_error_text
from cardsapp.web.keys import KeyRefused, campaign_key_from_password, sealed_response


@bp.url_value_preprocessor
def _room_for_recipient_files(endpoint: str | None, _values: object) -> None:
    # Runs before CSRF parses the body: a 10,000-row file is larger than other forms.
    if endpoint == "admin.import_csv":
        request.max_content_length = MAX_FILE_BYTES + 64 * 1024
        # Werkzeug's multipart parser holds up to one read chunk (64 KiB) plus the rest of
        # a line in memory and checks that against this limit, so a file of more than a
        # few lines needs more than the site's 64 KiB; the form's own fields stay small.
        request.max_form_memory_size = 1024 * 1024


def _campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.opens_at.desc())))


def _recipients_page(
    campaign: Campaign | None,
    import_errors: list[str] | None = None,
    offer_conversion: bool = False,
) -> str:
    search = request.args.get("q", "")[:200]
    after = request.args.get("after", "")
    page = (
        page_recipients(db.session, campaign.id, int(after) if after.isdigit() else 0, search)
        if campaign
        else None
    )
    next_url = (
        url_for("admin.recipients", campaign=campaign.slug, q=search or None, after=page.next_after)
        if campaign and page and page.next_after
        else None
    )
    return render_template(
        "admin/recipients.html",
        campaign=campaign,
        campaigns=_campaigns(),
        page=page,
        search=search,
        next_url=next_url,
        import_form=ImportForm(formdata=None),
        import_errors=import_errors or [],
        offer_conversion=offer_conversion,
    )


@bp.get("/recipients")
def recipients() -> str:
    """The campaign's recipients, a page at a time, searchable; never an address."""
    return _recipients_page(campaign_from_request())


@bp.get("/recipients/template.<kind>")
def recipients_template(kind: str) -> Response:
    """An empty recipient list to fill in: CSV (UTF-8) or .xlsx."""
    if kind == "csv":
        body, mimetype = template_csv(), "text/csv"
    elif kind == "xlsx":
        body = template_xlsx()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=recipients.{kind}"
    return response


@bp.post("/recipients/import")
def import_csv() -> Response | tuple[str, int]:
    """Add every recipient of a CSV or .xlsx file, or none, listing bad rows by line number."""
    campaign = campaign_from_request()
    form = ImportForm()
    if campaign is None or not form.validate_on_submit():
        return _recipients_page(campaign, [_("Choose a .csv or .xlsx file.")]), 400
    data = form.file.data.read(MAX_FILE_BYTES + 1)
    encoding = Encoding.CP1251 if form.convert_cp1251.data else None
    try:
        added = import_recipients(db.session, campaign, data, encoding)
    except NoCampaignKey:
        db.session.rollback()
        message = _("This campaign has no address key yet: set it up on the Keys page first.")
        return _recipients_page(campaign, [message]), 400
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
        errors = [import_error_text(e) for e in exc.errors[:200]]
        if len(exc.errors) > 200:
            errors.append(_("… and %(num)d more.", num=len(exc.errors) - 200))
        return _recipients_page(campaign, errors, exc.needs_encoding_choice), 400
    record_event(
        db.session,
        me().id,
        AuditAction.RECIPIENTS_IMPORTED,
        f"campaign:{campaign.id}",
        count=added,
        converted_from="cp1251" if encoding else None,
    )
    db.session.commit()
    flash(ngettext("%(num)d recipient imported.", "%(num)d recipients imported.", added))
    return redirect(url_for("admin.recipients", campaign=campaign.slug))


def _recipient_or_404(public_id: str) -> Recipient:
    recipient = find_recipient(db.session, public_id[:16])
    if recipient is None or recipient.erasure is Erasure.DELETED:
        abort(404)
    return recipient


@bp.get("/recipients/<public_id>")
def recipient(public_id: str) -> str:
    """One recipient: caps, pause, consent withdrawn, delete; the address is a click away."""
    found = _recipient_or_404(public_id)
    return render_template(
        "admin/recipient.html",
        recipient=found,
        caps=effective_caps(found, found.campaign),
        caps_form=CapsForm(formdata=None),
        pause_form=PauseForm(formdata=None),
        erase_form=EraseForm(formdata=None),
    )


def _back(recipient: Recipient) -> Response:
    return redirect(url_for("admin.recipient", public_id=recipient.public_id))


@bp.post("/recipients/<public_id>/pause")
def pause_recipient(public_id: str) -> Response:
    """Pause or resume a recipient at once."""
    recipient = _recipient_or_404(public_id)
    form = PauseForm()
    if not form.validate_on_submit():
        abort(400)
    pause = request.form.get("action") != "resume"
    try:
        set_paused(db.session, recipient, pause)
    except RecipientErased:
        flash(_("Her address was erased: she cannot get cards again."), "error")
        return _back(recipient)
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
    return _back(recipient)


@bp.post("/recipients/<public_id>/caps")
def recipient_caps(public_id: str) -> Response:
    """A recipient's own caps per batch and per campaign (empty: the campaign's)."""
    recipient = _recipient_or_404(public_id)
    form = CapsForm()
    try:
        if not form.validate_on_submit():
            raise CapError("form")
        per_batch = parse_cap(form.cap_per_batch.data)
        per_campaign = parse_cap(form.cap_per_campaign.data)
    except CapError:
        flash(_("Caps are whole numbers from 0 to 10,000, or empty."), "error")
        return _back(recipient)
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
    return _back(recipient)


@bp.post("/recipients/<public_id>/erase")
def erase(public_id: str) -> Response | tuple[str, int]:
    """Consent withdrawn (paused, address erased) or deleted (also off the list)."""
    recipient = _recipient_or_404(public_id)
    form = EraseForm()
    why = {"withdraw": Erasure.CONSENT_WITHDRAWN, "delete": Erasure.DELETED}.get(
        request.form.get("action", "")
    )
    if not form.validate_on_submit() or why is None:
        abort(400)
    if not form.confirm.data:
        flash(_("Tick the box to confirm: her address is erased for good."), "error")
        return _back(recipient)
    slug = recipient.campaign.slug
    erase_recipient(db.session, recipient, why)
    record_event(
        db.session,
        me().id,
        AuditAction.RECIPIENT_DELETED
        if why is Erasure.DELETED
        else AuditAction.RECIPIENT_CONSENT_WITHDRAWN,
        f"recipient:{public_id[:16]}",
    )
    db.session.commit()
    clear_erased_residue(db.session)
    if why is Erasure.DELETED:
        flash(_("Recipient deleted: her address is erased; only her card counts remain."))
        return redirect(url_for("admin.recipients", campaign=slug))
    flash(_("Consent withdrawn: she is paused and her address is erased."))
    return _back(recipient)


def _address_page(
    recipient: Recipient,
    form: AddressForm,
    status: int = 200,
    unlock: AddressPasswordForm | None = None,
    error: str | None = None,
) -> tuple[str, int]:
    page = render_template(
        "admin/address.html", recipient=recipient, form=form, unlock=unlock, error=error
    )
    return page, status


@bp.get("/recipients/<public_id>/address")
def recipient_address(public_id: str) -> str | tuple[str, int]:
    """The address is locked: a form asks for the password that opens it."""
    recipient = _recipient_or_404(public_id)
    return _address_page(recipient, AddressForm(formdata=None), unlock=AddressPasswordForm())


@bp.post("/recipients/<public_id>/address/open")
def open_recipient_address(public_id: str) -> Response | str | tuple[str, int]:
    """One recipient's address, opened by the password typed in this request, to read or edit."""
    recipient = _recipient_or_404(public_id)
    unlock = AddressPasswordForm()
    if not unlock.validate_on_submit():
        return _address_page(recipient, AddressForm(formdata=None), 400, unlock=unlock)
    try:
        with campaign_key_from_password(
            me(), unlock.password.data or "", recipient.campaign_id
        ) as key:
            try:
                address = open_address(key, recipient)
            except AddressErased:
                return _address_page(recipient, AddressForm(formdata=None))
            try:
                page, _status = _address_page(recipient, AddressForm(formdata=None, obj=address))
            finally:
                address.wipe()
    except KeyRefused as refused:
        db.session.commit()  # the password check's own bookkeeping (throttle, personal key)
        return _address_page(
            recipient, AddressForm(formdata=None), 403, unlock=unlock, error=refused.message
        )
    record_event(
        db.session, me().id, AuditAction.ADDRESS_VIEWED, f"recipient:{recipient.public_id}"
    )
    db.session.commit()
    return sealed_response(page, "text/html")


@bp.post("/recipients/<public_id>/address")
@recent_password_required
def edit_address(public_id: str) -> Response | tuple[str, int]:
    """Replace one recipient's address (fresh password, audited, sealed to the campaign key)."""
    recipient = _recipient_or_404(public_id)
    form = AddressForm()
    if not form.validate_on_submit():
        return _address_page(recipient, form, 400)
    fields = {name: getattr(form, name).data or "" for name in PostalAddress.__dataclass_fields__}
    errors = check_fields(0, {**fields, "public_label": recipient.public_label or "-"})
    for error in errors:
        getattr(form, error.column).errors = [import_error_text(error, with_line=False)]
    if errors:
        return _address_page(recipient, form, 400)
    address = PostalAddress(**{k: " ".join(v.split()) for k, v in fields.items()})
    try:
        change_address(db.session, recipient, address)
    except RecipientErased:
        abort(409)
    record_event(
        db.session, me().id, AuditAction.ADDRESS_CHANGED, f"recipient:{recipient.public_id}"
    )
    db.session.commit()
    flash(_("Address saved."))
    return _back(recipient)
    record_event(
        db.session, me().id, AuditAction.ADDRESS_VIEWED, f"recipient:{recipient.public_id}"
    )
    db.session.commit()
