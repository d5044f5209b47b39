"""Public machine-readable endpoints: health and the counter."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from cardsapp.web.api import routes  # noqa: E402, F401
