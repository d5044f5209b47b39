"""Security headers on every response, and the one rule for what may change state.

A request changes state only when it is a POST whose CSRF token was checked: GET, HEAD,
OPTIONS (and anything else) never do. Views ask `is_submission()`; under them the database
refuses any INSERT, UPDATE or DELETE made while serving another request (the audit log
excepted: a download is recorded when it happens), so a view that forgets cannot store.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request, session
from sqlalchemy import event
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
# Files (PDF, images, JSON) run nothing and embed nothing.
CSP_FILES = "default-src 'none'; frame-ancestors 'none'; sandbox"
# The counter badge and JSON are meant to be embedded by other sites.
EMBEDDABLE = ("/api/counter", "/counter.svg")


# Rows a safe request may still write: the audit log records downloads (GET) as they happen.
WRITABLE_ON_SAFE_REQUESTS = ("audit_events",)
_WRITES = ("INSERT", "UPDATE", "DELETE")


class UnsafeWrite(RuntimeError):
    """A request that is not a checked POST tried to change the database."""


def is_submission() -> bool:
    """Whether this request may change state: a POST (its CSRF token is checked before views)."""
    return request.method == "POST"


def _refuse_unsafe_writes(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if not has_request_context():
        return
    if request.method == "POST" and g.get("csrf_valid", False):
        return
    words = statement.lstrip().split(None, 3)
    if not words or words[0].upper() not in _WRITES:
        return
    table = (words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]).strip('"')
    if table in WRITABLE_ON_SAFE_REQUESTS:
        return
    raise UnsafeWrite(f"{request.method} {request.endpoint} tried to change {table}")


def guard_database(engine: Any) -> None:
    """Refuse writes to the database from requests that are not checked POSTs."""
    if not event.contains(engine, "before_cursor_execute", _refuse_unsafe_writes):
        event.listen(engine, "before_cursor_execute", _refuse_unsafe_writes)


def refuse_crowded_forms() -> None:
    """413 for a url-encoded form with more fields than MAX_FORM_PARTS.

    Werkzeug limits the parts of multipart forms only; a url-encoded body within
    MAX_CONTENT_LENGTH could still carry tens of thousands of fields.
    """
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    # Reading the body here respects MAX_CONTENT_LENGTH; the form is parsed from this cache.
    fields = request.get_data(cache=True).count(b"&") + 1
    if fields > current_app.config["MAX_FORM_PARTS"]:
        raise RequestEntityTooLarge()


# Blueprints whose every answer is for staff only.
STAFF_BLUEPRINTS = frozenset({"auth", "moderate", "admin", "batches"})


def _private(response: Response) -> bool:
    """Whether a response must never be cached: a staff page, or any page of a staff session."""
    if request.endpoint == "static":
        return False
    if request.blueprint in STAFF_BLUEPRINTS:
        return True
    return "_user_id" in session


class DatabaseIntegerConverter(IntegerConverter):
    """<int:...> in URLs: ids the database can hold; a larger number is 404, not a 500."""

    def __init__(
        self,
        map: Any,
        fixed_digits: int = 0,
        min: Any = None,
        max: Any = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, 2**31 - 1 if max is None else max, signed)


def init_app(app: Flask) -> None:
    """Add the headers after every request, and refuse crowded forms before anything reads them."""
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_crowded_forms)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        is_page = response.mimetype == "text/html"
        headers["Content-Security-Policy"] = CSP if is_page else CSP_FILES
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = (
            "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        if not request.path.startswith(EMBEDDABLE):
            headers["X-Frame-Options"] = "DENY"
            headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if _private(response):
            # Staff pages and files, and anything shown to a logged-in account, stay in no
            # cache: not the browser's (a shared computer), not a proxy's.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        return response
