"""Recipients benchmark: `python bench/recipients.py [--database URL] [--runs 15]`.

Seeds two campaigns in one database (100 and 10,000 recipients, a tenth paused, some
with consent withdrawn or deleted), logs an admin in, and times back to back, in the same
run: the recipients page (first page, a later page, a search), and one recipient's page.
Then imports a 10,000-row .csv and a 10,000-row .xlsx through the service, timed.
Default database: a throwaway SQLite file; pass a PostgreSQL URL (an empty database made
for it) to measure there. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _seed(session, campaign, n: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from cardsapp.domain.envelopes import random_code
    from cardsapp.models import Erasure, Recipient, utcnow

    rows = []
    for i in range(n):
        erasure = Erasure.DELETED if i % 50 == 7 else None
        erasure = Erasure.CONSENT_WITHDRAWN if i % 50 == 9 else erasure
        label = "" if erasure is Erasure.DELETED else f"Mother {i:05d} of a prisoner"
        rows.append(
            {
                "campaign_id": campaign.id,
                "public_id": random_code(10),
                "public_label": label,
                "label_search": label.casefold(),
                "address_token": None if erasure else b"x" * 180,
                "paused": i % 10 == 0 or erasure is not None,
                "cards_assigned": i % 40,
                "erasure": erasure,
                "created_at": utcnow(),
            }
        )
    for start in range(0, n, 2000):
        session.execute(insert(Recipient), rows[start : start + 2000])


def _medians_ms(client, urls: tuple[str, str], runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Both pages in turn, so that other load on the machine weighs on both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for url, kept in zip(urls, times, strict=True):
            started = time.perf_counter()
            response = client.get(url)
            kept.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times[0]), statistics.median(times[1])


def _files(n: int) -> tuple[bytes, bytes]:
    from openpyxl import Workbook

    rows = [
        [f"Label {i:05d}", f"Testa {i}", f"{i} Fake Street", "", "Fictionville", "FX1", "Land"]
        for i in range(n)
    ]
    header = ["public_label", "name", "address_line1", "address_line2", "city"]
    header += ["postcode", "country"]
    text = "\r\n".join(";".join(r) for r in [header, *rows]) + "\r\n"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return text.encode("utf-8-sig"), out.getvalue()


def main() -> None:
    """Seed, time back to back, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from sqlalchemy import create_engine

    from cardsapp import create_app
    from cardsapp.config import config_for_tests
    from cardsapp.extensions import db
    from cardsapp.models import Recipient, Role
    from cardsapp.schema import upgrade_schema
    from cardsapp.services.recipients import import_recipients
    from tests.factories import log_in, make_campaign, make_user

    folder = Path(tempfile.mkdtemp(prefix="bench-recipients-"))
    url = args.database or f"sqlite:///{folder / 'bench.sqlite3'}"
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    app = create_app(config_for_tests(url, None, folder))
    figures: dict[str, object] = {"database": url.split(":", 1)[0]}
    with app.app_context():
        small = make_campaign(db.session, slug="bench-small")
        large = make_campaign(db.session, slug="bench-large")
        make_user(db.session, Role.ADMIN, email="bench-admin@example.org")
        _seed(db.session, small, 100)
        _seed(db.session, large, 10_000)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE recipients")
                connection.commit()
        client = app.test_client()
        log_in(client, "bench-admin@example.org")
        pages = {}
        for name, campaign in (("small", small), ("large", large)):
            first = f"/admin/recipients?campaign={campaign.slug}"
            late = db.session.scalar(
                Recipient.__table__.select()
                .with_only_columns(Recipient.id)
                .where(Recipient.campaign_id == campaign.id)
                .order_by(Recipient.id.desc())
                .limit(1)
                .offset(60)
            )
            one = db.session.scalar(
                Recipient.__table__.select()
                .with_only_columns(Recipient.public_id)
                .where(Recipient.campaign_id == campaign.id, Recipient.erasure.is_(None))
                .limit(1)
            )
            pages[name] = {
                "first_page": first,
                "late_page": f"{first}&after={late}",
                "search": f"{first}&q=00042",
                "search_nothing": f"{first}&q=nobody",
                "one_recipient": f"/admin/recipients/{one}",
            }
        for url_small in pages["small"].values():
            client.get(url_small)  # warm templates and caches
        results: dict[str, dict[str, float]] = {}
        for key in pages["small"]:
            s, big = _medians_ms(client, (pages["small"][key], pages["large"][key]), args.runs)
            body = len(client.get(pages["large"][key]).data)
            results[key] = {
                "small_ms": round(s, 2),
                "large_ms": round(big, 2),
                "ratio": round(big / s, 2),
                "large_bytes": body,
            }
        figures["pages"] = results
        figures["worst_ratio"] = max(r["ratio"] for r in results.values())
        csv_data, xlsx_data = _files(10_000)
        for kind, data in (("csv", csv_data), ("xlsx", xlsx_data)):
            target = make_campaign(db.session, slug=f"bench-import-{kind}")
            db.session.commit()
            started = time.perf_counter()
            added = import_recipients(db.session, target, data)
            db.session.commit()
            figures[f"import_10k_{kind}_seconds"] = round(time.perf_counter() - started, 2)
            figures[f"import_10k_{kind}_bytes"] = len(data)
            assert added == 10_000
        db.session.remove()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
