"""What is purged or rotated away is gone from the database files, not only from the tables.

SQLite: the database file and its -wal are copied after each operation and searched byte by
byte. PostgreSQL: every page of the touched tables is read raw (pageinspect) and searched.
"""

from __future__ import annotations

import secrets
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from cardsapp.cli import SCRUB_INCOMPLETE
from cardsapp.extensions import db
from cardsapp.models import CardStatus, utcnow
from cardsapp.services.keys import KEY_TABLES
from cardsapp.services.residue import scrub_after_delete
from tests.factories import STAFF_PASSWORD, make_campaign, make_card, make_keyholder, make_recipient


def _invoke(app, *args: str):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
    if SCRUB_INCOMPLETE in result.output:
        # Snapshots are server-wide: a long transaction in any database of this PostgreSQL
        # (another test run, a benchmark) keeps VACUUM from removing rows. The command says so.
        pytest.skip("a transaction elsewhere on the server holds back VACUUM")
    return result


def database_bytes(tmp_path: Path, tables: tuple[str, ...]) -> bytes:
    """A copy of what is on disk now: the SQLite files, or PostgreSQL's raw table pages."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        source = Path(engine.url.database or "")
        copied = b""
        for suffix in ("", "-wal", "-journal"):
            path = source.with_name(source.name + suffix)
            if path.exists():
                target = tmp_path / f"copy{suffix}"
                shutil.copyfile(path, target)
                copied += target.read_bytes()
        return copied
    with engine.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        pages = b""
        for table in tables:
            for relation in connection.execute(
                text(
                    "SELECT c.oid::regclass::text FROM pg_class c "
                    "WHERE c.oid = CAST(:t AS regclass) OR c.oid = "
                    "(SELECT reltoastrelid FROM pg_class WHERE oid = CAST(:t AS regclass))"
                ),
                {"t": table},
            ).scalars():
                count = connection.execute(
                    text("SELECT pg_relation_size(:r) / current_setting('block_size')::int"),
                    {"r": relation},
                ).scalar_one()
                for block in range(count):
                    pages += connection.execute(
                        text("SELECT get_raw_page(:r, :b)"), {"r": relation, "b": block}
                    ).scalar_one()
        connection.commit()
        return pages


def test_a_purged_message_is_gone_from_the_database_files(app, tmp_path):
    canary = f"CANARY-{secrets.token_hex(8)}"
    campaign = make_campaign(db.session)
    for n in range(40):
        make_card(db.session, campaign, message=f"An ordinary kept message {n}.")
    card = make_card(db.session, campaign, message=f"Rejected words {canary}.")
    card.status = CardStatus.REJECTED
    card.decided_at = utcnow() - timedelta(days=400)
    for n in range(5):
        make_card(db.session, campaign, message=f"A later message {n}.")
    db.session.commit()
    db.session.remove()
    assert canary.encode() in database_bytes(tmp_path, ("cards",))

    result = _invoke(app, "purge")
    assert result.exit_code == 0, result.output
    assert "Purged the texts of 1 cards" in result.output
    db.session.remove()
    assert canary.encode() not in database_bytes(tmp_path, ("cards",))


def test_rotated_away_ciphertexts_are_gone_from_the_database_files(app, config, tmp_path):
    campaign = make_campaign(db.session)
    recipients = [make_recipient(db.session, campaign, n) for n in range(1, 30)]
    holder = make_keyholder(db.session, campaign)
    db.session.commit()
    slug, email = campaign.slug, holder.email
    old_tokens = [bytes(r.address_token) for r in recipients]
    db.session.remove()
    on_disk = database_bytes(tmp_path, ("recipients",))
    assert all(token in on_disk for token in old_tokens)

    result = app.test_cli_runner().invoke(
        args=["rotate-keys", slug, "--as", email], input=STAFF_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    db.session.remove()
    # On a PostgreSQL server shared with other work, an older snapshot elsewhere may hold the
    # rows back for a moment; the command says so, and running the scrub again finishes it.
    for _ in range(40):
        if scrub_after_delete(db.engine, KEY_TABLES):
            break
        time.sleep(0.5)
    on_disk = database_bytes(tmp_path, ("recipients",))
    left = [token for token in old_tokens if token in on_disk]
    assert left == []


@pytest.mark.parametrize("backend_only", ["sqlite"])
def test_every_connection_overwrites_deleted_bytes(app, backend_only):
    if db.engine.dialect.name != backend_only:
        pytest.skip("an SQLite setting")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar_one() == 1


def test_an_erased_address_is_gone_from_the_database_files(app, tmp_path):
    from cardsapp.services.recipients import Erasure, clear_erased_residue, erase_recipient

    campaign = make_campaign(db.session)
    recipients = [make_recipient(db.session, campaign, n) for n in range(1, 12)]
    db.session.commit()
    erased = recipients[5]
    token = bytes(erased.address_token)
    erase_recipient(db.session, erased, Erasure.DELETED)
    db.session.commit()
    if not clear_erased_residue_done(clear_erased_residue):
        pytest.skip("a transaction elsewhere on the server holds back VACUUM")
    db.session.remove()
    assert token not in database_bytes(tmp_path, ("recipients",))


def clear_erased_residue_done(clear) -> bool:
    from cardsapp.services.residue import ADDRESS_TABLES, scrub_after_delete

    clear(db.session)
    # Run once more to learn whether it could finish (the function says nothing itself).
    return scrub_after_delete(db.engine, ADDRESS_TABLES)
