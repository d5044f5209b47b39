"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
# Files (PDF, images, JSON) run nothing and embed nothing.
CSP_FILES = "default-src 'none'; frame-ancestors 'none'; sandbox"
# The counter badge and JSON are meant to be embedded by other sites.
EMBEDDABLE = ("/api/counter", "/counter.svg")


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


def init_app(app: Flask) -> None:
    """Add the headers after every request, and refuse crowded forms before anything reads them."""
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
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        return response
