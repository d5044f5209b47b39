"""Staff accounts: invite, roles, deactivate."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cardsapp.extensions import db
from cardsapp.models import Role, User, utcnow
from cardsapp.services.accounts import delete_user, reissue_invite
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.users import (
    SEPARATE_ROLES,
    AccountError,
    check_role_separation,
    deactivate_user,
    invite_user,
    list_users,
    reactivate_user,
    set_roles,
)
from cardsapp.web.admin import bp, me
from cardsapp.web.admin.forms import (
    ROLE_LABELS,
    ActiveForm,
    DeleteForm,
    InviteForm,
    RolesForm,
)


def _staff_page(
    invite_form: InviteForm | None = None,
    invite_link: str | None = None,
    invite_for: str | None = None,
) -> str:
    users = list_users(db.session)
    return render_template(
        "admin/staff.html",
        users=users,
        invite_form=invite_form or InviteForm(formdata=None),
        roles_forms={u.id: RolesForm(formdata=None, roles=sorted(u.roles)) for u in users},
        active_form=ActiveForm(formdata=None),
        delete_form=DeleteForm(formdata=None),
        invite_link=invite_link,
        invite_for=invite_for,
        now=utcnow(),
        roles=list(Role),
        role_labels=ROLE_LABELS,
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
    roles = {Role(r) for r in form.roles.data}
    try:
        combined = check_role_separation(roles, bool(form.combine.data))
        user, token = invite_user(db.session, form.email.data or "", roles)
    except AccountError as exc:
        db.session.rollback()
        form.email.errors = [*form.email.errors, _account_error(exc)]
        return _staff_page(form), 400
    record_event(
        db.session,
        me().id,
        AuditAction.USER_INVITED,
        f"user:{user.id}",
        roles=sorted(r.value for r in user.roles),
    )
    if combined:
        record_event(db.session, me().id, AuditAction.ROLES_COMBINED, f"user:{user.id}")
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
        SEPARATE_ROLES: _(
            "Printing and addressing are kept apart: tick the box to confirm that one "
            "person does both."
        ),
        "You cannot deactivate your own account.": _("You cannot deactivate your own account."),
        "The last active admin cannot be deactivated.": _(
            "The last active admin cannot be deactivated."
        ),
        "You cannot delete your own account.": _("You cannot delete your own account."),
        "The last active admin cannot be deleted.": _("The last active admin cannot be deleted."),
        "This account has no invitation waiting.": _("This account has no invitation waiting."),
    }
    return translations.get(text, text)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
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
    roles = {Role(r) for r in form.roles.data}
    try:
        combined = check_role_separation(roles, bool(form.combine.data))
        set_roles(db.session, user, roles, me())
    except AccountError as exc:
        db.session.rollback()
        flash(_account_error(exc), "error")
        return redirect(url_for("admin.staff"))
    after = sorted(r.value for r in user.roles)
    if before != after:
        record_event(
            db.session,
            me().id,
            AuditAction.USER_ROLES_CHANGED,
            f"user:{user.id}",
            before=before,
            after=after,
        )
        if combined:
            record_event(db.session, me().id, AuditAction.ROLES_COMBINED, f"user:{user.id}")
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
            deactivate_user(db.session, user, me())
    except AccountError as exc:
        db.session.rollback()
        flash(_account_error(exc), "error")
        return redirect(url_for("admin.staff"))
    record_event(
        db.session,
        me().id,
        AuditAction.USER_REACTIVATED if activate else AuditAction.USER_DEACTIVATED,
        f"user:{user.id}",
    )
    db.session.commit()
    flash(_("Account reactivated.") if activate else _("Account deactivated; its sessions ended."))
    return redirect(url_for("admin.staff"))


@bp.post("/staff/<int:user_id>/invite")
def reissue(user_id: int) -> str | Response:
    """A new invite link for an account whose link was lost or expired; the old one dies."""
    user = _user_or_404(user_id)
    if not ActiveForm().validate_on_submit():
        abort(400)
    try:
        token = reissue_invite(user)
    except AccountError as exc:
        flash(_account_error(exc), "error")
        return redirect(url_for("admin.staff"))
    record_event(db.session, me().id, AuditAction.INVITE_REISSUED, f"user:{user.id}")
    db.session.commit()
    link = url_for("auth.accept_invite_page", token=token, _external=True)
    flash(_("New invitation created; the old link no longer works. It works once, for 7 days."))
    return _staff_page(invite_link=link, invite_for=user.email)


@bp.post("/staff/<int:user_id>/delete")
def delete_account(user_id: int) -> Response:
    """Delete an account: its e-mail goes; the audit log keeps only its number."""
    user = _user_or_404(user_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.confirm.data:
        flash(_("Tick the box to confirm the deletion."), "error")
        return redirect(url_for("admin.staff"))
    try:
        delete_user(db.session, user, me())
    except AccountError as exc:
        db.session.rollback()
        flash(_account_error(exc), "error")
        return redirect(url_for("admin.staff"))
    record_event(db.session, me().id, AuditAction.USER_DELETED, f"user:{user.id}")
    db.session.commit()
    flash(_("Account deleted. The audit log keeps only its number."))
    return redirect(url_for("admin.staff"))
