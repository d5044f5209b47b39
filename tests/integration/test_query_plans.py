"""The listed queries keep their index on PostgreSQL, whatever the table's physical order.

A few thousand rows stored in id order (as after a restore), the newest cards still
submitted, ANALYZEd; each service runs its real query, captured as sent, and EXPLAIN says
which index it reads. Sequential scans are switched off, so that a query whose only other
way is a full walk (of the table or of its primary key) shows that walk instead of hiding
behind a sequential scan the planner prefers on a small table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, text

from cardsapp.extensions import db
from cardsapp.models import AuditEvent, Card, CardStatus, utcnow
from cardsapp.services.audit import AuditFilter, list_events
from cardsapp.services.batches import waiting_cards
from cardsapp.services.review import list_queue, purge_rejected
from tests.factories import make_campaign

CARDS = 10_000
EVENTS = 10_000


@pytest.fixture
def seeded(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("plans are PostgreSQL's")
    campaign = make_campaign(db.session)
    db.session.commit()
    start = utcnow() - timedelta(days=100)
    rows = []
    for n in range(CARDS):
        f = n / CARDS
        # Oldest cards decided long ago, newest still waiting: submitted ones are all at the
        # end of the table, which a walk in id order reaches last.
        if n % 10 == 3:
            status = CardStatus.REJECTED
        elif f < 0.6:
            status = CardStatus.MAILED
        elif f < 0.85:
            status = CardStatus.APPROVED
        else:
            status = CardStatus.SUBMITTED
        rows.append(
            {
                "id": n + 1,
                "reference": f"R{n:011d}",
                "campaign_id": campaign.id,
                "design_slug": "plain",
                "message": None if status == CardStatus.REJECTED else "Dear mum",
                "status": status,
                "flags": [],
                "submitted_at": start + timedelta(minutes=n),
                "decided_at": start + timedelta(minutes=n + 1),
            }
        )
    db.session.execute(insert(Card), rows)
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "id": n + 1,
                "at": start + timedelta(minutes=n * 7),
                "action": "card_approved",
                "target": f"card:{n + 1}",
                "detail": {},
            }
            for n in range(EVENTS)
        ],
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CLUSTER cards USING cards_pkey"))
        connection.execute(text("VACUUM ANALYZE cards"))
        connection.execute(text("VACUUM ANALYZE audit_events"))
    return campaign


@contextmanager
def captured(table: str) -> Iterator[list[tuple[str, object]]]:
    """Every statement sent that reads `table`, with its parameters."""
    seen: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if f"FROM {table}" in statement and not statement.startswith("EXPLAIN"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)


def plan_of(run: Callable[[], object], table: str) -> str:
    """The plans (JSON text) of the statements `run` sends that read `table`."""
    with captured(table) as seen:
        run()
    db.session.rollback()
    assert seen, f"nothing read {table}"
    plans = []
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            cursor = connection.connection.cursor()
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plans.append(json.dumps(cursor.fetchone()[0]))
        connection.rollback()
    return "\n".join(plans)


def _scans(plan: str) -> set[tuple[str, str]]:
    found = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "Node Type" in node and "Scan" in node["Node Type"]:
                found.add((node["Node Type"], node.get("Index Name", node.get("Relation Name"))))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for line in plan.splitlines():
        walk(json.loads(line))
    return found


def test_the_moderation_queue_reads_its_page_from_the_queue_index_not_the_primary_key(seeded):
    scans = _scans(plan_of(lambda: list_queue(db.session, [seeded.id]), "cards"))
    assert ("Index Only Scan", "ix_cards_queue") in scans, scans
    assert not any(name == "cards_pkey" and kind != "Index Scan" for kind, name in scans)
    assert ("Index Scan", "ix_cards_batch_id") not in scans


def test_counting_waiting_cards_reads_only_the_waiting_cards_index(seeded):
    scans = _scans(plan_of(lambda: waiting_cards(db.session, seeded.id), "cards"))
    assert {name for _, name in scans} == {"ix_cards_waiting"}, scans


def test_purging_rejected_cards_with_nothing_due_reads_only_the_held_rejections_index(seeded):
    scans = _scans(plan_of(lambda: purge_rejected(db.session, 60), "cards"))
    names = {name for _, name in scans}
    assert "ix_cards_rejected_held" in names, scans
    assert not any("Seq" in kind for kind, _ in scans)


def test_the_audit_log_by_target_reads_the_target_index(seeded):
    wanted = AuditFilter(target="card:1234")
    scans = _scans(plan_of(lambda: list_events(db.session, wanted), "audit_events"))
    assert ("Index Scan", "ix_audit_target_id") in scans or (
        "Bitmap Index Scan",
        "ix_audit_target_id",
    ) in scans, scans
    assert "audit_events_pkey" not in {name for _, name in scans}


def test_the_audit_log_for_a_day_long_ago_reads_the_time_index_not_every_newer_event(seeded):
    day = utcnow() - timedelta(days=90)
    wanted = AuditFilter(since=day, until=day + timedelta(days=1))
    scans = _scans(plan_of(lambda: list_events(db.session, wanted), "audit_events"))
    assert {name for _, name in scans} & {"ix_audit_events_at"}, scans
    assert "audit_events_pkey" not in {name for _, name in scans}
