"""A campaign's address key: set it up, give it to a colleague, take it away, rotate, recover.

Every page that opens the key takes the admin's password (or the recovery code) in the same
POST; a recovery code is shown once, in the response, never in the session or a flash.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from cardsapp.crypto.address import AddressKeyError
from cardsapp.extensions import db
from cardsapp.models import Campaign, CampaignKey, PersonalKey, User
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.keyholders import (
    grant_keyholder,
    keyholders,
    may_hold_keys,
    revoke_keyholder,
    set_up_campaign_key,
    unlocked_by_recovery,
)
from cardsapp.services.keys import KEY_TABLES, rotate_campaign_key
from cardsapp.services.residue import scrub_after_delete
from cardsapp.web.admin import bp, campaign_from_request, me
from cardsapp.web.admin.forms import GrantKeyForm, KeyActionForm, RecoverKeyForm, RotateKeyForm
from cardsapp.web.keys import KeyRefused, campaign_key_from_password, kdf_cost, sealed_response


def _candidates(campaign: Campaign, holders: list[User]) -> list[User]:
    """Admins and addressers who could be given the key: they have logged in once."""
    held = {u.id for u in holders}
    users = db.session.scalars(
        select(User).join(PersonalKey, PersonalKey.user_id == User.id).order_by(User.email)
    )
    return [u for u in users if u.id not in held and may_hold_keys(u)]


def _keys_page(
    campaign: Campaign | None, error: str | None = None, grant: GrantKeyForm | None = None
) -> str:
    holders = keyholders(db.session, campaign.id) if campaign else []
    grant = grant or GrantKeyForm(formdata=None)
    grant.user_id.choices = (
        [(u.id, u.email) for u in _candidates(campaign, holders)] if campaign else []
    )
    return render_template(
        "admin/keys.html",
        campaign=campaign,
        has_key=bool(campaign and db.session.get(CampaignKey, campaign.id)),
        holders=holders,
        grant_form=grant,
        rotate_form=RotateKeyForm(formdata=None),
        recover_form=RecoverKeyForm(formdata=None),
        action_form=KeyActionForm(formdata=None),
        error=error,
    )


def _recovery_page(campaign: Campaign, code: str) -> Response:
    page = render_template("admin/recovery_code.html", campaign=campaign, code=code)
    return sealed_response(page, "text/html")


@bp.get("/keys")
def keys() -> str:
    """Who holds the campaign's address key, and what can be done with it."""
    return _keys_page(campaign_from_request())


@bp.post("/keys/setup")
def set_up_key() -> Response | tuple[str, int]:
    """Give the campaign its key pair, held by this admin; show its recovery code once."""
    campaign = campaign_from_request()
    if campaign is None or not KeyActionForm().validate_on_submit():
        abort(400)
    try:
        code = set_up_campaign_key(db.session, campaign, [me()], me(), kdf_cost())
    except AddressKeyError:
        db.session.rollback()
        return _keys_page(campaign, _("This campaign already has an address key.")), 409
    record_event(db.session, me().id, AuditAction.KEYS_SET_UP, f"campaign:{campaign.id}", holders=1)
    db.session.commit()
    return _recovery_page(campaign, code)


@bp.post("/keys/grant")
def grant_key() -> Response | tuple[str, int]:
    """Seal the key to a colleague: the admin's password, typed here, opens it to do so."""
    campaign = campaign_from_request()
    if campaign is None:
        abort(400)
    form = GrantKeyForm()
    holders = keyholders(db.session, campaign.id)
    form.user_id.choices = [(u.id, u.email) for u in _candidates(campaign, holders)]
    if not form.validate_on_submit():
        return _keys_page(campaign, grant=form), 400
    grantee = db.session.get(User, form.user_id.data)
    if grantee is None:
        abort(400)
    try:
        with campaign_key_from_password(me(), form.password.data or "", campaign.id) as key:
            grant_keyholder(db.session, key, grantee, me())
    except KeyRefused as refused:
        db.session.commit()  # the password check's own bookkeeping
        return _keys_page(campaign, refused.message), 403
    record_event(
        db.session, me().id, AuditAction.KEY_GRANTED, f"campaign:{campaign.id}", to=grantee.id
    )
    db.session.commit()
    flash(_("The key was given."))
    return redirect(url_for("admin.keys", campaign=campaign.slug))


@bp.post("/keys/revoke/<int:user_id>")
def revoke_key(user_id: int) -> Response:
    """Take the key from one keyholder (then rotate: she may have kept a copy)."""
    campaign = campaign_from_request()
    user = db.session.get(User, user_id)
    if campaign is None or user is None or not KeyActionForm().validate_on_submit():
        abort(400)
    if revoke_keyholder(db.session, campaign.id, user):
        record_event(
            db.session, me().id, AuditAction.KEY_REVOKED, f"campaign:{campaign.id}", user=user.id
        )
    db.session.commit()
    scrub_after_delete(db.engine, KEY_TABLES)
    flash(_("The key was taken away. Rotate it now: she may have kept a copy of the old one."))
    return redirect(url_for("admin.keys", campaign=campaign.slug))


@bp.post("/keys/rotate")
def rotate_key() -> Response | tuple[str, int]:
    """A new key pair: every address re-sealed in this request; a new recovery code shown once."""
    campaign = campaign_from_request()
    form = RotateKeyForm()
    if campaign is None or not form.validate_on_submit():
        abort(400)
    try:
        with campaign_key_from_password(me(), form.password.data or "", campaign.id) as key:
            rotation = rotate_campaign_key(db.session, key, me(), kdf_cost())
    except KeyRefused as refused:
        db.session.commit()
        return _keys_page(campaign, refused.message), 403
    except AddressKeyError:
        db.session.rollback()
        return _keys_page(campaign, _("The addresses could not be opened.")), 409
    record_event(
        db.session,
        me().id,
        AuditAction.KEYS_ROTATED,
        f"campaign:{campaign.id}",
        count=rotation.resealed,
    )
    db.session.commit()
    # The old ciphertexts and slots leave the database files too (a rare, admin-only request).
    scrub_after_delete(db.engine, KEY_TABLES)
    return _recovery_page(campaign, rotation.recovery_code)


@bp.post("/keys/recover")
def recover_key() -> Response | tuple[str, int]:
    """Take the key with the recovery code, when no keyholder is left."""
    campaign = campaign_from_request()
    form = RecoverKeyForm()
    if campaign is None or not form.validate_on_submit():
        abort(400)
    try:
        with unlocked_by_recovery(db.session, campaign.id, form.recovery_code.data or "") as key:
            grant_keyholder(db.session, key, me(), me())
    except AddressKeyError:
        db.session.rollback()
        message = _("That recovery code does not open this campaign's key.")
        return _keys_page(campaign, message), 403
    record_event(
        db.session, me().id, AuditAction.KEY_RECOVERED, f"campaign:{campaign.id}", to=me().id
    )
    db.session.commit()
    flash(_("You now hold the key."))
    return redirect(url_for("admin.keys", campaign=campaign.slug))
