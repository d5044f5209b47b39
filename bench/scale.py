"""A million cards against a thousand: `python bench/scale.py [--runs N] [--big-purge]`.

Needs CARDS_BENCH_POSTGRES_URL (a database of its own, e.g. cardsapp_scale_bench) and
REDIS_URL. Seeds, once, with COPY, three schemas of that database:

- `restored`: a campaign of 1,000,000 cards and 10,000 recipients and another of 1,000 cards
  and 100 recipients, their cards interleaved in time as donors write them, the cards table
  physically in id order (as after a dump and restore); states as production holds them:
  half mailed and not yet purged, a quarter approved and waiting, some in ready batches,
  submitted, rejected (the old ones already purged), envelopes and claims consistent,
  some 860,000 audit events;
- `live`: the same rows with the cards table in no particular physical order;
- `small`: the small campaign alone (the reference for what is global: audit log, purge).

Then times every page (Flask test client, a logged-in admin) and job (services) that issue
20 lists, for the large and small campaign back to back, in both physical orders, and prints
one JSON object as its last line: worst_ratio, worst, claim_10k_seconds, pages, jobs.
The seed is kept between runs while the database's comment matches SEED_VERSION.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine, create_engine, text

from cardsapp import create_app
from cardsapp.config import config_for_tests
from cardsapp.extensions import db
from cardsapp.schema import upgrade_schema
from cardsapp.services.users import hash_password

SEED_VERSION = "scale-seed-3"
LARGE = {"slug": "large", "cards": 1_000_000, "recipients": 10_000, "batch": 5000}
SMALL = {"slug": "small", "cards": 1_000, "recipients": 100, "batch": 5}
EMAIL = "bench-admin@example.org"
PASSWORD = secrets.token_urlsafe(16)  # set afresh on the seeded account at every run
# Seeded times are fixed so that reruns agree; nothing seeded falls due for purging (60 days)
# within ten days of NOW.
NOW = datetime(2026, 12, 8, tzinfo=UTC)
SPAN = timedelta(days=120)
DESIGN = "plain"
MESSAGES = (
    "Дарагая мама, мы думаем пра вас кожны дзень і чакаем добрых навін. Трымайцеся!",
    "Дорогая мама, спасибо вам за силу и терпение. Вы не одна, мы рядом, и весна придёт.",
    "Dear mum, thinking of you today. Spring is coming and so are better days for all of us.",
)
TABLES = (
    "campaigns",
    "users",
    "recipients",
    "batches",
    "envelopes",
    "cards",
    "card_claims",
    "audit_events",
)


def log(*parts: object) -> None:
    """Progress on standard error; the JSON alone goes to standard output's last line."""
    print(*parts, file=sys.stderr, flush=True)


# --- seeding ----------------------------------------------------------------------------------


@dataclass
class Ids:
    """Next id of each table, shared by the campaigns seeded into one schema."""

    batch: int = 1
    envelope: int = 1
    audit: int = 1


def _stamp(engine: Engine) -> str:
    with engine.connect() as connection:
        return (
            connection.scalar(
                text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                    " WHERE datname = current_database()"
                )
            )
            or ""
        )


def _schema_url(base: str, schema: str) -> str:
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options=-csearch_path%3D{schema}"


def _card_plan(total_large: int, total_small: int) -> Iterator[tuple[str, int, int]]:
    """(campaign slug, k-th card of that campaign, its id): both campaigns' cards arrive
    interleaved in time, so a small campaign's rows are spread over the whole table."""
    step = max(1, total_large // max(1, total_small))
    card_id, k_small, k_large = 1, 0, 0
    while k_large < total_large or k_small < total_small:
        if k_small < total_small and (k_large >= total_large or (k_large + 1) % step == 0):
            yield "small", k_small, card_id
            k_small += 1
            card_id += 1
        if k_large < total_large:
            yield "large", k_large, card_id
            k_large += 1
            card_id += 1


def _state(k: int, n: int) -> str:
    """Where the k-th of n cards stands: the oldest mailed, the newest still submitted."""
    if k % 10 == 3:
        return "rejected"
    f = k / n
    if f < 0.55:
        return "mailed"
    if f < 0.556:
        return "ready"
    if f < 0.835:
        return "approved"
    return "submitted"


def seed_schema(base: str, schema: str, campaigns: list[dict[str, int | str]]) -> None:
    """Create `schema` and fill it with the campaigns by COPY, cards in id order."""
    admin_engine = create_engine(base)
    with admin_engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin_engine.dispose()
    engine = create_engine(_schema_url(base, schema))
    upgrade_schema(engine)
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        assert pg is not None
        with pg.cursor() as cur:
            _copy_all(cur, campaigns)
        pg.commit()
    finally:
        raw.close()
    with engine.connect() as connection:
        for table in TABLES:
            if table == "card_claims":
                continue
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            )
        connection.commit()
    _vacuum(engine)
    engine.dispose()
    log(f"seeded {schema} in {time.perf_counter() - started:.0f} s")


def _vacuum(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _copy_all(cur: object, campaigns: list[dict[str, int | str]]) -> None:
    """Every table's rows for the campaigns, written with COPY."""
    # Foreign keys are not checked while seeding (the rows are consistent by construction),
    # so that batches can be written after the cards that give their counts.
    cur.execute("SET session_replication_role = replica")  # type: ignore[attr-defined]
    cur.execute(  # type: ignore[attr-defined]
        "INSERT INTO users (id, email, password_hash, roles_text, active, session_token,"
        " failed_logins, label_offset_x_mm, label_offset_y_mm, created_at)"
        " VALUES (1, %s, %s, 'admin', true, %s, 0, 0, 0, now())",
        (EMAIL, hash_password(PASSWORD), secrets.token_urlsafe(32)),
    )
    ids = Ids()
    by_slug = {str(c["slug"]): c for c in campaigns}
    large = by_slug.get("large", {"cards": 0})
    small = by_slug.get("small", {"cards": 0})
    campaign_ids = {slug: n for n, slug in enumerate(by_slug, start=1)}
    with cur.copy(  # type: ignore[attr-defined]
        "COPY campaigns (id, slug, title, story, guidance, opens_at, closes_at,"
        " max_message_length, watch_words, designs, cap_per_batch, cap_per_campaign,"
        " participants_count, cards_count, created_at) FROM STDIN"
    ) as copy:
        for slug, cid in campaign_ids.items():
            n = int(by_slug[slug]["cards"])
            copy.write_row(
                (
                    cid,
                    slug,
                    json.dumps({"en": slug.title()}),
                    "{}",
                    "{}",
                    NOW - SPAN,
                    NOW + timedelta(days=3650 + cid),
                    600,
                    json.dumps(["protest"]),
                    json.dumps([DESIGN]),
                    10,
                    10_000,
                    n * 9 // 10,
                    n * 9 // 10,
                    NOW - SPAN,
                )
            )
    # Recipients: ids in blocks per campaign; one in a hundred paused.
    recipient_ids: dict[str, list[int]] = {}
    next_recipient = 1
    with cur.copy(  # type: ignore[attr-defined]
        "COPY recipients (id, campaign_id, public_id, public_label, address_token, paused,"
        " cards_assigned, created_at) FROM STDIN"
    ) as copy:
        for slug, cid in campaign_ids.items():
            count = int(by_slug[slug]["recipients"])
            recipient_ids[slug] = list(range(next_recipient, next_recipient + count))
            for n, rid in enumerate(recipient_ids[slug]):
                copy.write_row(
                    (
                        rid,
                        cid,
                        f"R{rid:09d}",
                        f"Mother of a prisoner, region {n % 7 + 1}, no. {n}",
                        b"sealed-address-placeholder",
                        n % 100 == 99,
                        0,
                        NOW - SPAN,
                    )
                )
            next_recipient += count
    # Cards, envelopes, batches, claims and audit events in one pass over the timeline.
    cards_rows: list[tuple[object, ...]] = []
    claims: list[tuple[int, int]] = []
    batches: list[tuple[object, ...]] = []
    audit_rows: list[tuple[object, ...]] = []
    assigned: dict[int, int] = {}
    open_batch: dict[str, tuple[int, str, int]] = {}  # slug -> (batch id, state, cards in it)
    pointer: dict[str, int] = dict.fromkeys(by_slug, 0)
    totals = {"large": int(large["cards"]), "small": int(small["cards"])}

    def new_batch(slug: str, state: str, when: datetime) -> int:
        batch_id = ids.batch
        ids.batch += 1
        mailed = state == "mailed"
        batches.append(
            (
                batch_id,
                f"B{batch_id:07d}",
                campaign_ids[slug],
                "mailed" if mailed else "ready",
                "home_a4",
                0,
                0,
                when,
                when + timedelta(hours=1),
                when + timedelta(days=2) if mailed else None,
                # Mailed within the retention period: nothing is due for purging yet.
                NOW - timedelta(days=50) + (when - (NOW - SPAN)) / 3 if mailed else None,
            )
        )
        audit_rows.append((ids.audit, when, 1, "batch_created", f"batch:B{batch_id:07d}", "{}"))
        ids.audit += 1
        return batch_id

    def flush_cards(copy: object) -> None:
        for row in cards_rows:
            copy.write_row(row)  # type: ignore[attr-defined]
        cards_rows.clear()

    batch_cards: dict[int, int] = {}
    envelope_of: dict[tuple[int, int], list[int]] = {}
    batch_envelopes: dict[int, int] = {}
    with cur.copy(  # type: ignore[attr-defined]
        "COPY cards (id, reference, campaign_id, design_slug, message, signature, recipient_id,"
        " recipient_chosen, status, flags, language, rejection_reason, submitted_at, decided_at,"
        " decided_by_id, batch_id, envelope_id, position_in_envelope) FROM STDIN"
    ) as copy:
        for slug, k, card_id in _card_plan(totals["large"], totals["small"]):
            n = totals[slug]
            state = _state(k, n)
            when = NOW - SPAN + SPAN * (k / n)
            decided = when + timedelta(hours=20) if state != "submitted" else None
            message: str | None = MESSAGES[card_id % 3]
            recipient_id = None
            chosen = state in ("approved", "submitted") and k % 9 == 0
            if chosen:
                recipient_id = recipient_ids[slug][k % len(recipient_ids[slug])]
            batch_id = envelope_id = position = None
            reason = None
            status = state
            if state == "rejected":
                reason = "risk"
                if decided is not None and decided < NOW - timedelta(days=50):
                    message = None  # purged already, as the nightly job would have
            if state in ("mailed", "ready"):
                status = "mailed" if state == "mailed" else "batched"
                current = open_batch.get(slug)
                if current is None or current[1] != state or current[2] >= by_slug[slug]["batch"]:
                    current = (new_batch(slug, state, decided or when), state, 0)
                batch_id = current[0]
                open_batch[slug] = (batch_id, state, current[2] + 1)
                pool = recipient_ids[slug]
                recipient_id = pool[pointer[slug] % len(pool)]
                pointer[slug] += 1
                key = (batch_id, recipient_id)
                if key not in envelope_of:
                    batch_envelopes[batch_id] = batch_envelopes.get(batch_id, 0) + 1
                    envelope_of[key] = [ids.envelope, batch_envelopes[batch_id], 0]
                    ids.envelope += 1
                envelope_of[key][2] += 1
                envelope_id, position = envelope_of[key][0], envelope_of[key][2]
                batch_cards[batch_id] = batch_cards.get(batch_id, 0) + 1
                claims.append((card_id, batch_id))
                assigned[recipient_id] = assigned.get(recipient_id, 0) + 1
            cards_rows.append(
                (
                    card_id,
                    f"C{card_id:011d}",
                    campaign_ids[slug],
                    DESIGN,
                    message,
                    "Ганна" if card_id % 4 == 0 else None,
                    recipient_id,
                    chosen,
                    status,
                    "[]",
                    ("be", "ru", "en")[card_id % 3],
                    reason,
                    when,
                    decided,
                    1 if decided else None,
                    batch_id,
                    envelope_id,
                    position,
                )
            )
            if decided is not None:
                action = "card_rejected" if state == "rejected" else "card_approved"
                audit_rows.append((ids.audit, decided, 1, action, f"card:{card_id}", "{}"))
                ids.audit += 1
            if len(cards_rows) >= 10_000:
                flush_cards(copy)
        flush_cards(copy)
    with cur.copy(  # type: ignore[attr-defined]
        "COPY batches (id, code, campaign_id, status, layout, card_count, envelope_count,"
        " created_at, ready_at, printed_at, mailed_at, attempts, failures) FROM STDIN"
    ) as copy:
        for row in batches:
            batch_id = int(row[0])  # type: ignore[call-overload]
            copy.write_row(
                (
                    *row[:5],
                    batch_cards.get(batch_id, 0),
                    batch_envelopes.get(batch_id, 0),
                    *row[7:],
                    1,
                    0,
                )
            )
    with cur.copy(  # type: ignore[attr-defined]
        "COPY envelopes (id, batch_id, recipient_id, code, position, card_count) FROM STDIN"
    ) as copy:
        for (batch_id, recipient_id), (envelope_id, position, count) in envelope_of.items():
            code = f"E{envelope_id:08d}"
            copy.write_row((envelope_id, batch_id, recipient_id, code, position, count))
    with cur.copy("COPY card_claims (card_id, batch_id) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for row in claims:
            copy.write_row(row)
    # Logins and downloads make up the rest of the audit log.
    extra = (860 if totals["large"] == 0 else 860_000) - len(audit_rows)
    for n in range(max(0, extra)):
        at = NOW - SPAN + SPAN * (n / max(1, extra))
        audit_rows.append((ids.audit, at, 1, "login", None, "{}"))
        ids.audit += 1
    with cur.copy(  # type: ignore[attr-defined]
        "COPY audit_events (id, at, actor_id, action, target, detail) FROM STDIN"
    ) as copy:
        # Ids follow time, as they do when events are written as they happen.
        audit_rows.sort(key=lambda r: r[1])  # type: ignore[arg-type,return-value]
        for n, row in enumerate(audit_rows, start=1):
            copy.write_row((n, *row[1:]))
    cur.execute(  # type: ignore[attr-defined]
        "CREATE TEMP TABLE seeded_counts (id int, n int) ON COMMIT DROP"
    )
    with cur.copy("COPY seeded_counts (id, n) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for rid, n in assigned.items():
            copy.write_row((rid, n))
    cur.execute(  # type: ignore[attr-defined]
        "UPDATE recipients SET cards_assigned = s.n FROM seeded_counts s WHERE s.id = recipients.id"
    )
    cur.execute("SET session_replication_role = DEFAULT")  # type: ignore[attr-defined]


def seed_live(base: str) -> None:
    """`live`: the restored rows again, the cards table in no particular physical order."""
    started = time.perf_counter()
    admin_engine = create_engine(base)
    with admin_engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS live CASCADE"))
        connection.execute(text("CREATE SCHEMA live"))
    admin_engine.dispose()
    engine = create_engine(_schema_url(base, "live"))
    upgrade_schema(engine)
    with engine.begin() as connection:
        for table in TABLES:
            order = " ORDER BY random()" if table == "cards" else ""
            connection.execute(
                text(f"INSERT INTO live.{table} SELECT * FROM restored.{table}{order}")
            )
            if table != "card_claims":
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('live.{table}', 'id'),"
                        f" (SELECT coalesce(max(id), 0) + 1 FROM live.{table}), false)"
                    )
                )
    _vacuum(engine)
    engine.dispose()
    log(f"seeded live in {time.perf_counter() - started:.0f} s")


def ensure_seed(base: str) -> None:
    """Seed the three schemas unless the database already holds this version's seed."""
    engine = create_engine(base)
    try:
        if _stamp(engine) == _version():
            for schema in ("restored", "live", "small"):
                upgrade_schema(create_engine(_schema_url(base, schema)))
            return
        with engine.begin() as connection:
            connection.execute(text("COMMENT ON DATABASE " + _dbname(engine) + " IS NULL"))
    finally:
        engine.dispose()
    seed_schema(base, "restored", [LARGE, SMALL])
    seed_schema(base, "small", [SMALL])
    seed_live(base)
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f"COMMENT ON DATABASE {_dbname(engine)} IS '{_version()}'"))
    engine.dispose()


def _version() -> str:
    return f"{SEED_VERSION}:{LARGE['cards']}"


def _dbname(engine: Engine) -> str:
    name = engine.url.database or ""
    assert name.replace("_", "").isalnum(), name
    return name


# --- timing -----------------------------------------------------------------------------------


@dataclass
class Target:
    """One schema: its app, a logged-in admin's client and the campaigns' ids."""

    schema: str
    app: Flask
    client: FlaskClient
    campaigns: dict[str, int]


def prepare(base: str, schema: str, workdir: Path) -> Target:
    """An app on the schema, an admin account, a logged-in client."""
    config = config_for_tests(_schema_url(base, schema), os.environ.get("REDIS_URL"), workdir)
    config.rate_limit_login = "1000 per minute"
    app = create_app(config)
    with app.app_context():
        db.session.execute(
            text("UPDATE users SET password_hash = :h, failed_logins = 0 WHERE email = :e"),
            {"h": hash_password(PASSWORD), "e": EMAIL},
        )
        db.session.commit()
        campaigns = dict(db.session.execute(text("SELECT slug, id FROM campaigns")).all())
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["csrf_token"] = raw = secrets.token_hex(20)
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    login = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 302, login.status_code
    return Target(schema, app, client, campaigns)


def make_current(target: Target, slug: str) -> None:
    """The campaign donors see, /batches counts: the open one closing first."""
    with target.app.app_context():
        for other, cid in target.campaigns.items():
            days = 30 if other == slug else 60
            db.session.execute(
                text("UPDATE campaigns SET closes_at = :c WHERE id = :i"),
                {"c": datetime.now(UTC) + timedelta(days=days), "i": cid},
            )
        db.session.commit()
        db.session.remove()
    cache = target.app.extensions.get("cardsapp.public")
    if cache is not None and hasattr(cache, "forget"):
        cache.forget()


def _page(path: str) -> Callable[[Target, str], Callable[[], None]]:
    def setup(target: Target, slug: str) -> Callable[[], None]:
        url = path.format(slug=slug, card=_a_card(target, slug))

        def run() -> None:
            response = target.client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            response.close()

        return run

    return setup


def _a_card(target: Target, slug: str) -> int:
    with target.app.app_context():
        card = db.session.scalar(
            text(
                "SELECT id FROM cards WHERE campaign_id = :c AND status = 'approved'"
                " ORDER BY id LIMIT 1"
            ),
            {"c": target.campaigns[slug]},
        )
        db.session.remove()
    return int(card or 0)


def _in_app(target: Target, work: Callable[[], object], commit: bool) -> None:
    with target.app.app_context():
        try:
            work()
            if commit:
                db.session.commit()
        finally:
            db.session.rollback()
            db.session.remove()


def _claim(cards: int) -> Callable[[Target, str], Callable[[], None]]:
    def setup(target: Target, slug: str) -> Callable[[], None]:
        from cardsapp.models import BatchLayout
        from cardsapp.services.batches import MAX_CARDS, create_batch

        def run() -> None:
            # Rolled back: every run claims from the same seeded backlog.
            _in_app(
                target,
                lambda: create_batch(
                    db.session,
                    target.campaigns[slug],
                    min(cards, MAX_CARDS),
                    BatchLayout.PRINT_SHOP,
                ),
                commit=False,
            )

        return run

    return setup


def _snapshot(target: Target, slug: str) -> Callable[[], None]:
    from cardsapp.services.public import PublicCache

    def run() -> None:
        def read() -> None:
            view = PublicCache(0).view(db.session, slug)
            assert view.campaign is not None and view.campaign.slug == slug

        _in_app(target, read, commit=False)

    return run


def _purge_nothing_due(target: Target, slug: str) -> Callable[[], None]:
    import worker.jobs

    def run() -> None:
        with target.app.app_context():
            worker.jobs.use_app(target.app)
            result = worker.jobs.purge_expired()
            db.session.remove()
        assert not result["purged"] and not result["rejected"], result

    return run


# What the table lists. `scope` says which small figure is the reference: the
# small campaign beside the large one ("campaign"), or the small campaign alone in its own
# schema, for what is global (the audit log, purging).
PAGES: dict[str, tuple[str, Callable[[Target, str], Callable[[], None]]]] = {
    "admin_recipients": ("campaign", _page("/admin/recipients?campaign={slug}")),
    "moderate_first_page": ("campaign", _page("/moderate?campaign={slug}")),
    "batches": ("campaign", _page("/batches?campaign={slug}")),
    "write": ("campaign", _page("/c/{slug}/write")),
    "landing": ("campaign", _page("/c/{slug}")),
    "audit_target": ("global", _page("/admin/audit?target=card:{card}")),
    "audit_range": ("global", _page("/admin/audit?since=2026-09-01&until=2026-09-01")),
}
JOBS: dict[str, tuple[str, Callable[[Target, str], Callable[[], None]]]] = {
    "public_snapshot": ("campaign", _snapshot),
    # As many cards as the small campaign has waiting (some 280), so that both claim alike.
    "claim_250": ("campaign", _claim(250)),
    "purge_nothing_due": ("global", _purge_nothing_due),
}


def _time(run: Callable[[], None], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(
    large: Target, small_alone: Target, runs: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Each operation for the large and small campaign back to back (median of `runs`)."""
    out: dict[str, dict[str, dict[str, float]]] = {"pages": {}, "jobs": {}}
    for group, table in (("pages", PAGES), ("jobs", JOBS)):
        for name, (scope, setup) in table.items():
            reference = large if scope == "campaign" else small_alone
            times: dict[str, list[float]] = {"large": [], "small": []}
            n = max(2, runs // 2) if name.startswith("claim") else runs
            make_current(large, "large")
            make_current(small_alone, "small")
            if reference is large:
                run_large = setup(large, "large")
                make_current(large, "small")
                run_small = setup(large, "small")
            else:
                run_large, run_small = setup(large, "large"), setup(small_alone, "small")
            for _ in range(2):  # alternate, so that drift on a shared machine falls on both
                make_current(large, "large")
                warm = _time(run_large, 1)
                # What takes seconds is timed once a round: the run stays under 15 minutes.
                times["large"].append(_time(run_large, n) if warm < 1000 else warm)
                if reference is large:
                    make_current(large, "small")
                run_small()
                times["small"].append(_time(run_small, n))
            large_ms, small_ms = min(times["large"]), min(times["small"])
            out[group][name] = {
                "large_ms": round(large_ms, 2),
                "small_ms": round(small_ms, 2),
                "ratio": round(large_ms / small_ms, 2),
            }
            log(f"{large.schema:9} {name:22} {out[group][name]}")
    make_current(large, "large")
    return out


def claim_seconds(target: Target, cards: int) -> float:
    """Seconds to claim `cards` cards from the large backlog (rolled back)."""
    make_current(target, "large")
    run = _claim(cards)(target, "large")
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def big_purge(target: Target) -> dict[str, float]:
    """Purge every mailed batch of `live` (due a year on): time, then the schema is stale."""
    from cardsapp.services.batches import purge_expired

    config = target.app.extensions["cardsapp.config"]
    start = time.perf_counter()
    with target.app.app_context():
        purged = purge_expired(
            db.session, config.data_dir, config.retention_days, NOW + timedelta(days=365)
        )
        db.session.commit()
        db.session.remove()
    return {"seconds": round(time.perf_counter() - start, 2), "batches": len(purged)}


def main() -> None:
    """Seed if needed, time everything, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--big-purge", action="store_true", help="also purge every mailed batch of `live`"
    )
    parser.add_argument("--large", type=int, default=1_000_000, help="cards of the large one")
    args = parser.parse_args()
    LARGE["cards"] = args.large
    LARGE["recipients"] = max(100, args.large // 100)
    url = os.environ.get("CARDS_BENCH_POSTGRES_URL")
    if not url:
        raise SystemExit("CARDS_BENCH_POSTGRES_URL must name a database for this benchmark")
    base = url.replace("postgresql://", "postgresql+psycopg://", 1)
    started = time.perf_counter()
    ensure_seed(base)
    seeded_s = time.perf_counter() - started
    results: dict[str, object] = {}
    worst, worst_name = 0.0, ""
    with tempfile.TemporaryDirectory(prefix="cards-scale-") as folder:
        small_alone = prepare(base, "small", Path(folder) / "small")
        claims: dict[str, float] = {}
        claim_20k = 0.0
        for schema in ("live", "restored"):
            target = prepare(base, schema, Path(folder) / schema)
            figures = measure(target, small_alone, args.runs)
            claims[schema] = round(claim_seconds(target, 10_000), 2)
            log(f"{schema:9} claim_10k {claims[schema]} s")
            if schema == "live":
                claim_20k = round(claim_seconds(target, 20_000), 2)
                log(f"{schema:9} claim_20k {claim_20k} s")
            results[schema] = figures
            for group in ("pages", "jobs"):
                for name, values in figures[group].items():
                    if values["ratio"] > worst:
                        worst, worst_name = values["ratio"], f"{name} ({schema})"
        if args.big_purge:
            live = prepare(base, "live", Path(folder) / "purge")
            results["big_purge"] = big_purge(live)
            engine = create_engine(base)
            with engine.begin() as connection:  # `live` changed: seed again next time
                connection.execute(text(f"COMMENT ON DATABASE {_dbname(engine)} IS NULL"))
            engine.dispose()
    live_figures = results["live"]
    assert isinstance(live_figures, dict)
    summary = {
        "benchmark": "scale",
        "worst_ratio": worst,
        "worst": worst_name,
        "claim_10k_seconds": max(claims.values()),
        "claim_10k_by_order": claims,
        "claim_20k_seconds": claim_20k,
        "pages": live_figures["pages"],
        "jobs": live_figures["jobs"],
        "id_order": results["restored"],
        **({"big_purge": results["big_purge"]} if "big_purge" in results else {}),
        "seed_seconds": round(seeded_s, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
