"""The queue says when each card was sent once per minute: it must say what Flask-Babel says."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_babel import Babel, force_locale, format_datetime
from hypothesis import given, settings
from hypothesis import strategies as st

from cardsapp.web.moderate.routes import sent_at


def app_in(zone: str) -> Flask:
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_TIMEZONE"] = zone
    Babel(app)
    return app


APPS = {zone: app_in(zone) for zone in ("UTC", "Europe/Minsk", "America/St_Johns")}


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    language=st.sampled_from(["be", "ru", "en"]),
    zone=st.sampled_from(list(APPS)),
)
def test_the_time_a_card_was_sent_reads_as_flask_babel_says_it(
    moment: datetime, language: str, zone: str
) -> None:
    with APPS[zone].test_request_context(), force_locale(language):
        assert sent_at(moment) == format_datetime(moment, "short")
