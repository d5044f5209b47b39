"""Languages: Belarusian, Russian and English; a cookie remembers the choice."""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import get_locale

from cardsapp.extensions import babel

LANGUAGES = {"be": "Беларуская", "ru": "Русский", "en": "English"}
LANG_COOKIE = "lang"


def select_locale() -> str:
    """The remembered choice first, then the browser's Accept-Language."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default="en")


def localized(texts: dict[str, str] | None) -> str:
    """Pick a campaign text in the current language, falling back sensibly."""
    if not texts:
        return ""
    lang = str(get_locale() or "en")
    for candidate in (lang, "en", "be", "ru"):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


def init_app(app: Flask) -> None:
    """Wire Flask-Babel and the template helpers."""
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _language_context() -> dict[str, object]:
        return {
            "languages": LANGUAGES,
            "current_language": str(get_locale() or "en"),
            "localized": localized,
        }

    @app.before_request
    def _remember_request_language() -> None:
        g.language = str(get_locale() or "en")
