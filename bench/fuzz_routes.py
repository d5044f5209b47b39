"""Long fuzz run over every route x method x role: `python bench/fuzz_routes.py --cases 20000`.

Hostile bodies, query strings and headers (tests/route_fuzz.py) against a database holding a
campaign, recipients, cards and each kind of staff account. Prints every failure, then one
JSON line: {"requests": N, "errors_5xx": 0, "state_changes": 0}. Exits 1 if either count
is not zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardsapp import create_app
from cardsapp.config import config_for_tests
from cardsapp.extensions import db
from cardsapp.redis_server import EmbeddedRedis
from cardsapp.schema import upgrade_schema
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    args = parser.parse_args()
    tally = Tally()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        redis = EmbeddedRedis(folder / "redis").start()
        config = config_for_tests(f"sqlite:///{folder / 'f.sqlite3'}", redis.url, folder)
        config.rate_limit_login = config.rate_limit_write = "100000 per minute"
        config.rate_limit_preview = "100000 per minute"
        app = create_app(config)
        # Each refused request logs a line; the run's own summary is what matters here.
        logging.getLogger().setLevel(logging.WARNING)
        try:
            with app.app_context():
                upgrade_schema(db.engine)
                sample = seed(app)
                by_role = clients(app, sample)
                rules = routes(app)
                for who in WHO:
                    for rule in rules:
                        for method in METHODS:
                            path = fill(rule, sample, None)
                            check_request(app, by_role, tally, who, method, path, {}, {}, {}, False)

                @settings(
                    max_examples=args.cases,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(
                    who=st.sampled_from(WHO),
                    rule=st.sampled_from(rules),
                    method=st.sampled_from(METHODS),
                    hostile=st.one_of(st.none(), st.sampled_from(["0", "9" * 20, "%0D%0A"])),
                    query=query_strings,
                    headers=header_sets,
                    body=body_strategy(),
                    valid_token=st.booleans(),
                )
                def run(who, rule, method, hostile, query, headers, body, valid_token):  # type: ignore[no-untyped-def]
                    path = fill(rule, sample, hostile)
                    check_request(
                        app,
                        by_role,
                        tally,
                        who,
                        method,
                        path,
                        query,
                        dict(headers),
                        body,
                        valid_token,
                    )
                    if tally.requests % 2_000 == 0:
                        print(f"  {tally.requests} requests", flush=True)

                run()
        finally:
            redis.stop()
    for failure in tally.failures:
        print(failure)
    print(f"  {time.perf_counter() - started:.0f} s")
    print(
        json.dumps(
            {
                "requests": tally.requests,
                "errors_5xx": tally.errors_5xx,
                "state_changes": tally.state_changes,
            }
        )
    )
    return 0 if not tally.failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
