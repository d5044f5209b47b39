"""Long fuzz run of the message pipeline: `python bench/fuzz_messages.py --cases 100000`.

Prints how many cases ran, how many were accepted and each refusal's count; exits
non-zero on the first case that raises or breaks a promise (the case is printed
by Hypothesis).
"""

from __future__ import annotations

import argparse
import json
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
from tests.factories import make_campaign
from tests.message_fuzz import CORPUS, FuzzTally, check_one, messages


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        redis = EmbeddedRedis(folder / "redis").start()
        app = create_app(config_for_tests(f"sqlite:///{folder / 'f.sqlite3'}", redis.url, folder))
        tally = FuzzTally()
        started = time.perf_counter()
        try:
            with app.app_context():
                upgrade_schema(db.engine)
                campaign = make_campaign(db.session)
                db.session.commit()
                for message in CORPUS:
                    check_one(app, campaign, message, "", tally)

                @settings(
                    max_examples=args.cases,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(message=messages, signature=st.one_of(st.just(""), messages))
                def run(message: str, signature: str) -> None:
                    check_one(app, campaign, message, signature, tally)
                    if tally.cases % 10_000 == 0:
                        print(f"  {tally.summary()}", flush=True)

                run()
        finally:
            redis.stop()
        seconds = time.perf_counter() - started
    print(tally.summary())
    print(
        json.dumps(
            {
                "cases": tally.cases,
                "accepted": tally.accepted,
                "refused": tally.refused,
                "seconds": round(seconds, 1),
                "errors": 0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
