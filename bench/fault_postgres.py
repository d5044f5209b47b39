"""PostgreSQL stopped for 30 s under load: only 503 answers, and no acknowledged card lost.

    .venv/bin/python bench/fault_postgres.py [--outage 30] [--rate 10]

Runs a private PostgreSQL cluster of its own (initdb in a temporary folder, on a
free port, as the `postgres` system user) so that the machine's server is never
touched. The cluster is stopped ten seconds into a donor load and started again
`--outage` seconds later; the load goes on for twenty seconds after that. The
last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import gevent
from harness import Ledger, Stack, Writer, free_port, run_with_ledger, stored_references


class PrivatePostgres:
    """initdb + pg_ctl in a folder of ours; trust auth on 127.0.0.1 only."""

    def __init__(self) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not versions:
            raise SystemExit("PostgreSQL server binaries are not installed")
        self.bin = versions[-1].parent
        self.folder = Path(tempfile.mkdtemp(prefix="cards-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._as_postgres(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outage", type=float, default=30)
    parser.add_argument("--rate", type=float, default=10)
    args = parser.parse_args()
    postgres = PrivatePostgres()
    postgres.start()
    stack = Stack(postgres.create_database("cards"))
    stack.prepare()
    host = stack.serve()
    down_at, up_at = 10.0, 10.0 + args.outage

    def outage(ledger: Ledger) -> None:
        gevent.sleep(down_at)
        postgres.stop()
        print(f"  postgresql stopped at {down_at:.0f} s", flush=True)
        gevent.sleep(args.outage)
        postgres.start()
        print(f"  postgresql started again at {up_at:.0f} s", flush=True)

    try:
        ledger = run_with_ledger(host, [Writer], args.rate, up_at + 20, outage)
        references = ledger.references()
        kept = stored_references(stack.database_url, references)
    finally:
        stack.close()
        postgres.destroy()
    during = ledger.statuses(since=down_at + 1, until=up_at)
    after = ledger.statuses(since=up_at + 5)
    print(f"  before: {ledger.statuses(until=down_at)}")
    print(f"  during the outage: {during}")
    print(f"  5 s after restart and later: {after}")
    print(f"  cards with a success answer: {len(references)}, in the database: {len(kept)}")
    result = {
        "outage_seconds": args.outage,
        "statuses_during_outage": {str(k): v for k, v in sorted(during.items())},
        "non_503_errors_during_outage": sum(
            n for code, n in during.items() if (code >= 500 and code != 503) or code == 0
        ),
        "statuses_after_recovery": {str(k): v for k, v in sorted(after.items())},
        "acknowledged": len(references),
        "lost": len(set(references) - kept),
        "duplicated": len(references) - len(set(references)),
    }
    print(json.dumps(result))
    recovered = after.get(303, 0) > 0 and all(code < 500 for code in after)
    ok = result["lost"] == 0 and result["non_503_errors_during_outage"] == 0 and recovered
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
