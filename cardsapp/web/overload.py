"""Under overload, refuse at once what has already waited too long; keep the rest fast.

The proxy stamps each request with the moment it arrived (`X-Request-Start: t=<seconds>`,
nginx's `$msec`; milliseconds, as Caddy's `{time.now.unix_ms}` gives, are read too). When
more people come than the processes can serve, requests queue in front of the app; one
that has waited longer than `config.queue_limit_ms` would, answered now, only make the
queue longer for everyone behind it. It gets 503 with Retry-After for the cost of reading
a header, and the queue drains instead of growing. Never refused this way: a POST other
than the preview, as it carries someone's work (a card, a moderation decision, an admin's
change); it waits its turn.

Only a proxy's stamp is trusted (`CARDS_PROXY_HOPS` > 0), and the proxy's and the app's
clocks must agree (NTP): a stamp older than gunicorn's 30 s timeout is a clock problem, not
a queue, and is ignored.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.support import NullTranslations, Translations
from markupsafe import escape
from werkzeug.wrappers import Request

from cardsapp.i18n import language_of
from cardsapp.security import CSP

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

RETRY_AFTER_S = 5
_CLOCK_TROUBLE_S = 30
_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
# The one POST refused when late: the page asks for a preview again as the donor writes.
_PREVIEW_PATH = "/preview"


def queued_seconds(stamp: str | None, now: float) -> float | None:
    """How long ago the proxy's X-Request-Start stamp was made; None when unreadable."""
    if not stamp or not stamp.startswith("t="):
        return None
    try:
        value = float(stamp[2:])
    except ValueError:
        return None
    if value > 1e11:  # milliseconds since 1970, not seconds
        value /= 1000
    waited = now - value
    if not 0 <= waited < _CLOCK_TROUBLE_S:
        return None
    return waited


class LateRequests:
    """WSGI middleware: 503 for a request that waited longer than `limit_ms` in the queue."""

    def __init__(self, wsgi_app: WSGIApplication, limit_ms: int) -> None:
        self.wsgi_app = wsgi_app
        self.limit_s = limit_ms / 1000

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        waited = queued_seconds(environ.get("HTTP_X_REQUEST_START"), time.time())
        if waited is None or waited < self.limit_s or not _may_refuse(environ):
            return self.wsgi_app(environ, start_response)
        return _busy(environ, start_response)


def _may_refuse(environ: WSGIEnvironment) -> bool:
    method = environ["REQUEST_METHOD"]
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return method == "POST" and environ.get("PATH_INFO") == _PREVIEW_PATH


@lru_cache(maxsize=8)
def _catalogue(language: str) -> Translations | NullTranslations:
    return Translations.load(str(_TRANSLATIONS), [language])


def _busy(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    visit = Request(environ)
    language = language_of(visit)
    text = _catalogue(language)
    headers = [
        ("Retry-After", str(RETRY_AFTER_S)),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]
    if visit.path.startswith("/api/"):
        body = json.dumps({"error": "busy"}).encode()
        headers += [("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*")]
    elif visit.headers.get("X-Requested-With"):  # the writing page's live preview
        sentence = text.gettext(
            "So many people are writing at once that the preview waited too long. "
            "It will come back in a few seconds; nothing you wrote is lost."
        )
        body = json.dumps({"errors": {"form": sentence}}).encode()
        headers.append(("Content-Type", "application/json"))
    else:
        title = text.gettext("Very busy right now")
        sentence = text.gettext(
            "So many people are here at once that this page waited too long. "
            "Please try again in a few seconds."
        )
        body = (
            f'<!doctype html><html lang="{language}"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(sentence)}</p>"
        ).encode()
        headers += [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", CSP)]
    headers.append(("Content-Length", str(len(body))))
    start_response("503 Service Unavailable", headers)
    return [body]
