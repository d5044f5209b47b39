"""GET|POST /batches, the batch files, the status JSON, and printed / mailed."""

from __future__ import annotations

import io

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from cardsapp.crypto.memory import wipe
from cardsapp.extensions import db
from cardsapp.models import CODE_ALPHABET, Batch, BatchLayout, BatchStatus, Campaign, Role, User
from cardsapp.queue import job_queues
from cardsapp.render.envelopes_pdf import DEFAULT_ENVELOPE, ENVELOPES
from cardsapp.render.labels_pdf import DEFAULT_SHEET, SHEETS
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.batches import (
    MAX_CARDS,
    BatchError,
    BatchNotFound,
    ClaimConflict,
    IllegalBatchMove,
    NothingToBatch,
    batch_by_code,
    batch_files,
    batch_progress,
    create_batch,
    file_parts,
    has_file,
    move_batch,
    recent_batches,
    waiting_cards,
    write_envelopes,
    write_labels,
)
from cardsapp.services.batches.lifecycle import labels_available
from cardsapp.services.campaigns import campaigns_by_id, staff_campaign_choice, staff_campaigns
from cardsapp.web.access import require_roles
from cardsapp.web.batches import bp
from cardsapp.web.batches.forms import (
    LAYOUT_LABELS,
    CalibrationForm,
    CreateBatchForm,
    EnvelopesForm,
    LabelsForm,
    MoveForm,
)
from cardsapp.web.keys import KeyRefused, campaign_key_from_password, sealed_response

CHUNK = 64 * 1024


def _me() -> User:
    return current_user.user


def _batch(code: str) -> Batch:
    """The batch named in the URL, or 404 (also for codes that cannot exist)."""
    if not 1 <= len(code) <= 16 or any(c not in CODE_ALPHABET for c in code):
        abort(404)
    try:
        return batch_by_code(db.session, code)
    except BatchNotFound:
        abort(404)


def _no_store(response: BaseResponse) -> BaseResponse:
    # Batch files hold messages or addresses: no cache, no proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.get("")
def index() -> str:
    """The batches, their status and progress, and what this account may do with them."""
    me = _me()
    campaign = _chosen_campaign()
    waiting = waiting_cards(db.session, campaign.id) if campaign else (0, False)
    config = current_app.extensions["cardsapp.config"]
    form = CreateBatchForm(formdata=None, max_cards=config.batch_default_cards)
    calibration = CalibrationForm(
        formdata=None, offset_x=me.label_offset_x_mm, offset_y=me.label_offset_y_mm
    )
    batches = recent_batches(db.session)
    return render_template(
        "batches/index.html",
        campaign=campaign,
        campaigns=staff_campaigns(db.session),
        batch_campaigns=campaigns_by_id(db.session, {b.campaign_id for b in batches}),
        layout_labels=LAYOUT_LABELS,
        waiting=waiting,
        form=form,
        move_form=MoveForm(),
        calibration=calibration,
        rows=[(b, batch_progress(b, job_queues())) for b in batches],
        building=any(b.status == BatchStatus.BUILDING for b in batches),
        can_print=me.has_role(Role.PRINTER),
        can_address=me.has_role(Role.ADDRESSER),
        sheets=SHEETS,
        max_cards=MAX_CARDS,
    )


@bp.post("")
@require_roles(Role.PRINTER)
def create() -> BaseResponse:
    """Claim approved cards into a new batch; its files are built by a worker."""
    form = CreateBatchForm()
    campaign = _chosen_campaign()
    back = url_for("batches.index", campaign=campaign.slug if campaign else None)
    if campaign is None or not form.validate_on_submit():
        flash(_("Choose how many cards (1 to 20,000) and a layout."), "error")
        return redirect(back)
    user_id, campaign_id = _me().id, campaign.id
    # The claim opens its own transaction: end the one this request's reads began.
    db.session.rollback()
    try:
        batch = create_batch(
            db.session, campaign_id, form.max_cards.data, BatchLayout(form.layout.data), user_id
        )
        code = batch.code
        db.session.commit()
    except NothingToBatch:
        db.session.rollback()
        flash(_("No approved card can go into a batch now."), "error")
        return redirect(back)
    except ClaimConflict:
        db.session.rollback()
        flash(_("Someone else was building a batch at the same moment. Please try again."))
        return redirect(back)
    flash(_("Batch %(code)s is being built.", code=code), "success")
    return redirect(back + f"#batch-{code}")


def _chosen_campaign() -> Campaign | None:
    """The campaign the printer picked (?campaign= or the form's field); the page names it."""
    return staff_campaign_choice(db.session, request.values.get("campaign", ""))


@bp.get("/<code>/status.json")
def status(code: str) -> BaseResponse:
    """Status and progress of one batch, polled by the progress bar."""
    batch = _batch(code)
    progress = batch_progress(batch, job_queues())
    response = jsonify(
        code=batch.code,
        status=progress.status.value,
        done=progress.done,
        total=progress.total,
        percent=progress.percent,
        error=batch.error if progress.status == BatchStatus.FAILED else None,
    )
    return _no_store(response)


def _send_batch_file(code: str, kind: str) -> BaseResponse:
    batch = _batch(code)
    if batch.status in (BatchStatus.BUILDING, BatchStatus.FAILED) or batch.purged_at:
        abort(404)
    stored = has_file(db.session, batch.id, kind)
    # Batches built before files were kept in the database have them on this disk.
    legacy = batch_files(current_app.extensions["cardsapp.config"].data_dir, batch)[kind]
    if not stored and not legacy.is_file():
        abort(404)
    batch_id, batch_code = batch.id, batch.code
    record_event(
        db.session, _me().id, AuditAction.BATCH_DOWNLOADED, target=f"batch:{batch_code}", file=kind
    )
    db.session.commit()
    if stored:
        # Streamed part by part from the database: the same on every machine, however large.
        response = Response(
            stream_with_context(file_parts(db.session, batch_id, kind)),
            mimetype="application/pdf",
        )
        response.headers["Content-Disposition"] = f'attachment; filename="{kind}-{batch_code}.pdf"'
        return _no_store(response)
    response = send_file(
        legacy,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{kind}-{batch_code}.pdf",
        max_age=0,
        conditional=False,
        etag=False,
    )
    return _no_store(response)


@bp.get("/<code>/cards.pdf")
@require_roles(Role.PRINTER)
def cards_pdf(code: str) -> BaseResponse:
    """The cards to print (messages, never addresses)."""
    return _send_batch_file(code, "cards")


@bp.get("/<code>/packing.pdf")
def packing_pdf(code: str) -> BaseResponse:
    """Envelope codes and card counts: no address, no message."""
    return _send_batch_file(code, "packing")


@bp.route("/<code>/labels.pdf", methods=["GET", "POST"])
@require_roles(Role.ADDRESSER)
def labels_pdf(code: str) -> BaseResponse | str | tuple[str | BaseResponse, int]:
    """The address labels: the password typed in this form opens them, in this request only."""
    form = LabelsForm(sheet=request.args.get("sheet", DEFAULT_SHEET))
    return _send_addresses(code, "labels", form, SHEETS, DEFAULT_SHEET)


@bp.route("/<code>/envelopes.pdf", methods=["GET", "POST"])
@require_roles(Role.ADDRESSER)
def envelopes_pdf(code: str) -> BaseResponse | str | tuple[str | BaseResponse, int]:
    """C6 or DL envelopes printed directly: labels' rules, the password typed in this form."""
    form = EnvelopesForm(sheet=request.args.get("size", DEFAULT_ENVELOPE))
    return _send_addresses(code, "envelopes", form, ENVELOPES, DEFAULT_ENVELOPE)


def _send_addresses(
    code: str, kind: str, form: LabelsForm | EnvelopesForm, choices: object, default: str
) -> BaseResponse | str | tuple[str | BaseResponse, int]:
    """Labels or envelopes of a batch, opened by the password typed in this request, audited.

    Built in memory and streamed; never stored anywhere, and the campaign key is closed again
    before the response leaves.
    """
    batch = _batch(code)
    if not labels_available(batch):
        abort(404)  # not built yet, or mailed: nobody needs these addresses (again)
    if not form.validate_on_submit():
        page = render_template("batches/labels.html", batch=batch, form=form, kind=kind)
        return _no_store_page(page)
    sheet = form.sheet.data if form.sheet.data in choices else default  # type: ignore[operator]
    me = _me()
    write = write_labels if kind == "labels" else write_envelopes
    buffer = io.BytesIO()
    try:
        with campaign_key_from_password(me, form.password.data or "", batch.campaign_id) as key:
            write(
                db.session,
                key,
                batch,
                buffer,
                sheet,
                (me.label_offset_x_mm, me.label_offset_y_mm),
            )
    except KeyRefused as refused:
        db.session.commit()  # the password check's own bookkeeping (throttle, personal key)
        page = render_template(
            "batches/labels.html", batch=batch, form=form, kind=kind, error=refused.message
        )
        return _no_store_page(page), 403
    except BatchError:
        abort(404)
    record_event(
        db.session,
        me.id,
        AuditAction.LABELS_DOWNLOADED,
        target=f"batch:{batch.code}",
        sheet=sheet,
        envelopes=batch.envelope_count,
    )
    db.session.commit()

    data = buffer.getbuffer()
    try:
        response = sealed_response(data.tobytes(), "application/pdf")
    finally:
        wipe(data)  # the PDF holds the addresses: no copy of it stays behind
        data.release()
    response.headers["Content-Disposition"] = f'attachment; filename="{kind}-{batch.code}.pdf"'
    return response


def _no_store_page(html: str) -> BaseResponse:
    return _no_store(Response(html, mimetype="text/html"))


def _move(code: str, to: BatchStatus) -> BaseResponse:
    batch = _batch(code)
    if not MoveForm().validate_on_submit():
        abort(400)
    try:
        move_batch(db.session, batch, to)
        action = (
            AuditAction.BATCH_PRINTED if to == BatchStatus.PRINTED else AuditAction.BATCH_MAILED
        )
        record_event(db.session, _me().id, action, target=f"batch:{batch.code}")
        db.session.commit()
    except IllegalBatchMove:
        db.session.rollback()
        flash(_("That batch cannot be marked so now."), "error")
    return redirect(url_for("batches.index", _anchor=f"batch-{batch.code}"))


@bp.post("/<code>/printed")
@require_roles(Role.PRINTER)
def mark_printed(code: str) -> BaseResponse:
    """The cards are printed (and cut)."""
    return _move(code, BatchStatus.PRINTED)


@bp.post("/<code>/mailed")
@require_roles(Role.ADDRESSER)
def mark_mailed(code: str) -> BaseResponse:
    """The envelopes are in the post."""
    return _move(code, BatchStatus.MAILED)


@bp.post("/calibration")
@require_roles(Role.ADDRESSER)
def calibrate() -> BaseResponse:
    """Save this account's label offset (its printer's feed is a little off)."""
    form = CalibrationForm()
    if not form.validate_on_submit():
        flash(_("Offsets are between -10 and 10 mm."), "error")
        return redirect(url_for("batches.index"))
    me = _me()
    me.label_offset_x_mm = float(form.offset_x.data)
    me.label_offset_y_mm = float(form.offset_y.data)
    db.session.commit()
    flash(_("Label offset saved."), "success")
    return redirect(url_for("batches.index"))
