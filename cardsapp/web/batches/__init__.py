"""The volunteers' print batches: printers build and print, addressers label and post."""

from flask import Blueprint

from cardsapp.models import Role
from cardsapp.web.access import restrict_to

bp = Blueprint("batches", __name__, url_prefix="/batches")
restrict_to(bp, Role.PRINTER, Role.ADDRESSER)

from cardsapp.web.batches import routes  # noqa: E402, F401
