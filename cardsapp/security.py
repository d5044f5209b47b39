"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
# Files (PDF, images, JSON) run nothing and embed nothing.
CSP_FILES = "default-src 'none'; frame-ancestors 'none'; sandbox"
# The counter badge and JSON are meant to be embedded by other sites.
EMBEDDABLE = ("/api/counter", "/counter.svg")


def init_app(app: Flask) -> None:
    """Add the headers after every request."""

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
