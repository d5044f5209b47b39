"""Staff accounts over the years: invites re-issued, passwords changed, accounts deleted."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, text

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Role, User, utcnow
from cardsapp.services.users import invite_user
from tests.factories import STAFF_PASSWORD, log_in, logged_in_admin, make_user
from tests.factories import staff_csrf_token as token

NEW_PASSWORD = "violet kettle under the bridge"


def _invite_path(page: str) -> str:
    return re.search(r"https?://[^/]+(/invite/[\w-]+)", page).group(1)


def _accept(client, path: str, password: str = NEW_PASSWORD):
    data = {"password": password, "confirm": password, "csrf_token": token(client)}
    return client.post(path, data=data)


def test_a_used_or_expired_invite_link_says_so_in_plain_words(app, client):
    admin_client = app.test_client()
    logged_in_admin(db.session, admin_client)
    _user, link_token = invite_user(db.session, "helper@example.org", {Role.MODERATOR})
    db.session.commit()
    assert _accept(client, f"/invite/{link_token}").status_code == 302
    again = client.get(f"/invite/{link_token}")
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)
    assert "not found" not in again.get_data(as_text=True).lower()
    other, late_token = invite_user(db.session, "late@example.org", {Role.PRINTER})
    other.invite_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = client.get(f"/invite/{late_token}")
    assert expired.status_code == 410
    assert "has expired" in expired.get_data(as_text=True)
    nonsense = client.get("/invite/no-such-link")
    assert nonsense.status_code == 410
    assert "does not work" in nonsense.get_data(as_text=True)


def test_an_admin_reissues_an_expired_invite_and_only_the_new_link_works(app, client):
    admin_client = app.test_client()
    logged_in_admin(db.session, admin_client)
    user, old_token = invite_user(db.session, "lost@example.org", {Role.ADDRESSER})
    user.invite_expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    page = admin_client.get("/admin/staff").get_data(as_text=True)
    assert "invitation expired" in page
    response = admin_client.post(
        f"/admin/staff/{user.id}/invite", data={"csrf_token": token(admin_client)}
    )
    assert response.status_code == 200
    new_path = _invite_path(response.get_data(as_text=True))
    assert client.get(f"/invite/{old_token}").status_code == 410
    assert client.get(new_path).status_code == 200
    assert _accept(client, new_path).status_code == 302
    assert log_in(client, "lost@example.org", NEW_PASSWORD).status_code == 302
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target == f"user:{user.id}")
    ).all()
    assert "invite_reissued" in actions and "invite_accepted" in actions
    # Once accepted there is nothing to re-issue.
    admin_client.post(f"/admin/staff/{user.id}/invite", data={"csrf_token": token(admin_client)})
    db.session.expire_all()
    assert db.session.get(User, user.id).invite_token_hash is None


def _change(client, current: str, new: str = NEW_PASSWORD):
    data = {"current": current, "password": new, "confirm": new, "csrf_token": token(client)}
    return client.post("/password", data=data)


def test_staff_change_their_own_password_with_the_current_one(app, client):
    make_user(db.session, Role.PRINTER, email="printer@example.org")
    db.session.commit()
    other_device = app.test_client()
    log_in(other_device, "printer@example.org")
    log_in(client, "printer@example.org")
    assert client.get("/password").status_code == 200
    wrong = _change(client, "not my password at all")
    assert wrong.status_code == 400
    assert "current password is wrong" in wrong.get_data(as_text=True)
    short = _change(client, STAFF_PASSWORD, "short")
    assert short.status_code == 200 and "at least 12" in short.get_data(as_text=True)
    done = _change(client, STAFF_PASSWORD)
    assert done.status_code == 302
    assert client.get("/batches").status_code == 200  # this browser stays logged in
    assert other_device.get("/batches").status_code == 302  # the other one is logged out
    fresh = app.test_client()
    assert "/login" not in log_in(fresh, "printer@example.org", NEW_PASSWORD).headers["Location"]
    stale = app.test_client()
    assert log_in(stale, "printer@example.org", STAFF_PASSWORD).status_code == 200


def test_deleting_a_staff_account_keeps_only_its_number_in_the_audit_log(app, client):
    admin = logged_in_admin(db.session, client)
    volunteer = make_user(db.session, Role.MODERATOR, email="volunteer@example.org")
    db.session.commit()
    volunteer_client = app.test_client()
    log_in(volunteer_client, "volunteer@example.org")
    volunteer_id = volunteer.id
    url = f"/admin/staff/{volunteer_id}/delete"
    client.post(url, data={"csrf_token": token(client)})  # not confirmed: nothing happens
    assert db.session.scalar(select(User.email).where(User.id == volunteer_id))
    done = client.post(url, data={"confirm": "y", "csrf_token": token(client)})
    assert done.status_code == 302
    db.session.expire_all()
    emails = db.session.execute(text("SELECT email FROM users")).scalars().all()
    assert "volunteer@example.org" not in emails
    assert f"user:{volunteer_id} (deleted)" in emails
    assert volunteer_client.get("/moderate").status_code == 302  # her session ended
    assert log_in(app.test_client(), "volunteer@example.org").status_code == 200
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == volunteer_id)).all()
    assert events and all(e.target == f"user:{volunteer_id}" for e in events)
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "volunteer@example.org" not in audit
    assert f"user:{volunteer_id} (deleted)" in audit
    staff = client.get("/admin/staff").get_data(as_text=True)
    assert "(deleted)" not in staff
    own = client.post(
        f"/admin/staff/{admin.id}/delete", data={"confirm": "y", "csrf_token": token(client)}
    )
    assert own.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).deleted_at is None
