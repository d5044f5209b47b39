"""GET|POST /login, POST /logout, GET|POST /reauth and GET|POST /invite/<token>."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from cardsapp.config import Config
from cardsapp.extensions import db, limiter
from cardsapp.models import Role, User
from cardsapp.services.accounts import InviteState, look_up_invite, remember_used_invite
from cardsapp.services.audit import AuditAction, record_event
from cardsapp.services.keyholders import ensure_personal_key
from cardsapp.services.two_factor import (
    check_second_factor,
    enable_two_factor,
    enrolment_qr,
    new_secret,
    two_factor_required,
)
from cardsapp.services.users import (
    AccountError,
    LoginOutcome,
    accept_invite,
    authenticate,
    check_password,
    end_sessions,
    find_user,
    start_session,
)
from cardsapp.web.access import SEEN_AT, StaffUser, mark_password_entered, safe_next
from cardsapp.web.auth import bp
from cardsapp.web.auth.forms import CodeForm, InviteForm, LoginForm, ReauthForm
from cardsapp.web.keys import kdf_cost, password_confirmed, wrong_password_message

KNOWN_BROWSER_COOKIE = "cardsapp_known"
KNOWN_BROWSER_DAYS = 180
KNOWN_BROWSER_DELAY_S = 0.5
# The session key of a login waiting for its second factor, and how long it waits.
PENDING = "pending_login"
PENDING_SECONDS = 300
TOTP_SETUP = "totp_setup"


def _config() -> Config:
    return current_app.extensions["cardsapp.config"]


def _login_limit() -> str:
    return _config().rate_limit_login


def staff_home(user: User) -> str:
    """Where an account starts: the first page its roles open."""
    if user.has_role(Role.MODERATOR) and Role.ADMIN not in user.roles:
        return url_for("moderate.queue")
    if Role.ADMIN in user.roles:
        return url_for("admin.overview")
    return "/batches"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    """Log a staff member in with a new session (after her second factor, when she has one)."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(staff_home(current_user.user))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    email = form.email.data or ""
    known = known_browser_of(email)
    if known:
        # The slower path: the owner's own browser gets in even while strangers are locked
        # out, but each of its tries takes a moment, so a stolen cookie guesses slowly too.
        time.sleep(KNOWN_BROWSER_DELAY_S)
    result = authenticate(db.session, email, form.password.data or "", known_browser=known)
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
        return render_template("auth/login.html", form=form, error=wrong_password_message()), 200
    user = result.user
    target = safe_next(request.args.get("next"), staff_home(user))
    # A keyholder-to-be gets her personal key pair the first time she logs in: only here, and
    # where addresses are opened, does the server see the password that wraps it.
    ensure_personal_key(db.session, user, form.password.data or "", kdf_cost())
    if user.totp_enabled_at is not None:
        db.session.commit()
        # Half signed in: only the code page opens until the second factor is given.
        session.clear()
        session[PENDING] = {"u": user.id, "at": int(time.time()), "k": known, "n": target}
        return redirect(url_for("auth.second_factor"))
    return _finish_login(user, target)


def _finish_login(user: User, target: str) -> Response:
    start_session(user)
    record_event(db.session, user.id, AuditAction.LOGIN, f"user:{user.id}")
    db.session.commit()
    # A new session: nothing from before the login (a planted cookie) survives it.
    session.clear()
    login_user(StaffUser(user))
    session[SEEN_AT] = int(time.time())
    mark_password_entered()
    response = redirect(target)
    remember_browser(response, user)
    return response


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor() -> Response | str | tuple[str, int]:
    """The six-digit code from the authenticator app (or a recovery code) after the password."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"))
    user = db.session.get(User, pending.get("u"))
    if user is None or not user.active or user.totp_enabled_at is None:
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/code.html", form=form)
    used = check_second_factor(db.session, user, form.code.data or "")
    if used is None:
        # A wrong code counts as a wrong password: the same locks apply.
        check_password(db.session, user, "", known_browser=bool(pending.get("k")))
        record_event(db.session, None, AuditAction.TWO_FACTOR_FAILED, f"user:{user.id}")
        db.session.commit()
        error = _("That code is wrong or was already used. Please try the next one.")
        return render_template("auth/code.html", form=form, error=error), 200
    if used == "recovery":
        record_event(db.session, user.id, AuditAction.RECOVERY_CODE_USED, f"user:{user.id}")
    return _finish_login(user, str(pending.get("n") or staff_home(user)))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor() -> Response | str | tuple[str, int]:
    """Turn on sign-in codes from an authenticator app: a QR code drawn here, recovery codes."""
    user = current_user.user
    if user.totp_enabled_at is not None:
        return render_template("auth/two_factor.html", enabled=True)
    secret = session.get(TOTP_SETUP)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[TOTP_SETUP] = new_secret()
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            codes = enable_two_factor(user, secret, form.code.data or "")
        except ValueError:
            error = _("That code is wrong. Please type the code the app shows now.")
        else:
            session.pop(TOTP_SETUP, None)
            record_event(db.session, user.id, AuditAction.TWO_FACTOR_ENABLED, f"user:{user.id}")
            db.session.commit()
            return render_template("auth/two_factor.html", enabled=True, recovery_codes=codes)
    return render_template(
        "auth/two_factor.html",
        enabled=False,
        form=form,
        qr=enrolment_qr(user.email, secret),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        required=two_factor_required(user, _config().two_factor_roles),
        error=error,
    )


# --- known browsers --------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-browser")


def known_browser_of(email: str) -> bool:
    """Whether this browser has logged in to this account before (a signed cookie says so)."""
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE, "")
    if not raw or len(raw) > 4000:
        return False
    try:
        ids = _serializer().loads(raw, max_age=KNOWN_BROWSER_DAYS * 86400)
    except BadSignature:
        return False
    user = find_user(db.session, email)
    return user is not None and isinstance(ids, list) and user.id in ids


def remember_browser(response: Response, user: User) -> None:
    """Mark this browser as one the account logs in from (its id only, signed)."""
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE, "")
    try:
        ids = _serializer().loads(raw, max_age=KNOWN_BROWSER_DAYS * 86400) if raw else []
    except BadSignature:
        ids = []
    ids = [*[i for i in ids if isinstance(i, int) and i != user.id][-4:], user.id]
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        _serializer().dumps(ids),
        max_age=KNOWN_BROWSER_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/login",
    )


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
    # The account is signed in here: its failures count with its own browsers'.
    if not password_confirmed(user, form.password.data or "", known_browser=True):
        return render_template(
            "auth/reauth.html", form=form, target=target, error=wrong_password_message()
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
        error = _(
            "That password is too easy to guess (a common password, a word with a few "
            "changes, a repeat or a sequence). A few unrelated words make a good one."
        )
        return render_template("auth/invite.html", form=form, error=error)
    remember_used_invite(user, token)
    record_event(db.session, user.id, AuditAction.INVITE_ACCEPTED, f"user:{user.id}")
    db.session.commit()
    flash(_("Your password is set. Please log in."))
    return redirect(url_for("auth.login"))
