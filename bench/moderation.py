"""Moderation queue benchmark: `python bench/moderation.py [--runs N]`.

Times the queue page (GET /moderate, the first page and one deep in the queue) with 100 and
with 100,000 cards waiting, behind three times as many older cards mailed, approved or
rejected, through the real app and a logged-in moderator, on a temporary
SQLite database and, when CARDS_BENCH_POSTGRES_URL names an empty database made for the run,
on PostgreSQL too. The queue pages by keyset over ix_cards_queue and counts only up to a cap,
so the ratio of the two times should stay under 2. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, insert, text

from cardsapp import create_app
from cardsapp.config import config_for_tests
from cardsapp.extensions import Base, db
from cardsapp.models import Card, CardStatus, Role, random_code, utcnow
from cardsapp.schema import upgrade_schema
from cardsapp.services.review import PAGE_SIZE
from cardsapp.services.users import create_user

SIZES = (100, 100_000)
OLDER_PER_WAITING = 3
CHUNK = 10_000
PASSWORD = secrets.token_urlsafe(16)  # a throwaway account in a throwaway database
MESSAGES = (
    "Дарагая мама, мы думаем пра вас кожны дзень і чакаем добрых навін. Трымайцеся!",
    "Дорогая мама, спасибо вам за силу и терпение. Вы не одна, мы рядом.",
    "Dear mum, thinking of you today. Spring is coming and so are better days.",
)


def _state(n: int, older: int) -> CardStatus:
    """The n-th card's state: the oldest mailed, then approved, rejections among them."""
    if n >= older:
        return CardStatus.SUBMITTED
    if n % 10 == 3:
        return CardStatus.REJECTED
    return CardStatus.MAILED if n < older * 2 // 3 else CardStatus.APPROVED


def fill(url: str, waiting: int) -> None:
    """Empty the tables, then bulk-insert a campaign, a moderator and cards in every state,
    `waiting` of them submitted."""
    from cardsapp.models import Campaign

    engine = create_engine(url)
    upgrade_schema(engine)
    with engine.begin() as connection:
        tables = list(reversed(Base.metadata.sorted_tables))
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
        now = utcnow()
        campaign_id = connection.execute(
            insert(Campaign)
            .values(
                slug="bench",
                title={"en": "Bench"},
                story={},
                guidance={},
                opens_at=now,
                closes_at=now,
                max_message_length=600,
                watch_words=["protest"],
                designs=["plain"],
                cap_per_batch=10,
                cap_per_campaign=50,
                participants_count=0,
                cards_count=waiting,
                created_at=now,
            )
            .returning(Campaign.id)
        ).scalar_one()
        rows = []
        # Older cards in every decided state come first, as in a campaign under way: the
        # queue must find its submitted cards past them (three decided cards to one waiting).
        older = waiting * OLDER_PER_WAITING
        for n in range(older + waiting):
            status = _state(n, older)
            message = MESSAGES[n % len(MESSAGES)]
            flagged = n % 10 == 0
            rows.append(
                {
                    "reference": random_code(12),
                    "campaign_id": campaign_id,
                    "design_slug": "plain",
                    "message": message + (" protest" if flagged else ""),
                    "signature": None,
                    "recipient_chosen": False,
                    "status": status,
                    "flags": [
                        {
                            "kind": "watch_word",
                            "field": "message",
                            "start": len(message) + 1,
                            "end": len(message) + 8,
                            "detail": "protest",
                        }
                    ]
                    if flagged
                    else [],
                    "language": "be",
                    "submitted_at": now,
                }
            )
            if len(rows) == CHUNK:
                connection.execute(insert(Card), rows)
                rows = []
        if rows:
            connection.execute(insert(Card), rows)
        connection.execute(text("ANALYZE"))
    engine.dispose()


@dataclass
class Target:
    """One database with `waiting` cards and a logged-in moderator's client."""

    waiting: int
    client: FlaskClient
    paths: dict[str, str]
    fill_s: float
    times: dict[str, list[float]]


def prepare(url: str, waiting: int, workdir: Path) -> Target:
    """Fill the database, start an app on it and log a moderator in."""
    started = time.perf_counter()
    fill(url, waiting)
    filled_s = time.perf_counter() - started
    config = config_for_tests(url, os.environ.get("REDIS_URL"), workdir)
    config.rate_limit_login = "100 per minute"
    app = create_app(config)
    with app.app_context():
        create_user(db.session, "bench@example.org", PASSWORD, {Role.MODERATOR})
        db.session.commit()
        deep_after = db.session.scalar(
            text("SELECT id FROM cards WHERE status = 'submitted' ORDER BY id LIMIT 1 OFFSET :n"),
            # Nine tenths into the queue, but always with a full page after it.
            {"n": min(waiting * 9 // 10, waiting - 2 * PAGE_SIZE)},
        )
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["csrf_token"] = raw = secrets.token_hex(20)
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    login = client.post(
        "/login", data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302, login.status_code
    paths = {"first_page": "/moderate", "deep_page": f"/moderate?after={deep_after}"}
    for path in paths.values():
        for _ in range(5):
            assert client.get(path).status_code == 200
    return Target(waiting, client, paths, filled_s, {name: [] for name in paths})


def measure(targets: list[Target], runs: int) -> None:
    """Time the pages of every target in turn, so that machine noise falls on all alike."""
    for _ in range(runs):
        for target in targets:
            for name, path in target.paths.items():
                start = time.perf_counter()
                response = target.client.get(path)
                target.times[name].append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200


def backend_urls(backend: str, base: str, workdir: Path) -> dict[int, str]:
    """One database per size: two SQLite files, or two schemas of one PostgreSQL database."""
    if backend == "sqlite":
        return {size: f"sqlite:///{workdir / f'bench-{size}.sqlite3'}" for size in SIZES}
    engine = create_engine(base)
    with engine.begin() as connection:
        for size in SIZES:
            connection.execute(text(f"DROP SCHEMA IF EXISTS bench_{size} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA bench_{size}"))
    engine.dispose()
    joiner = "&" if "?" in base else "?"
    return {size: f"{base}{joiner}options=-csearch_path%3Dbench_{size}" for size in SIZES}


def drop_schemas(base: str) -> None:
    """Remove the PostgreSQL schemas the benchmark made."""
    engine = create_engine(base)
    with engine.begin() as connection:
        for size in SIZES:
            connection.execute(text(f"DROP SCHEMA IF EXISTS bench_{size} CASCADE"))
    engine.dispose()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    results: dict[str, object] = {}
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="cards-bench-") as folder:
        workdir = Path(folder)
        backends = {"sqlite": ""}
        pg = os.environ.get("CARDS_BENCH_POSTGRES_URL")
        if pg:
            backends["postgresql"] = pg.replace("postgresql://", "postgresql+psycopg://", 1)
        for backend, base in backends.items():
            urls = backend_urls(backend, base, workdir)
            try:
                targets = [
                    prepare(urls[size], size, workdir / f"{backend}-{size}") for size in SIZES
                ]
                measure(targets, args.runs)
            finally:
                if backend == "postgresql":
                    drop_schemas(base)
            figures = {
                t.waiting: {
                    "fill_s": round(t.fill_s, 2),
                    **{f"{n}_ms": round(statistics.median(v), 2) for n, v in t.times.items()},
                }
                for t in targets
            }
            for size, values in figures.items():
                print(f"{backend:10} {size:>7} waiting: {values}")
            small, big = figures[SIZES[0]], figures[SIZES[-1]]
            ratios = {
                name: round(big[f"{name}_ms"] / small[f"{name}_ms"], 2)
                for name in ("first_page", "deep_page")
            }
            worst = max(worst, *ratios.values())
            print(f"{backend:10} ratio 100,000 / 100 (median of {args.runs}): {ratios}")
            results[backend] = {"sizes": {str(k): v for k, v in figures.items()}, "ratio": ratios}
    ok = worst < 2
    print(
        json.dumps(
            {"benchmark": "moderation_queue", "results": results, "worst_ratio": worst, "ok": ok}
        )
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
