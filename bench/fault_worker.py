"""A worker killed 20 times at random during five 500-card batches.

    .venv/bin/python bench/fault_worker.py [--kills 20] [--batches 5] [--cards 500]

Five batches are claimed (each enqueued by id, as `build-batch` does); a real
`python -m worker` builds them while this script SIGKILLs the worker and its job
process at random moments and starts a new one each time. Recovery on start
re-enqueues lost builds. At the end every batch must be ready and its cards
PDF must hold each of its cards exactly once; nothing lost, nothing twice.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from harness import Stack
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from cardsapp.models import Batch, BatchStatus, Campaign, Card
from cardsapp.services.batches import CARDS_FILE
from tests.factories import make_approved_cards, make_recipient
from tests.processes import job_running, kill_worker, start_worker

NUMBER = re.compile(r"Warm\s+wishes\s+number\s+(\d{5})")


def seed(stack: Stack, cards: int) -> None:
    """Approved cards and enough recipients with room for them."""
    engine = create_engine(stack.database_url)
    with Session(engine) as session:
        campaign = session.scalars(select(Campaign)).one()
        session.execute(update(Campaign).values(cap_per_batch=1000, cap_per_campaign=100_000))
        for n in range(100, 120):
            make_recipient(session, campaign, n)
        make_approved_cards(session, campaign, cards)
        session.commit()
    engine.dispose()


def statuses(database_url: str) -> dict[str, str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = dict(connection.execute(select(Batch.code, Batch.status)).all())
    engine.dispose()
    return {code: str(status) for code, status in rows.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--postgres", help="a PostgreSQL URL for a database made for this run")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    stack = Stack(args.postgres)
    # Recovery notices a silent build within seconds here (a minute in production).
    stack.env.update(CARDS_BATCH_STALE_SECONDS="3", CARDS_BATCH_RECOVERY_SECONDS="2")
    stack.prepare()
    seed(stack, args.batches * args.cards)
    cardsapp = str(Path(sys.executable).parent / "cardsapp")
    codes = []
    for _ in range(args.batches):
        made = subprocess.run(
            [cardsapp, "build-batch", "--max-cards", str(args.cards)],
            env=stack.env,
            check=True,
            capture_output=True,
            text=True,
        )
        codes.append(made.stdout.split()[-1])
    print(f"  claimed {len(codes)} batches of {args.cards}: {' '.join(codes)}", flush=True)

    started = time.monotonic()
    worker = start_worker(stack.env)
    try:
        kills = 0
        while kills < args.kills:
            building = [c for c, s in statuses(stack.database_url).items() if s == "building"]
            if not building:
                break
            if not job_running(worker):
                time.sleep(0.005)
                continue
            # Somewhere in the middle of a build: a 500-card build takes 70-100 ms here, so a
            # later kill would often find the worker between builds.
            time.sleep(rng.uniform(0.0, 0.05))
            kill_worker(worker)
            kills += 1
            ready = sum(s == BatchStatus.READY for s in statuses(stack.database_url).values())
            elapsed = time.monotonic() - started
            print(f"  kill {kills:2d} at {elapsed:5.1f} s: {ready} ready", flush=True)
            worker = start_worker(stack.env)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            final = statuses(stack.database_url)
            if all(s in (BatchStatus.READY, BatchStatus.FAILED) for s in final.values()):
                break
            time.sleep(1)
    finally:
        kill_worker(worker)
    seconds = time.monotonic() - started
    print(f"  final: {statuses(stack.database_url)}", flush=True)

    from pypdf import PdfReader

    engine = create_engine(stack.database_url)
    with engine.connect() as connection:
        batches = connection.execute(select(Batch.id, Batch.code, Batch.attempts)).all()
        claimed = dict(connection.execute(select(Card.id, Card.batch_id)).all())
    engine.dispose()
    printed: Counter[str] = Counter()
    data_dir = Path(stack.env.get("CARDS_DATA_DIR") or stack.tmp / "batches")
    for _id, code, _attempts in batches:
        for pdf in [data_dir / code / CARDS_FILE]:
            if not pdf.exists():
                print(f"  batch {code} has no cards PDF", flush=True)
                continue
            text = "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
            printed.update(NUMBER.findall(text))
    stack.close()
    expected = args.batches * args.cards
    final = statuses(stack.database_url)
    result = {
        "kills": kills,
        "batches": len(codes),
        "ready": sum(s == BatchStatus.READY for s in final.values()),
        "failed": sum(s == BatchStatus.FAILED for s in final.values()),
        "cards_claimed": sum(1 for b in claimed.values() if b is not None),
        "cards_printed": sum(printed.values()),
        "lost": expected - len(printed),
        "printed_twice": sum(1 for n in printed.values() if n > 1),
        "attempts": {code: attempts for _id, code, attempts in batches},
        "seconds": round(seconds, 1),
    }
    print(json.dumps(result))
    ok = result["ready"] == len(codes) and result["lost"] == 0 and result["printed_twice"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
