"""Redis stopped during donor load: cards are still accepted and the counter still answers.

    .venv/bin/python bench/fault_redis.py [--seconds 40] [--rate 12]

Redis is stopped a quarter of the way in and not restarted until the load ends.
Prints the answers before and during the outage and checks that every card
that got a success answer is in the database. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json

import gevent
from harness import Ledger, Stack, Writer, run_with_ledger, stored_references


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--rate", type=float, default=12)
    parser.add_argument("--postgres", help="a PostgreSQL URL for a database made for this run")
    args = parser.parse_args()
    stack = Stack(args.postgres)
    stack.prepare()
    host = stack.serve()
    stop_at = args.seconds / 4

    def stop_redis(ledger: Ledger) -> None:
        gevent.sleep(stop_at)
        stack.redis.stop()
        print(f"  redis stopped at {stop_at:.0f} s", flush=True)

    try:
        ledger = run_with_ledger(host, [Writer], args.rate, args.seconds, stop_redis)
    finally:
        stack.close()
    before = ledger.statuses(until=stop_at)
    during = ledger.statuses(since=stop_at + 1)
    sends = ledger.statuses(since=stop_at + 1, name="POST /write")
    counter = ledger.statuses(since=stop_at + 1, name="GET /api/counter")
    references = ledger.references()
    kept = stored_references(stack.database_url, references)
    print(f"  before the outage: {before}")
    print(f"  during the outage: {during}")
    print(f"  cards sent during the outage: {sends}; counter answers: {counter}")
    print(f"  cards with a success answer: {len(references)}, in the database: {len(kept)}")
    result = {
        "cards_accepted_during_outage": sends.get(303, 0),
        "counter_ok_during_outage": counter.get(200, 0),
        "errors_5xx": sum(n for code, n in during.items() if code >= 500 or code == 0),
        "acknowledged": len(references),
        "lost": len(set(references) - kept),
        "duplicated": len(references) - len(set(references)),
    }
    print(json.dumps(result))
    ok = result["lost"] == 0 and result["cards_accepted_during_outage"] > 0
    return 0 if ok and result["errors_5xx"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
