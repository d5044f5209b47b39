"""Canaries: unique addresses and messages followed through the whole flow.

Donors send canary messages through the web; recipients have canary addresses.
After moderation, a batch built by a real worker and both downloads, the
canaries are searched for everywhere they must not be.
"""

from __future__ import annotations

import io
import logging
import secrets
import subprocess
from pathlib import Path

import pytest
import redis
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.engine import make_url

from cardsapp.crypto import PostalAddress
from cardsapp.extensions import db
from cardsapp.models import Batch, Card, Role
from cardsapp.services.recipients import add_recipient
from tests.factories import (
    STAFF_PASSWORD,
    csrf_token,
    log_in,
    make_campaign,
    make_keyholder,
    make_user,
    staff_csrf_token,
)


def _canary(kind: str) -> str:
    return f"Qz{kind}{secrets.token_hex(4)}"


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _redis_dump(url: str) -> bytes:
    client = redis.Redis.from_url(url)
    parts: list[bytes] = []
    for key in client.scan_iter():
        parts.append(key)
        kind = client.type(key)
        if kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"hash":
            parts.extend(b"%s=%s" % kv for kv in client.hgetall(key).items())
        elif kind == b"list":
            parts.extend(client.lrange(key, 0, -1))
        elif kind == b"set":
            parts.extend(client.smembers(key))
        elif kind == b"zset":
            parts.extend(member for member, _ in client.zrange(key, 0, -1, withscores=True))
        elif kind == b"stream":
            for _id, fields in client.xrange(key):
                parts.extend(b"%s=%s" % kv for kv in fields.items())
    return b"\n".join(parts)


def _database_dump(url: str) -> bytes:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    done = subprocess.run(
        [
            "pg_dump",
            "-h",
            parsed.host or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "postgres",
            parsed.database,
        ],
        capture_output=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def canaries(app):
    campaign = make_campaign(db.session, designs=["plain", "birds"])
    addresses = []
    for _ in range(3):
        address = PostalAddress(
            name=f"Testa {_canary('name')}",
            address_line1=f"{_canary('street')} Lane 1",
            address_line2="",
            city=_canary("city"),
            postcode="FX001",
            country="Nowhereland",
        )
        add_recipient(db.session, campaign, "A test mother", address)
        addresses.append(address)
    staff = {role: make_user(db.session, role).email for role in Role if role != Role.ADDRESSER}
    staff[Role.ADDRESSER] = make_keyholder(db.session, campaign).email
    db.session.commit()
    tokens = [t for a in addresses for t in (a.name.split()[1], a.address_line1.split()[0], a.city)]
    messages = [f"Dear mum, {_canary('msg')} sends warm wishes." for _ in range(3)]
    return {"staff": staff, "address_tokens": tokens, "messages": messages}


def test_canaries_never_appear_where_they_must_not(app, config, canaries, run_worker, caplog):
    caplog.set_level(logging.DEBUG)
    staff, address_tokens = canaries["staff"], canaries["address_tokens"]
    message_tokens = [m.split()[2] for m in canaries["messages"]]
    seen_without_addresses: list[bytes] = []  # donors, public, moderators, printers

    donor = app.test_client()
    for message in canaries["messages"]:
        page = donor.get("/write")
        seen_without_addresses.append(page.data)
        fields = {
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "design": "plain",
            "message": message,
            "signature": "Ala",
            "recipient": "any",
        }
        preview = donor.post("/preview", data=fields)
        assert preview.status_code == 200
        sent = donor.post("/write", data=fields, follow_redirects=True)
        assert sent.status_code == 200
        seen_without_addresses += [preview.data, sent.data]
    public = app.test_client()
    for path in ("/", "/api/counter", "/counter.svg"):
        seen_without_addresses.append(public.get(path).data)

    moderator = app.test_client()
    log_in(moderator, staff[Role.MODERATOR])
    seen_without_addresses.append(moderator.get("/moderate").data)
    for card in db.session.scalars(select(Card)):
        decided = moderator.post(
            f"/moderate/{card.id}",
            data={"action": "approve", "csrf_token": staff_csrf_token(moderator)},
        )
        assert decided.status_code in (200, 302, 303)
        seen_without_addresses.append(moderator.get(f"/moderate/cards/{card.id}/picture.jpg").data)

    printer = app.test_client()
    log_in(printer, staff[Role.PRINTER])
    created = printer.post(
        "/batches",
        data={"max_cards": 10, "layout": "home_a4", "csrf_token": staff_csrf_token(printer)},
    )
    assert created.status_code == 302
    worker = run_worker()
    batch = db.session.scalars(select(Batch)).one()
    db.session.refresh(batch)
    # Each streamed file is read to its end before the next request, as a browser does.
    cards_pdf = printer.get(f"/batches/{batch.code}/cards.pdf")
    assert cards_pdf.status_code == 200 and cards_pdf.data
    packing_pdf = printer.get(f"/batches/{batch.code}/packing.pdf")
    assert packing_pdf.status_code == 200 and packing_pdf.data
    seen_without_addresses += [printer.get("/batches").data, cards_pdf.data, packing_pdf.data]

    addresser = app.test_client()
    log_in(addresser, staff[Role.ADDRESSER])
    labels_pdf = addresser.post(
        f"/batches/{batch.code}/labels.pdf",
        data={"password": STAFF_PASSWORD, "csrf_token": staff_csrf_token(addresser)},
    )
    assert labels_pdf.status_code == 200

    cards_text, labels_text = _pdf_text(cards_pdf.data), _pdf_text(labels_pdf.data)
    packing_text = _pdf_text(packing_pdf.data)
    # The search is meaningful: each canary is where it belongs.
    assert all(token in cards_text for token in message_tokens)
    assert all(token in labels_text for token in address_tokens)
    database = _database_dump(config.database_url)
    assert all(token.encode() in database for token in message_tokens)

    hits = {
        "address in the database": [t for t in address_tokens if t.encode() in database],
        "address in a response": [
            t for t in address_tokens for body in seen_without_addresses if t.encode() in body
        ],
        "address in the cards PDF": [t for t in address_tokens if t in cards_text],
        "message in the labels PDF": [t for t in message_tokens if t in labels_text],
        "anything in the packing list": [
            t for t in address_tokens + message_tokens if t in packing_text
        ],
        "anything in Redis": [
            t
            for t in address_tokens + message_tokens
            if t.encode() in _redis_dump(config.redis_url)
        ],
        "anything in a log line": [
            t
            for t in address_tokens + message_tokens
            if t in caplog.text or t in worker.stderr or t in worker.stdout
        ],
    }
    assert {where: found for where, found in hits.items() if found} == {}
