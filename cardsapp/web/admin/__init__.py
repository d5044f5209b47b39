"""The admins' pages: campaign settings, recipients, staff and the audit log."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_login import current_user
from werkzeug.wrappers import Response

from cardsapp.extensions import db
from cardsapp.models import Campaign, Role, User
from cardsapp.services.campaigns import staff_campaign_choice
from cardsapp.web.access import restrict_to

bp = Blueprint("admin", __name__, url_prefix="/admin")
restrict_to(bp, Role.ADMIN)


def me() -> User:
    """The admin making this request."""
    return current_user.user


def available_designs() -> list[str]:
    """The slugs of the designs this server has."""
    from cardsapp.render.designs import readable_designs

    return list(readable_designs(current_app.extensions["cardsapp.config"].designs_dir))


def campaign_from_request() -> Campaign | None:
    """The campaign named by ?campaign=<slug> (or the form's field), else the first offered.

    Every page that uses it names the campaign it shows and offers the others.
    """
    return staff_campaign_choice(db.session, request.values.get("campaign", ""))


@bp.after_request
def _never_cache(response: Response) -> Response:
    # Staff pages (and one of them shows an address) must not stay in any cache.
    response.headers["Cache-Control"] = "no-store"
    if request.method == "POST":
        # A changed campaign or recipient shows on this process's donor pages at once.
        from cardsapp.web import public_cache

        public_cache().forget()
    return response


from cardsapp.web.admin import (  # noqa: E402, F401
    audit,
    campaign_life,
    campaigns,
    keys,
    recipients,
    report,
    staff,
)
