"""Staff logins: sessions, throttling (kept in the database), idle timeout, fresh password."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from cardsapp import create_app
from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Role, User
from cardsapp.redis_server import EmbeddedRedis
from cardsapp.services.users import MAX_FAILED_LOGINS
from cardsapp.web.access import SEEN_AT
from tests.factories import (
    STAFF_PASSWORD,
    log_in,
    make_campaign,
    make_keyholder,
    make_recipient,
    make_user,
    staff_csrf_token,
)


def _actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_moderator_logs_in_and_lands_on_the_queue(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    response = log_in(client, "MOD@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moderate")
    assert client.get("/moderate").status_code == 200
    assert _actions() == ["login"]


def test_login_starts_a_new_session_and_drops_whatever_was_planted_before(app, client):
    user = make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    old_token = user.session_token
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    log_in(client, "mod@example.org")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"].endswith(":" + db.session.get(User, user.id).session_token)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_token != old_token


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    wrong = log_in(client, "mod@example.org", "not the password at all")
    unknown = log_in(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert "wrong" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).replace("mod@example.org", "X") == unknown.get_data(
        as_text=True
    ).replace("nobody@example.org", "X")
    assert _actions() == ["login_failed", "login_failed"]


def test_an_old_session_cookie_is_refused_after_logout(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    cookie = client.get_cookie("cardsapp_session").value
    response = client.post("/logout", data={"csrf_token": staff_csrf_token(client)})
    assert response.status_code == 302
    assert client.get("/moderate").status_code == 302
    # Someone who copied the cookie before the logout replays it.
    thief = app.test_client()
    thief.set_cookie("cardsapp_session", cookie)
    replay = thief.get("/moderate")
    assert replay.status_code == 302
    assert "/login" in replay.headers["Location"]


def test_a_copied_staff_cookie_is_refused_in_another_browser(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    assert client.get("/moderate").status_code == 200
    thief = app.test_client()
    thief.set_cookie("cardsapp_session", client.get_cookie("cardsapp_session").value)
    with app.app_context():
        replay = thief.get("/moderate", headers={"User-Agent": "Another browser/1.0"})
    assert replay.status_code == 302
    assert "/login" in replay.headers["Location"]


def test_a_donor_cookie_is_set_once_not_again_on_every_page(app, client):
    make_campaign(db.session)
    db.session.commit()
    assert "cardsapp_session" in client.get("/write").headers.get("Set-Cookie", "")
    for path in ("/", "/write", "/api/counter", "/"):
        with app.app_context():
            response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, path


def test_logout_needs_a_csrf_token(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    assert client.post("/logout").status_code == 400
    assert client.get("/moderate").status_code == 200


def test_an_idle_session_ends(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    idle = app.extensions["cardsapp.config"].session_idle_minutes * 60
    with client.session_transaction() as sess:
        sess[SEEN_AT] = int(time.time()) - idle - 5
    response = client.get("/moderate")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.get("/moderate").status_code == 302


def test_an_active_session_stays_logged_in(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    with client.session_transaction() as sess:
        sess[SEEN_AT] = int(time.time()) - 60
    assert client.get("/moderate").status_code == 200


def _fail(client, email: str, times: int) -> None:
    for _ in range(times):
        assert log_in(client, email, "a wrong password, again").status_code == 200


def test_an_account_is_locked_after_repeated_wrong_passwords(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    _fail(client, "mod@example.org", MAX_FAILED_LOGINS)
    user = db.session.scalars(select(User)).one()
    db.session.refresh(user)
    assert user.failed_logins == MAX_FAILED_LOGINS
    assert user.locked_until is not None
    # Even the right password is refused while the lock lasts.
    response = log_in(client, "mod@example.org", STAFF_PASSWORD)
    assert response.status_code == 200
    assert client.get("/moderate").status_code == 302
    assert _actions()[-1] == "login_locked"


def test_a_successful_login_clears_the_failure_count(app, client):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    _fail(client, "mod@example.org", MAX_FAILED_LOGINS - 1)
    assert log_in(client, "mod@example.org").status_code == 302
    user = db.session.scalars(select(User)).one()
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_login_throttling_holds_after_a_redis_restart(config, tmp_path: Path):
    server = EmbeddedRedis(tmp_path / "own-redis").start()
    try:
        config.redis_url = server.url
        app = create_app(config)
        with app.app_context():
            make_user(db.session, Role.MODERATOR, email="mod@example.org")
            db.session.commit()
            client = app.test_client()
            _fail(client, "mod@example.org", MAX_FAILED_LOGINS)
            # Redis keeps nothing on disk: a restart forgets every per-client limit.
            server.stop()
            server = EmbeddedRedis(tmp_path / "own-redis").start()
            assert server.process is not None
            fresh_client = app.test_client()
            response = log_in(fresh_client, "mod@example.org", STAFF_PASSWORD)
            assert response.status_code == 200
            assert fresh_client.get("/moderate").status_code == 302
            db.session.remove()
            db.engine.dispose()
    finally:
        server.stop()


def test_a_client_is_throttled_across_accounts(config):
    config.rate_limit_login = "3 per minute"
    redis.Redis.from_url(config.redis_url).flushdb()  # the tests' own Redis database only
    app = create_app(config)
    with app.app_context():
        client = app.test_client()
        codes = [
            log_in(client, f"guess{n}@example.org", "some wrong password").status_code
            for n in range(5)
        ]
        db.session.remove()
        db.engine.dispose()
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]


def test_an_address_needs_the_password_typed_with_the_request_every_time(app, client):
    campaign = make_campaign(db.session)
    recipient = make_recipient(db.session, campaign, n=7)
    make_keyholder(db.session, campaign, Role.ADMIN, email="admin@example.org")
    db.session.commit()
    log_in(client, "admin@example.org")
    url = f"/admin/recipients/{recipient.public_id}/address"
    # Just logged in, yet the page shows a password form and no address.
    form = client.get(url)
    assert form.status_code == 200 and "Nowhere" not in form.get_data(as_text=True)

    wrong = client.post(
        f"{url}/open", data={"password": "not my password", "csrf_token": staff_csrf_token(client)}
    )
    assert wrong.status_code == 403 and "Nowhere" not in wrong.get_data(as_text=True)

    right = client.post(
        f"{url}/open", data={"password": STAFF_PASSWORD, "csrf_token": staff_csrf_token(client)}
    )
    assert right.status_code == 200 and right.headers["Cache-Control"] == "no-store"
    assert "7 Nowhere Lane" in right.get_data(as_text=True)
    # The next look needs the password again: nothing was kept open.
    assert "Nowhere" not in client.get(url).get_data(as_text=True)
    assert _actions().count("address_viewed") == 1
    assert "reauth_failed" in _actions()


def test_a_deactivated_account_is_logged_out_at_once(app, client):
    admin = make_user(db.session, Role.ADMIN, email="admin@example.org")
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    log_in(client, "mod@example.org")
    assert client.get("/moderate").status_code == 200

    admin_client = app.test_client()
    log_in(admin_client, "admin@example.org")
    moderator = db.session.scalars(select(User).where(User.email == "mod@example.org")).one()
    response = admin_client.post(
        f"/admin/staff/{moderator.id}/active",
        data={"action": "deactivate", "csrf_token": staff_csrf_token(admin_client)},
    )
    assert response.status_code == 302
    assert client.get("/moderate").status_code == 302
    assert log_in(client, "mod@example.org").status_code == 200  # refused
    assert admin.active


def test_an_invited_person_sets_a_password_once_and_logs_in(app, client):
    make_user(db.session, Role.ADMIN, email="admin@example.org")
    db.session.commit()
    log_in(client, "admin@example.org")
    page = client.post(
        "/admin/staff/invite",
        data={
            "email": "new.helper@example.org",
            "roles": ["printer", "addresser"],
            "combine": "y",  # one person doing both is confirmed (see test_security_findings)
            "csrf_token": staff_csrf_token(client),
        },
    ).get_data(as_text=True)
    import re

    link = re.search(r"http://localhost(/invite/[\w-]+)", page)
    assert link, page
    newcomer = app.test_client()
    assert newcomer.get(link.group(1)).status_code == 200
    short = newcomer.post(
        link.group(1),
        data={"password": "short", "confirm": "short", "csrf_token": staff_csrf_token(newcomer)},
    )
    assert short.status_code == 200
    assert "at least 12" in short.get_data(as_text=True)
    chosen = "a very long and private passphrase"
    done = newcomer.post(
        link.group(1),
        data={"password": chosen, "confirm": chosen, "csrf_token": staff_csrf_token(newcomer)},
    )
    assert done.status_code == 302
    used = newcomer.get(link.group(1))
    assert used.status_code == 410 and "already used" in used.get_data(as_text=True)
    assert log_in(newcomer, "new.helper@example.org", chosen).status_code == 302
    user = db.session.scalars(select(User).where(User.email == "new.helper@example.org")).one()
    assert user.roles == {Role.PRINTER, Role.ADDRESSER}


@pytest.mark.parametrize(
    "path", ["/login?next=https://evil.example/", "/login?next=//evil.example"]
)
def test_login_never_redirects_to_another_site(app, client, path):
    make_user(db.session, Role.MODERATOR, email="mod@example.org")
    db.session.commit()
    token = staff_csrf_token(client)
    response = client.post(
        path, data={"email": "mod@example.org", "password": STAFF_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
