"""The donor's pages: the campaign, writing, preview, thanks."""

from flask import Blueprint

bp = Blueprint("donate", __name__)

from cardsapp.web.donate import cards, landing, pictures, writing  # noqa: E402, F401
