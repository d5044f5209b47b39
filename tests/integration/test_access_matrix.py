"""Who may open what: every route of the app's URL map, for every role and for anonymous.

The matrix is generated from `app.url_map`, so a route added without an access rule fails
`test_every_route_has_an_access_rule`. Rules come from `BLUEPRINT_ROLES` (declared once per
blueprint by `restrict_to`), per-route narrowing (`require_roles`) and the public allow-list
below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.routing import Rule

from cardsapp.extensions import db
from cardsapp.models import Role
from cardsapp.ratelimits import UNLIMITED_SENDS
from cardsapp.web.access import BLUEPRINT_ROLES
from tests.factories import log_in, make_campaign, make_card, make_recipient, make_user
from tests.factories import staff_csrf_token as token

# Everyone, logged in or not, may open these (the donors' pages and the public counter).
PUBLIC_BLUEPRINTS = {"donate", "api"}
# (The sign-in code page opens only for a login waiting for its second factor.)
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.second_factor", "auth.accept_invite_page"}
# Any staff account, whatever its roles.
LOGIN_ONLY_ENDPOINTS = {"auth.logout", "auth.reauth", "auth.change_password", "auth.two_factor"}
WHO = ["anonymous", *(role.value for role in Role)]
_PARAMETER = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


@pytest.fixture(autouse=True)
def _generous_login_limit(config):
    # The matrix logs in many times from one test client address.
    config.rate_limit_login = "1000 per minute"
    config.send_limits = UNLIMITED_SENDS


@dataclass(frozen=True)
class Rule_:
    kind: str  # public | login | roles
    roles: frozenset[Role] = frozenset()

    def allows(self, who: str) -> bool:
        if self.kind == "public":
            return True
        if who == "anonymous":
            return False
        if self.kind == "login":
            return True
        return who == Role.ADMIN.value or Role(who) in self.roles


def access_rule(app: Flask, endpoint: str) -> Rule_ | None:
    """The declared rule of an endpoint, or None when nobody declared one."""
    blueprint = endpoint.rpartition(".")[0]
    if endpoint in PUBLIC_ENDPOINTS or blueprint in PUBLIC_BLUEPRINTS:
        return Rule_("public")
    if endpoint in LOGIN_ONLY_ENDPOINTS:
        return Rule_("login")
    if blueprint not in BLUEPRINT_ROLES:
        return None
    roles = frozenset(BLUEPRINT_ROLES[blueprint])
    narrowed = getattr(app.view_functions[endpoint], "required_roles", None)
    if narrowed is not None:
        roles = roles & frozenset(narrowed) if roles else frozenset(narrowed)
    return Rule_("roles", roles)


def routes(app: Flask) -> list[tuple[Rule, str]]:
    """(rule, method) for every route and method in the URL map, logout last."""
    found = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    return sorted(found, key=lambda rm: (rm[0].endpoint == "auth.logout", rm[0].rule, rm[1]))


def test_every_route_has_an_access_rule(app):
    missing = [
        rule.rule for rule in app.url_map.iter_rules() if access_rule(app, rule.endpoint) is None
    ]
    assert missing == [], f"routes without an access rule: {missing}"


@pytest.fixture
def samples(app) -> dict[str, object]:
    """Real ids for URL parameters, so that allowed GETs of staff pages answer 200."""
    campaign = make_campaign(db.session, designs=["plain"])
    recipient = make_recipient(db.session, campaign)
    card = make_card(db.session, campaign, design_slug="plain")
    bystander = make_user(db.session, Role.PRINTER, email="bystander@example.org")
    for role in Role:
        make_user(db.session, role, email=f"{role.value}@example.org")
    db.session.commit()
    return {
        "card_id": card.id,
        "campaign_id": campaign.id,
        "user_id": bystander.id,
        "public_id": recipient.public_id,
        "reference": card.reference,
        "slug": "plain",
        "filename": "css/site.css",
        "code": "NOSUCHCODE",
        "token": "no-such-invite",
        "kind": "csv",
    }


def url_for_rule(rule: Rule, samples: dict[str, object]) -> str:
    """The rule's path with each <converter:name> filled from the samples ("x" if unknown)."""
    return _PARAMETER.sub(lambda m: str(samples.get(m.group(1), "x")), rule.rule)


def _outcome(
    response, allowed: bool, method: str, exact_ok: bool, logs_out: bool = False
) -> str | None:
    """None when the response is what the rule says; otherwise what went wrong."""
    code = response.status_code
    to_login = code == 302 and "/login" in response.headers.get("Location", "")
    if code >= 500:
        return f"server error {code}"
    if not allowed:
        return None if code in (403,) or to_login else f"expected 403 or login, got {code}"
    if code in (401, 403) or (to_login and not logs_out):
        return f"allowed but got {code}"
    if method == "GET" and exact_ok and code != 200:
        return f"expected 200, got {code}"
    return None


@pytest.mark.parametrize("who", WHO)
def test_access_matrix(app, samples, who):
    client = app.test_client()
    if who != "anonymous":
        assert log_in(client, f"{who}@example.org").status_code == 302
    problems = []
    rows = []
    for rule, method in routes(app):
        declared = access_rule(app, rule.endpoint)
        assert declared is not None, rule.rule
        allowed = declared.allows(who)
        url = url_for_rule(rule, samples)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token(client)})
        # Our own staff pages get real ids and must open; other pages may 404 on sample ids.
        exact = rule.endpoint.startswith(("moderate.", "admin.")) and method == "GET"
        # Logout, and the code page with no login waiting for a code, send to the login page.
        to_login_is_right = rule.endpoint in ("auth.logout", "auth.second_factor")
        wrong = _outcome(response, allowed, method, exact, to_login_is_right)
        rows.append(f"{method:4} {rule.rule:48} {response.status_code}")
        if wrong:
            problems.append(f"{who}: {method} {url}: {wrong}")
    print(f"\n{who}\n" + "\n".join(rows))
    assert problems == []


def test_the_matrix_denies_what_it_should(app, samples):
    """A sanity check of the generator itself: the rule table says what the issue says."""
    rule = access_rule(app, "moderate.queue")
    assert rule is not None
    assert [who for who in WHO if rule.allows(who)] == ["moderator", "admin"]
    admin_rule = access_rule(app, "admin.recipient_address")
    assert admin_rule is not None
    assert [who for who in WHO if admin_rule.allows(who)] == ["admin"]
    if "batches.labels_pdf" in app.view_functions:
        labels = access_rule(app, "batches.labels_pdf")
        assert labels is not None
        assert [who for who in WHO if labels.allows(who)] == ["addresser", "admin"]


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_post_route_refuses_a_request_without_a_csrf_token(app, samples, who):
    client = app.test_client()
    if who == "admin":
        log_in(client, "admin@example.org")
    accepted = []
    for rule, method in routes(app):
        if method != "POST":
            continue
        response = client.post(url_for_rule(rule, samples), data={})
        if response.status_code != 400:
            accepted.append(f"{rule.rule}: {response.status_code}")
    assert accepted == []


def test_a_route_added_without_a_rule_is_caught(app):
    app.add_url_rule("/sneaky", "sneaky", lambda: "addresses here")
    assert access_rule(app, "sneaky") is None
