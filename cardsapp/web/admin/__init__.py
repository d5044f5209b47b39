"""The admins' pages: campaign settings, recipients, staff and the audit log."""

from flask import Blueprint

from cardsapp.models import Role
from cardsapp.web.access import restrict_to

bp = Blueprint("admin", __name__, url_prefix="/admin")
restrict_to(bp, Role.ADMIN)

from cardsapp.web.admin import routes  # noqa: E402, F401
