"""Error pages: a clear page in the user's language, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_page(status: int, title: str, detail: str) -> ResponseReturnValue:
    if _wants_json():
        return jsonify(error=title), status
    return render_template("error.html", status=status, title=title, detail=detail), status


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf_error(_exc: CSRFError) -> ResponseReturnValue:
        return _error_page(
            400,
            _("This form has expired"),
            _("Please go back, reload the page and send it again. Nothing was saved."),
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        messages = {
            400: (_("Bad request"), _("The request could not be understood.")),
            403: (_("Not allowed"), _("Your account cannot open this page.")),
            404: (_("Page not found"), _("There is nothing at this address.")),
            405: (_("Not allowed"), _("This page cannot be used this way.")),
            413: (_("Too large"), _("What you sent is larger than this site accepts.")),
            429: (_("Too many requests"), _("Please wait a minute and try again.")),
        }
        title, detail = messages.get(exc.code or 500, (exc.name, ""))
        return _error_page(exc.code or 500, title, detail)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _database_down(exc: Exception) -> ResponseReturnValue:
        # The exception text may quote SQL parameters (messages, addresses): log its type only.
        log.error("database unavailable: %s", type(exc).__name__)
        return _error_page(
            503,
            _("We will be back soon"),
            _("The service is briefly unavailable. Please try again in a few minutes."),
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        log.error("unhandled %s on %s", type(exc).__name__, request.endpoint)
        return _error_page(
            500,
            _("Something went wrong"),
            _("Please try again. If it keeps happening, tell the campaign organisers."),
        )
