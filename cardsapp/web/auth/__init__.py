"""Staff logins: log in, log out, type the password again, accept an invite."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from cardsapp.web.auth import password, routes  # noqa: E402, F401
