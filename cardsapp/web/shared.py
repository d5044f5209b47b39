"""Plain visitors' repeat visits to the public pages, answered without running the app.

The landing page and the counter's JSON are the same for every plain visitor (no staff
login, no message waiting to be shown, no query string) in one language for as long as
that campaign's public snapshot lasts (`cardsapp.services.public`): a couple of seconds,
or until an admin changes the campaign. The first such visit runs the app as usual, and
its view calls `share()`; the whole answer (status, headers, body) is then kept with the
snapshot, and the next plain visits in that language get it back from here, without the
session, rate-limit, locale and template work that cost ten times as much on the day a
campaign is shared widely.

Never kept: an answer that sets a cookie, and anything the view did not share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, request
from itsdangerous import BadSignature
from werkzeug.wrappers import Request

from cardsapp.i18n import language_of

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from cardsapp.services.public import PublicCache, PublicView

_SHARED = "cardsapp.shared"


def share(view: PublicView, language: str) -> None:
    """Mark this request's answer as the same for every plain visitor in `language`."""
    request.environ[_SHARED] = (view, language)


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


class SharedAnswers:
    """WSGI middleware: gives plain visitors the answers views have shared, while fresh."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app
        self.public: PublicCache = app.extensions["cardsapp.public"]
        self.sessions = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        self.session_cookie = app.config["SESSION_COOKIE_NAME"]
        self.session_max_age = int(app.permanent_session_lifetime.total_seconds())

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "GET" or environ.get("QUERY_STRING"):
            return self.wsgi_app(environ, start_response)
        visit = Request(environ)
        if not self._plain(visit):
            return self.wsgi_app(environ, start_response)
        language = language_of(visit)
        key = (environ["wsgi.url_scheme"], visit.path, language)
        view = self.public.shared_view(key)
        answer = view.responses.get(key) if view is not None else None
        if isinstance(answer, _Answer):
            start_response(answer.status, list(answer.headers))
            return [answer.body]
        return self._run_and_keep(environ, start_response, key)

    def _plain(self, visit: Request) -> bool:
        """No staff login and no message waiting in the visitor's session cookie."""
        cookie = visit.cookies.get(self.session_cookie)
        if not cookie:
            return True
        try:
            session = self.sessions.loads(cookie, max_age=self.session_max_age)
        except BadSignature:
            return True  # the app ignores such a cookie too: an empty session
        return "_user_id" not in session and "_flashes" not in session

    def _run_and_keep(
        self, environ: WSGIEnvironment, start_response: StartResponse, key: tuple[str, ...]
    ) -> Iterable[bytes]:
        seen: list[tuple[str, list[tuple[str, str]]]] = []

        def remember(status: str, headers: list[tuple[str, str]], exc_info=None):
            seen.append((status, headers))
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, remember)
        shared = environ.get(_SHARED)
        if shared is None or not seen:
            return body
        view, language = shared
        status, headers = seen[-1]
        if language != key[2] or any(name.lower() == "set-cookie" for name, _ in headers):
            return body
        try:
            content = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        slug = self.public.slug_of(view)
        if slug is not None:  # kept by the cache (never a staff-only draft's view)
            view.responses[key] = _Answer(status, list(headers), content)
            self.public.remember_shared(key, slug)
        return [content]
