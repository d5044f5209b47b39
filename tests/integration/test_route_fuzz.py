"""Every route x method x role, with hostile bodies, query strings and headers (bounded).

No answer is a 5xx, and nothing in the database changes unless the request was a POST with
a valid CSRF token. The long run is `bench/fuzz_routes.py`.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardsapp.extensions import db
from tests.route_fuzz import (
    METHODS,
    WHO,
    Tally,
    body_strategy,
    check_request,
    clients,
    fill,
    header_sets,
    query_strings,
    routes,
    seed,
)


@pytest.fixture
def world(app, config):
    config.rate_limit_login = "10000 per minute"
    config.rate_limit_write = "10000 per minute"
    config.rate_limit_preview = "10000 per minute"
    sample = seed(app)
    return sample, clients(app, sample)


def test_every_route_method_and_role_with_real_ids_keeps_both_promises(app, world):
    sample, by_role = world
    tally = Tally()
    for who in WHO:
        for rule in routes(app):
            for method in METHODS:
                check_request(
                    app, by_role, tally, who, method, fill(rule, sample, None), {}, {}, {}, False
                )
    assert tally.failures == []
    assert tally.requests == len(WHO) * len(routes(app)) * len(METHODS)


def test_hostile_requests_keep_both_promises(app, world):
    sample, by_role = world
    tally = Tally()
    rules = routes(app)

    @settings(
        max_examples=250,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        who=st.sampled_from(WHO),
        rule=st.sampled_from(rules),
        method=st.sampled_from(METHODS),
        hostile=st.one_of(st.none(), st.sampled_from(["0", "99999999999999999999", "%0D%0A"])),
        query=query_strings,
        headers=header_sets,
        body=body_strategy(),
        valid_token=st.booleans(),
    )
    def run(who, rule, method, hostile, query, headers, body, valid_token):
        check_request(
            app,
            by_role,
            tally,
            who,
            method,
            fill(rule, sample, hostile),
            query,
            dict(headers),
            body,
            valid_token,
        )

    run()
    db.session.remove()
    assert tally.failures == []
