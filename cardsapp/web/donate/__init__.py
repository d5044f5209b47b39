"""The donor's pages: the campaign, writing, preview and thanks."""

from flask import Blueprint

bp = Blueprint("donate", __name__)

from cardsapp.web.donate import routes  # noqa: E402, F401
