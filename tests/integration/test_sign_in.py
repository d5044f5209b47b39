"""Staff sign-in: strangers cannot lock an account, passwords must be strong, TOTP codes."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Role, User
from cardsapp.web.auth.routes import TOTP_SETUP
from tests.factories import (
    STAFF_PASSWORD,
    compile_catalogues,
    log_in,
    make_user,
    staff_csrf_token,
)


@pytest.fixture(autouse=True, scope="module")
def _catalogues() -> None:
    compile_catalogues()


@pytest.fixture(autouse=True)
def _many_tries(config):
    config.rate_limit_login = "1000 per minute"


# --- 7. a stranger locked the account ----------


def test_a_stranger_guessing_cannot_lock_the_staff_member_out_of_her_own_browser(app):
    user = make_user(db.session, Role.MODERATOR)
    db.session.commit()
    own = app.test_client()
    assert log_in(own, user.email).status_code == 302  # her browser, known from now on
    own.post("/logout", data={"csrf_token": staff_csrf_token(own)})

    stranger = app.test_client()
    for _ in range(8):
        assert log_in(stranger, user.email, "a wrong guess, again").status_code == 200
    # The stranger is locked out, even with the right password ...
    assert log_in(stranger, user.email).status_code == 200
    # ... but she logs in from her own browser as usual.
    assert log_in(own, user.email).status_code == 302


def test_wrong_passwords_from_her_browser_lock_only_her_browser(app):
    user = make_user(db.session, Role.MODERATOR)
    db.session.commit()
    own = app.test_client()
    assert log_in(own, user.email).status_code == 302
    own.post("/logout", data={"csrf_token": staff_csrf_token(own)})
    for _ in range(5):
        log_in(own, user.email, "my fingers slipped here")
    assert log_in(own, user.email).status_code == 200
    assert log_in(app.test_client(), user.email).status_code == 302


# --- 9. an invite accepted aaaaaaaaaaaa ----------


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "password1234", "qwertyuiop123", "123456789012"]
)
def test_an_invite_refuses_a_common_or_guessable_password(app, client, password):
    from cardsapp.services.users import invite_user

    user, token = invite_user(db.session, "newcomer@example.org", {Role.MODERATOR})
    db.session.commit()
    answer = client.post(
        f"/invite/{token}",
        data={"password": password, "confirm": password, "csrf_token": staff_csrf_token(client)},
    )
    assert answer.status_code == 200
    assert "too easy to guess" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).invite_token_hash is not None


def test_the_command_line_refuses_a_guessable_password(app, runner):
    result = runner.invoke(
        args=["create-user", "x@example.org", "--role", "moderator"], input="password1234\n"
    )
    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


# --- two-factor ----------


def _next_code(secret: str) -> str:
    # The code of the next 30-second step: within the accepted window, never used before.
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_an_addresser_must_enrol_then_signs_in_with_a_code_or_a_recovery_code(app, config):
    config.two_factor_roles = ("admin", "addresser")
    user = make_user(db.session, Role.ADDRESSER)
    db.session.commit()
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    answer = client.get("/batches")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/account/two-factor")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    with client.session_transaction() as session:
        secret = session[TOTP_SETUP]
    wrong = client.post(
        "/account/two-factor", data={"code": "000000", "csrf_token": staff_csrf_token(client)}
    )
    assert "That code is wrong" in wrong.get_data(as_text=True)
    done = client.post(
        "/account/two-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": staff_csrf_token(client)},
    ).get_data(as_text=True)
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done)
    assert len(codes) == 10
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.totp_enabled_at is not None
    assert not any(code in str(stored.recovery_codes) for code in codes)
    assert client.get("/batches").status_code == 200

    # Next time: the password, then the code.
    fresh = app.test_client()
    answer = log_in(fresh, user.email)
    assert answer.headers["Location"].endswith("/login/code")
    assert fresh.get("/batches").status_code == 302  # not signed in yet
    code = _next_code(secret)
    answer = fresh.post("/login/code", data={"code": code, "csrf_token": staff_csrf_token(fresh)})
    assert answer.status_code == 302
    assert fresh.get("/batches").status_code == 200

    # The same code does not work twice.
    again = app.test_client()
    log_in(again, user.email)
    replay = again.post("/login/code", data={"code": code, "csrf_token": staff_csrf_token(again)})
    assert replay.status_code == 200
    # A recovery code works, once.
    used = again.post("/login/code", data={"code": codes[0], "csrf_token": staff_csrf_token(again)})
    assert used.status_code == 302
    other = app.test_client()
    log_in(other, user.email)
    refused = other.post(
        "/login/code", data={"code": codes[0], "csrf_token": staff_csrf_token(other)}
    )
    assert refused.status_code == 200
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"two_factor_enabled", "two_factor_failed", "recovery_code_used"} <= actions


def test_the_fresh_password_step_still_asks_only_for_the_password(app, config):
    from cardsapp.web.access import FRESH_AT

    user = make_user(db.session, Role.ADMIN)
    db.session.commit()
    client = app.test_client()
    log_in(client, user.email)
    with client.session_transaction() as session:
        session[FRESH_AT] = 0
    answer = client.post(
        "/reauth?next=/admin",
        data={"password": STAFF_PASSWORD, "csrf_token": staff_csrf_token(client)},
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin"


def test_a_password_change_refuses_a_guessable_password(app, client):
    user = make_user(db.session, Role.MODERATOR)
    db.session.commit()
    log_in(client, user.email)
    answer = client.post(
        "/password",
        data={
            "current": STAFF_PASSWORD,
            "password": "password1234",
            "confirm": "password1234",
            "csrf_token": staff_csrf_token(client),
        },
    )
    assert answer.status_code == 400
    assert "too easy to guess" in answer.get_data(as_text=True)
