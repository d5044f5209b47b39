"""Behind a proxy, what waited too long in the queue is refused at once; a card never is."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from cardsapp.extensions import db
from cardsapp.models import Card
from cardsapp.web.overload import queued_seconds
from tests.factories import csrf_token, make_campaign

PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}


@pytest.fixture
def config(config):
    config.proxy_hops = 1
    config.queue_limit_ms = 1000
    return config


def stamped(waited_s: float, *, millis: bool = False) -> dict[str, str]:
    """Headers as the proxy sends them for a request that arrived `waited_s` ago."""
    arrived = time.time() - waited_s
    stamp = f"t={round(arrived * 1000)}" if millis else f"t={arrived:.3f}"
    return {**PROXIED, "X-Request-Start": stamp}


def test_a_page_that_waited_too_long_is_refused_at_once_in_the_visitors_language(app, client):
    make_campaign(db.session)
    db.session.commit()
    assert client.get("/", headers=stamped(0.05)).status_code == 200
    for late in (stamped(1.5), stamped(1.5, millis=True)):
        refused = client.get("/", headers=late)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert refused.headers["Content-Security-Policy"]
        assert "Very busy right now" in refused.get_data(as_text=True)
    client.set_cookie("lang", "be")
    belarusian = client.get("/write", headers=stamped(2))
    assert belarusian.status_code == 503
    assert 'lang="be"' in belarusian.get_data(as_text=True)
    assert "Цяпер вельмі шмат наведвальнікаў" in belarusian.get_data(as_text=True)

    counter = client.get("/api/counter", headers=stamped(2))
    assert (counter.status_code, counter.get_json()) == (503, {"error": "busy"})
    assert counter.headers["Access-Control-Allow-Origin"] == "*"


def test_a_late_preview_is_refused_but_a_late_card_is_stored(app, client):
    make_campaign(db.session, designs=["plain"])
    db.session.commit()
    token = csrf_token(client.get("/write", headers=PROXIED).get_data(as_text=True))
    card = {"csrf_token": token, "design": "plain", "message": "Warm wishes.", "recipient": "any"}
    fetch = {**stamped(3), "X-CSRFToken": token, "X-Requested-With": "fetch"}

    preview = client.post("/preview", data=card, headers=fetch)
    assert preview.status_code == 503
    assert "nothing you wrote is lost" in preview.get_json()["errors"]["form"]

    sent = client.post("/write", data={**card, "send": "1"}, headers=stamped(3))
    assert sent.status_code == 303
    assert db.session.scalar(select(func.count(Card.id))) == 1


def test_the_stamp_is_trusted_only_behind_a_proxy(app, client, config):
    make_campaign(db.session)
    db.session.commit()
    config.proxy_hops = 0
    from cardsapp import create_app

    direct = create_app(config).test_client()
    assert (
        direct.get("/", headers={"X-Request-Start": f"t={time.time() - 10:.3f}"}).status_code == 200
    )


@given(st.floats(min_value=-1e13, max_value=1e13, allow_nan=False) | st.text(max_size=20))
def test_any_stamp_is_read_or_ignored_never_an_error(stamp):
    now = time.time()
    waited = queued_seconds(f"t={stamp}", now)
    assert waited is None or 0 <= waited < 30
    assert queued_seconds(str(stamp), now) is None or str(stamp).startswith("t=")


def test_a_stamp_from_a_clock_far_off_is_ignored():
    now = time.time()
    assert queued_seconds(f"t={now - 1.25:.3f}", now) == pytest.approx(1.25, abs=0.01)
    assert queued_seconds(f"t={round((now - 2) * 1000)}", now) == pytest.approx(2, abs=0.01)
    assert queued_seconds(f"t={now - 3600:.3f}", now) is None  # an hour late: clocks disagree
    assert queued_seconds(f"t={now + 5:.3f}", now) is None  # from the future
    assert queued_seconds("t=soon", now) is None
    assert queued_seconds(None, now) is None
