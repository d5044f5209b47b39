"""The audit log and the page of what data we hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields import SelectChoice

from cardsapp.extensions import db
from cardsapp.services.audit import AuditAction, AuditFilter, list_events
from cardsapp.services.users import (
    list_users,
)
from cardsapp.web.admin import bp
from cardsapp.web.admin.forms import (
    AuditFilterForm,
)


@bp.get("/audit")
def audit() -> str:
    """The audit log, newest first, with filters."""
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", _("Everything"))] + [
        SelectChoice(a.value, a.value) for a in AuditAction
    ]
    form.actor.choices = [SelectChoice("", _("Everyone"))] + [
        SelectChoice(str(u.id), u.email) for u in list_users(db.session)
    ]
    form.validate()
    # An id longer than any real one would overflow the database's integer.
    actor = form.actor.data if form.actor.data and form.actor.data.isdigit() else None
    actor = actor if actor and len(actor) < 12 else None
    wanted = AuditFilter(
        action=form.action.data or None if not form.action.errors else None,
        actor_id=int(actor) if actor else None,
        target=(form.target.data or "").strip() or None,
        since=datetime.combine(form.since.data, time(), UTC)
        if form.since.data and not form.since.errors
        else None,
        # The last day has no day after it to stop at: no upper bound then.
        until=datetime.combine(form.until.data + timedelta(days=1), time(), UTC)
        if form.until.data and not form.until.errors and form.until.data < date.max
        else None,
    )
    before = request.args.get("before", "")
    page = list_events(
        db.session, wanted, int(before) if before.isdigit() and len(before) < 12 else None
    )
    next_url = None
    if page.next_before:
        args = {k: v for k, v in request.args.items() if k != "before"}
        next_url = url_for("admin.audit", before=page.next_before, **args)  # type: ignore[arg-type]
    return render_template("admin/audit.html", form=form, page=page, next_url=next_url)


@bp.get("/data")
def data_held() -> str:
    """What we hold about people, how it is protected and when it goes."""
    from cardsapp.services.holdings import data_holdings

    config = current_app.extensions["cardsapp.config"]
    return render_template(
        "admin/data.html", holdings=data_holdings(db.session, config.retention_days)
    )
