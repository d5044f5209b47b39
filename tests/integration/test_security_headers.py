"""Every route answers with the security headers, whatever its status."""

import pytest
from werkzeug.routing import IntegerConverter

from cardsapp.extensions import db
from tests.factories import make_campaign

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _paths(app) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {
            name: 999999 if isinstance(rule._converters[name], IntegerConverter) else "ZZZZZZZZ"
            for name in rule.arguments
        }
        if rule.endpoint == "static":
            values = {"filename": "css/site.css"}
        with app.test_request_context():
            from flask import url_for

            paths.append(url_for(rule.endpoint, **values))
    return sorted(set(paths))


def test_every_get_route_sends_the_security_headers(app, client):
    make_campaign(db.session)
    db.session.commit()
    paths = _paths(app)
    assert "/" in paths and "/healthz" in paths
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        for header, value in REQUIRED.items():
            assert response.headers.get(header) == value, (path, header)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        if response.mimetype == "text/html":
            assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
        else:
            assert "default-src 'none'" in csp, path


def test_pages_cannot_be_framed_but_the_counter_badge_can_be_embedded(client, app):
    make_campaign(db.session)
    db.session.commit()
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    assert "X-Frame-Options" not in client.get("/api/counter").headers


def test_hsts_is_sent_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://cards.example.org")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


@pytest.mark.parametrize("lang", ["be", "ru", "en"])
def test_the_language_cookie_is_httponly_and_samesite(client, lang):
    cookie = client.get(f"/language/{lang}?next=/").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forms_work_over_https_although_browsers_send_no_referer(client, app):
    make_campaign(db.session)
    db.session.commit()
    https = "https://cards.example.org"
    page = client.get("/write", base_url=https).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/preview",
        base_url=https,
        data={"csrf_token": token, "design": "plain", "message": "Hello", "recipient": "any"},
    )
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"


def test_behind_a_trusted_proxy_the_forwarded_scheme_counts(config):
    from dataclasses import replace

    from cardsapp import create_app

    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    direct = create_app(config).test_client().get("/healthz", headers=headers)
    assert "Strict-Transport-Security" not in direct.headers
    proxied = create_app(replace(config, proxy_hops=1)).test_client()
    assert (
        "max-age=" in proxied.get("/healthz", headers=headers).headers["Strict-Transport-Security"]
    )
