"""GET|POST /login, POST /logout, GET|POST /reauth and GET|POST /invite/<token>."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from cardsapp.extensions import db, limiter
from cardsapp.models import Role, User
from cardsapp.services.accounts import InviteState, look_up_invite, remember_used_invite
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.users import (
    AccountError,
    LoginOutcome,
    accept_invite,
    authenticate,
    check_password,
    end_sessions,
    start_session,
)
from cardsapp.web.access import SEEN_AT, StaffUser, mark_password_entered, safe_next
from cardsapp.web.auth import bp
from cardsapp.web.auth.forms import InviteForm, LoginForm, ReauthForm


def _login_limit() -> str:
    return current_app.extensions["cardsapp.config"].rate_limit_login


def staff_home(user: User) -> str:
    """Where an account starts: the first page its roles open."""
    if user.has_role(Role.MODERATOR) and Role.ADMIN not in user.roles:
        return url_for("moderate.queue")
    if Role.ADMIN in user.roles:
        return url_for("admin.overview")
    return "/batches"


def _wrong_login_message() -> str:
    # The same words for a wrong password, an unknown e-mail and a locked account, so the page
    # tells a guesser nothing about which accounts exist.
    return _(
        "The e-mail or the password is wrong. After several wrong tries an account is "
        "locked for a while; please wait and try again."
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    """Log a staff member in with a new session."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(staff_home(current_user.user))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    result = authenticate(db.session, form.email.data or "", form.password.data or "")
    if not result.ok or result.user is None:
        user = result.user
        action = (
            AuditAction.LOGIN_LOCKED
            if result.outcome is LoginOutcome.LOCKED
            else AuditAction.LOGIN_FAILED
        )
        record_event(
            db.session,
            None,
            action,
            f"user:{user.id}" if user else None,
            outcome=result.outcome.value,
        )
        db.session.commit()
        return render_template("auth/login.html", form=form, error=_wrong_login_message()), 200
    user = result.user
    start_session(user)
    record_event(db.session, user.id, AuditAction.LOGIN, f"user:{user.id}")
    db.session.commit()
    # A new session: nothing from before the login (a planted cookie) survives it.
    session.clear()
    login_user(StaffUser(user))
    session[SEEN_AT] = int(time.time())
    mark_password_entered()
    return redirect(safe_next(request.args.get("next"), staff_home(user)))


@bp.post("/logout")
def logout() -> Response:
    """End the session for good: its cookie is refused from now on."""
    if current_user.is_authenticated:
        user = current_user.user
        end_sessions(user)
        record_event(db.session, user.id, AuditAction.LOGOUT, f"user:{user.id}")
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def reauth() -> Response | str:
    """Type the password again before addresses are shown or downloaded."""
    form = ReauthForm()
    target = safe_next(request.args.get("next"), staff_home(current_user.user))
    if not form.validate_on_submit():
        return render_template("auth/reauth.html", form=form, target=target)
    user = current_user.user
    result = check_password(db.session, user, form.password.data or "")
    if not result.ok:
        record_event(
            db.session,
            user.id,
            AuditAction.REAUTH_FAILED,
            f"user:{user.id}",
            outcome=result.outcome.value,
        )
        db.session.commit()
        return render_template(
            "auth/reauth.html", form=form, target=target, error=_wrong_login_message()
        )
    record_event(db.session, user.id, AuditAction.REAUTH, f"user:{user.id}")
    db.session.commit()
    mark_password_entered()
    return redirect(target)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def accept_invite_page(token: str) -> Response | str | tuple[str, int]:
    """An invited staff member chooses a password; a used or expired link says so."""
    found = look_up_invite(db.session, token)
    if found.state is not InviteState.VALID or found.user is None:
        return render_template("auth/invite_gone.html", state=found.state.value), 410
    user = found.user
    form = InviteForm()
    if not form.validate_on_submit():
        return render_template("auth/invite.html", form=form)
    try:
        accept_invite(db.session, user, form.password.data or "")
    except AccountError:
        return render_template("auth/invite.html", form=form)
    remember_used_invite(user, token)
    record_event(db.session, user.id, AuditAction.INVITE_ACCEPTED, f"user:{user.id}")
    db.session.commit()
    flash(_("Your password is set. Please log in."))
    return redirect(url_for("auth.login"))
