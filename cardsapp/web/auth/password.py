"""GET|POST /password: a staff member changes her own password, given the current one."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from cardsapp.extensions import db, limiter
from cardsapp.services.accounts import PasswordChange, change_own_password
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.keyholders import rewrap_personal_key
from cardsapp.services.users import GUESSABLE_TEXT, MIN_PASSWORD_LENGTH, AccountError
from cardsapp.web.access import SEEN_AT, StaffUser, mark_password_entered
from cardsapp.web.auth import bp
from cardsapp.web.auth.forms import PasswordChangeForm
from cardsapp.web.keys import kdf_cost


def _limit() -> str:
    return current_app.extensions["cardsapp.config"].rate_limit_login


def account_error_text(exc: AccountError) -> str:
    """An account rule broken, in the staff member's language."""
    texts = {
        "The new password is the same as the current one.": _(
            "The new password is the same as the current one."
        ),
        GUESSABLE_TEXT: _(
            "That password is too easy to guess (a common password, a word with a few "
            "changes, a repeat or a sequence). A few unrelated words make a good one."
        ),
    }
    text = str(exc)
    if text.startswith("The password must be at least"):
        return _("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
    return texts.get(text, text)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit, methods=["POST"])
def change_password() -> Response | str | tuple[str, int]:
    """Change one's own password: the current one first; other sessions end."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form)
    user = current_user.user
    try:
        outcome, session_id = change_own_password(
            db.session, user, form.current.data or "", form.password.data or ""
        )
    except AccountError as exc:
        db.session.rollback()
        form.password.errors = [account_error_text(exc)]
        return render_template("auth/password.html", form=form), 400
    if outcome is not PasswordChange.DONE or session_id is None:
        record_event(
            db.session, user.id, AuditAction.REAUTH_FAILED, f"user:{user.id}", via="password"
        )
        db.session.commit()
        form.current.errors = [
            _(
                "The current password is wrong. After several wrong tries the account is "
                "locked for a while."
            )
        ]
        return render_template("auth/password.html", form=form), 400
    # Her address keys stay hers: the same personal key, wrapped under the new password.
    rewrap_personal_key(
        db.session, user, form.current.data or "", form.password.data or "", kdf_cost()
    )
    record_event(db.session, user.id, AuditAction.PASSWORD_CHANGED, f"user:{user.id}")
    db.session.commit()
    # The old session id is dead everywhere: this browser carries on with the new one.
    session.clear()
    login_user(StaffUser(user))
    session[SEEN_AT] = int(time.time())
    mark_password_entered()
    flash(_("Your password is changed. Other devices were logged out."))
    return redirect(url_for("auth.change_password"))
