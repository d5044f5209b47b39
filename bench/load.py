"""Mixed load against gunicorn on loopback, with the production settings.

    .venv/bin/python bench/load.py [--step-seconds 12] [--postgres URL]

Starts the app (CARDS_ENV=production, gunicorn.conf.py, a private Redis, a
fresh SQLite database or the PostgreSQL database given) with demo data, then
steps up a mixed load of donors (landing, write page, preview, submit),
counter readers and a team of ten moderators by 25% a step until p99 passes 300 ms
or a 5xx appears, then narrows the gap to the first failing rate by three halvings.
The same search against a bare Flask app answering "ok" on the same server gives the
ceiling. Then it runs twice the held rate for a while (overload: only 429
or 503 may be refused, never 500) and measures how long until normal service
returns. The last line is one JSON object.

Rate limits are raised for this run (every request comes from 127.0.0.1, one
client): the limiter still runs and talks to Redis, so its cost is measured.
"""

from __future__ import annotations

import argparse
import json

from harness import Bare, CounterReader, Donor, Moderator, Stack, recovery_seconds, run_step, search


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step-seconds", type=float, default=12)
    parser.add_argument("--start-rps", type=float, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL URL for a database made for this run")
    args = parser.parse_args()

    stack = Stack(args.postgres)
    stack.prepare()
    app_host, bare_host = stack.serve(), stack.serve("bare_app:create_bare_app()")
    try:
        print("bare Flask ceiling:", flush=True)
        ceiling, _ = search(bare_host, [Bare], args.start_rps * 2, args.step_seconds)
        print("cardsapp mixed load:", flush=True)
        held, _ = search(
            app_host, [Donor, CounterReader, Moderator], args.start_rps, args.step_seconds
        )
        held_rps = held.achieved_rps if held else 0.0
        print(f"overload at {2 * held_rps:.0f} rps:", flush=True)
        overload = run_step(app_host, [Donor, CounterReader, Moderator], 2 * max(held_rps, 1), 20)
        print(overload.line(), flush=True)
        recovered = recovery_seconds(app_host)
        refused = {c: n for c, n in overload.statuses.items() if c >= 400 and c not in (422,)}
        bad_refusals = {c: n for c, n in refused.items() if c not in (429, 503)}
        print(f"normal service {recovered} s after the overload stopped")
    finally:
        stack.close()
    ceiling_rps = ceiling.achieved_rps if ceiling else 0.0
    result = {
        "held_rps": round(held_rps, 1),
        "ceiling_rps": round(ceiling_rps, 1),
        "ratio": round(held_rps / ceiling_rps, 3) if ceiling_rps else 0.0,
        "p99_ms": round(held.p99_ms, 1) if held else None,
        "errors_5xx": held.errors_5xx if held else None,
        "overload_rps": round(overload.achieved_rps, 1),
        "overload_statuses": {str(k): v for k, v in sorted(overload.statuses.items())},
        "overload_bad_refusals": sum(bad_refusals.values()),
        "recovery_seconds": recovered,
        "database": "postgresql" if args.postgres else "sqlite",
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
