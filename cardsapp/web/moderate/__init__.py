"""The moderators' queue: approve or reject every card before it can print."""

from flask import Blueprint

from cardsapp.models import Role
from cardsapp.web.access import restrict_to

bp = Blueprint("moderate", __name__, url_prefix="/moderate")
restrict_to(bp, Role.MODERATOR)

from cardsapp.web.moderate import routes  # noqa: E402, F401
