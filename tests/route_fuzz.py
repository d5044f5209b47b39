"""Fuzzing every route x method x role with hostile bodies, query strings and headers.

Shared by the bounded run in the test suite (tests/integration/test_route_fuzz.py) and the
long run in `bench/fuzz_routes.py`. The promises checked on every request:
- no answer is a 5xx;
- nothing in the database changes unless the request was a POST carrying a valid CSRF
  token (the audit log aside: downloads are recorded when they happen).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from sqlalchemy import select

from cardsapp.extensions import Base, db
from cardsapp.models import Role
from tests.factories import (
    STAFF_PASSWORD,
    log_in,
    make_approved_cards,
    make_campaign,
    make_card,
    make_recipient,
    make_user,
    staff_csrf_token,
)

METHODS = ("GET", "HEAD", "POST", "PUT", "OPTIONS")
WHO = ("anonymous", *(role.value for role in Role))
# Rows that any request may add: what a download or a refused login records.
MAY_CHANGE = {"audit_events"}
_PARAMETER = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")

NASTY = [
    "",
    "0",
    "-1",
    "99999999999999999999",
    "9999-12-31",
    "0001-01-01",
    "/%0D%0AX",
    "/\r\nSet-Cookie: x=1",
    "//evil.example/",
    "../../etc/passwd",
    "%00",
    "\x00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "a\u0301" * 300,
    "\u202e\u2066",
    "%ED%A0%80",  # a lone surrogate, as bytes a client could send
    "🇧🇾" * 50,
    "x" * 5000,
    "NaN",
    "1e309",
    "[]",
    "{}",
]
# Lone surrogates cannot be encoded into a request at all; invalid UTF-8 comes as raw bytes.
text_values = st.one_of(
    st.sampled_from(NASTY), st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
)
FIELDS = [
    "design",
    "message",
    "signature",
    "recipient",
    "send",
    "preview",
    "email",
    "password",
    "confirm",
    "action",
    "reason",
    "max_cards",
    "layout",
    "code",
    "next",
    "campaign",
    "roles",
    "until",
    "since",
    "actor",
    "before",
    "after",
    "sheet",
    "offset_x",
    "offset_y",
    "website",
]
form_bodies = st.dictionaries(st.sampled_from(FIELDS), text_values, max_size=8)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"a=1&" * 200, b'{"message": 1}', b"--x\r\nContent-Disposition:"]),
)
query_strings = st.dictionaries(st.sampled_from(FIELDS), text_values, max_size=4)
header_sets = st.dictionaries(
    st.sampled_from(
        [
            "Accept",
            "Accept-Language",
            "X-Forwarded-For",
            "X-Forwarded-Proto",
            "X-Requested-With",
            "Range",
            "If-None-Match",
            "If-Modified-Since",
            "Cookie",
            "User-Agent",
            "X-Request-Start",
        ]
    ),
    st.one_of(
        st.sampled_from(["*/*", "application/json", "ru, be;q=0.9", "bytes=0-1,5-", "t=1"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    ),
    max_size=3,
)


@dataclass
class Sample:
    """A world to fuzz: a campaign with recipients, cards in each state and staff."""

    values: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


def seed(app: Flask) -> Sample:
    """Fill the database with a little of everything a route can name."""
    campaign = make_campaign(db.session, designs=["tulips", "plain"])
    recipient = make_recipient(db.session, campaign)
    card = make_card(db.session, campaign, design_slug="tulips")
    make_approved_cards(db.session, campaign, 3)
    sample = Sample()
    for role in Role:
        user = make_user(db.session, role)
        sample.emails[role.value] = user.email
    db.session.commit()
    sample.values = {
        "card_id": str(card.id),
        "campaign_id": str(campaign.id),
        "user_id": "1",
        "public_id": recipient.public_id,
        "recipient_id": str(recipient.id),
        "reference": card.reference,
        "slug": campaign.slug,
        "filename": "css/site.css",
        "code": "NOSUCHCODE",
        "token": "no-such-invite",
        "batch_id": "1",
    }
    return sample


def clients(app: Flask, sample: Sample) -> dict[str, FlaskClient]:
    """One logged-in test client per role, and one anonymous."""
    found = {"anonymous": app.test_client()}
    for role, email in sample.emails.items():
        client = app.test_client()
        answer = log_in(client, email, STAFF_PASSWORD)
        assert answer.status_code == 302, f"{role} could not log in"
        found[role] = client
    return found


def routes(app: Flask) -> list[str]:
    """Every rule of the URL map except logout (it would end the role's session)."""
    return sorted(
        rule.rule for rule in app.url_map.iter_rules() if rule.endpoint not in ("auth.logout",)
    )


def fill(rule: str, sample: Sample, hostile: str | None) -> str:
    """The rule's path with real values, or one hostile value for every parameter."""
    from urllib.parse import quote

    def value(match: re.Match[str]) -> str:
        if hostile is not None:
            return quote(hostile, safe="")
        return sample.values.get(match.group(1), "x")

    return _PARAMETER.sub(value, rule)


def fingerprint() -> str:
    """A hash of every row of every table but those any request may add to."""
    digest = hashlib.sha256()
    db.session.expire_all()
    for table in Base.metadata.sorted_tables:
        if table.name in MAY_CHANGE:
            continue
        order = [c for c in table.primary_key.columns] or list(table.columns)
        for row in db.session.execute(select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
    db.session.rollback()
    return digest.hexdigest()


@dataclass
class Tally:
    requests: int = 0
    errors_5xx: int = 0
    state_changes: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, what: str, status: int, changed: bool, may_change: bool) -> None:
        self.requests += 1
        if status >= 500:
            self.errors_5xx += 1
            self.failures.append(f"{status}: {what}")
        if changed and not may_change:
            self.state_changes += 1
            self.failures.append(f"state changed: {what}")


def send_one(
    app: Flask,
    client: FlaskClient,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: dict[str, str] | bytes,
    valid_token: bool,
) -> int:
    """One request; returns its status code."""
    data: dict[str, str] | bytes = body
    content_type = None
    if isinstance(body, dict):
        data = dict(body)
        if valid_token:
            data["csrf_token"] = staff_csrf_token(client)
        content_type = "application/x-www-form-urlencoded"
    else:
        content_type = headers.pop("Content-Type", "application/octet-stream")
    answer = client.open(
        path,
        method=method,
        query_string=query,
        headers=headers,
        data=data,
        content_type=content_type,
    )
    status = answer.status_code
    answer.close()
    return status


def check_request(
    app: Flask,
    clients_by_role: dict[str, FlaskClient],
    tally: Tally,
    who: str,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: dict[str, str] | bytes,
    valid_token: bool,
) -> None:
    """Send one request and record whether it kept both promises."""
    before = fingerprint()
    try:
        status = send_one(
            app, clients_by_role[who], method, path, query, headers, body, valid_token
        )
    except Exception as error:  # an exception escaping the app is a 500 to a browser
        status = 500
        path = f"{path} ({type(error).__name__}: {error})"
    db.session.remove()
    changed = fingerprint() != before
    may_change = method == "POST" and valid_token
    tally.record(f"{who} {method} {path} {query!r} {headers!r}", status, changed, may_change)


def body_strategy() -> st.SearchStrategy[dict[str, str] | bytes]:
    """A form of hostile fields, or raw bytes."""
    return st.one_of(form_bodies, raw_bodies)
