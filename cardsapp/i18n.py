"""Languages: Belarusian, Russian and English; a cookie remembers the choice."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates
from babel.support import NullTranslations, Translations
from flask import Flask, g, request
from flask_babel import get_locale, get_translations
from werkzeug.wrappers import Request

from cardsapp.domain.languages import LANGUAGE_NAMES
from cardsapp.extensions import babel

LANGUAGES = LANGUAGE_NAMES
LANG_COOKIE = "lang"


def language_of(visit: Request) -> str:
    """The remembered choice first, then the browser's Accept-Language."""
    chosen = visit.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return visit.accept_languages.best_match(list(LANGUAGES), default="en")


def select_locale() -> str:
    """Flask-Babel's locale selector: the language of the current request."""
    return language_of(request)


def localized(texts: dict[str, str] | None) -> str:
    """Pick a campaign text in the current language, falling back sensibly."""
    if not texts:
        return ""
    lang = str(get_locale() or "en")
    for candidate in (lang, "en", "be", "ru"):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


class _Zoned(Protocol):
    timezone: str


def campaign_time(value: datetime, campaign: _Zoned, pattern: str = "d MMMM y, HH:mm z") -> str:
    """A moment as the campaign's own clock shows it (never bare UTC), in this language."""
    try:
        zone = ZoneInfo(campaign.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return dates.format_datetime(value, pattern, tzinfo=zone, locale=str(get_locale() or "en"))


def _translations() -> Translations | NullTranslations:
    """This request's catalogue, looked up once per locale rather than once per string."""
    locale = get_locale()
    remembered = g.get("_cards_translations")
    if remembered is None or remembered[0] is not locale:
        remembered = g._cards_translations = (locale, get_translations())
    return remembered[1]


def init_app(app: Flask) -> None:
    """Wire Flask-Babel and the template helpers."""
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel's own callables find the catalogue afresh for every string in a template,
    # which costs more than the lookup itself on pages with many strings (the moderation
    # queue). force_locale() makes a new locale object, so it still switches catalogues.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

    @app.context_processor
    def _language_context() -> dict[str, object]:
        return {
            "languages": LANGUAGES,
            "current_language": str(get_locale() or "en"),
            "localized": localized,
            "campaign_time": campaign_time,
        }
