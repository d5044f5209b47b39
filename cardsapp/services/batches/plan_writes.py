"""Writing a planned batch: envelopes, claims, cards and recipients' counts, set-based.

A claim of 20,000 cards writes a few statements whatever its size. On PostgreSQL each takes
its rows as arrays (`unnest`), so a statement has a handful of parameters, not tens of
thousands (psycopg converts every placeholder of a statement it has not seen, which cost
more than the work); SQLite takes the same rows through executemany on the Core tables. No
ORM unit of work: one ORM update per recipient walked the session's identity map each time
(22-41 s for 10,000 cards). The invariant: every card of the plan gets exactly one claim,
envelope and position, and each recipient's count grows by her cards in the plan. Guarded
by tests/integration/test_batches.py and test_claim_concurrency.py on both databases, and
timed by bench/scale.py (claim_10k_seconds).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Table, any_, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from cardsapp.domain.envelopes import BatchPlan, renew_codes
from cardsapp.extensions import Base
from cardsapp.models import Batch, Card, CardClaim, CardStatus, Envelope, Recipient
from cardsapp.services.batches.policy import ClaimConflict


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def among(
    session: Session, column: ColumnElement[Any] | InstrumentedAttribute[Any], values: list[int]
) -> list[ColumnElement[bool]]:
    """Conditions `column IN values`: one array parameter on PostgreSQL, chunks on SQLite."""
    if _postgres(session):
        return [column == any_(bindparam(None, values, type_=ARRAY(column.type)))]
    return [column.in_(values[start : start + 1000]) for start in range(0, len(values), 1000)]


def write_plan(session: Session, batch: Batch, plan: BatchPlan) -> None:
    """Envelopes, claims, cards and recipients' counts for a planned batch."""
    codes = [e.code for e in plan.envelopes]
    if _postgres(session):
        taken_query = text("SELECT code FROM envelopes WHERE code = ANY(CAST(:codes AS text[]))")
        taken = set(session.scalars(taken_query, {"codes": codes}))
    else:
        taken = set()
        for start in range(0, len(codes), 500):
            part = select(Envelope.code).where(Envelope.code.in_(codes[start : start + 500]))
            taken.update(session.scalars(part))
    if taken:
        renew_codes(plan, taken)
    envelope_ids = _insert_envelopes(session, batch.id, plan)
    cards: list[int] = []
    envelopes: list[int] = []
    positions: list[int] = []
    recipients: list[int] = []
    for envelope_id, planned in zip(envelope_ids, plan.envelopes, strict=True):
        for position, card_id in enumerate(planned.card_ids, start=1):
            cards.append(card_id)
            envelopes.append(envelope_id)
            positions.append(position)
            recipients.append(planned.recipient_id)
    try:
        # The primary key on card_claims.card_id is the last word: a card claimed twice fails
        # the whole transaction, so it can never sit in two batches.
        if _postgres(session):
            session.execute(
                text(
                    "INSERT INTO card_claims (card_id, batch_id)"
                    " SELECT unnest(CAST(:cards AS integer[])), :batch"
                ),
                {"cards": cards, "batch": batch.id},
            )
        else:
            session.execute(
                _table(CardClaim).insert(), [{"card_id": c, "batch_id": batch.id} for c in cards]
            )
    except IntegrityError as exc:
        raise ClaimConflict("another batch claimed some of these cards; try again") from exc
    _move_cards(session, batch.id, cards, envelopes, positions, recipients)
    _count_assigned(session, plan.cards_per_recipient())


def _insert_envelopes(session: Session, batch_id: int, plan: BatchPlan) -> list[int]:
    """Insert the plan's envelopes in order; their ids, in the plan's order."""
    if _postgres(session):
        rows = session.execute(
            text(
                "INSERT INTO envelopes (batch_id, recipient_id, code, position, card_count)"
                " SELECT :batch, m.recipient, m.code, m.position, m.count"
                " FROM unnest(CAST(:recipients AS integer[]), CAST(:codes AS text[]),"
                " CAST(:positions AS integer[]), CAST(:counts AS integer[]))"
                " AS m(recipient, code, position, count)"
                " RETURNING id, position"
            ),
            {
                "batch": batch_id,
                "recipients": [e.recipient_id for e in plan.envelopes],
                "codes": [e.code for e in plan.envelopes],
                "positions": list(range(1, len(plan.envelopes) + 1)),
                "counts": [len(e.card_ids) for e in plan.envelopes],
            },
        ).all()
        by_position = {position: envelope_id for envelope_id, position in rows}
        return [by_position[n] for n in range(1, len(plan.envelopes) + 1)]
    table = _table(Envelope)
    return list(
        session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {
                    "batch_id": batch_id,
                    "recipient_id": e.recipient_id,
                    "code": e.code,
                    "position": position,
                    "card_count": len(e.card_ids),
                }
                for position, e in enumerate(plan.envelopes, start=1)
            ],
        )
    )


def _move_cards(
    session: Session,
    batch_id: int,
    cards: list[int],
    envelopes: list[int],
    positions: list[int],
    recipients: list[int],
) -> None:
    """Put the claimed cards in their envelopes."""
    if _postgres(session):
        session.execute(
            text(
                "UPDATE cards SET status = :status, batch_id = :batch,"
                " envelope_id = m.envelope, position_in_envelope = m.position,"
                " recipient_id = m.recipient"
                " FROM unnest(CAST(:cards AS integer[]), CAST(:envelopes AS integer[]),"
                " CAST(:positions AS integer[]), CAST(:recipients AS integer[]))"
                " AS m(card, envelope, position, recipient)"
                " WHERE cards.id = m.card"
            ),
            {
                "status": CardStatus.BATCHED.value,
                "batch": batch_id,
                "cards": cards,
                "envelopes": envelopes,
                "positions": positions,
                "recipients": recipients,
            },
        )
        return
    table = _table(Card)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("card"))
        .values(
            status=CardStatus.BATCHED,
            batch_id=batch_id,
            envelope_id=bindparam("envelope"),
            position_in_envelope=bindparam("position"),
            recipient_id=bindparam("recipient"),
        ),
        [
            {"card": c, "envelope": e, "position": p, "recipient": r}
            for c, e, p, r in zip(cards, envelopes, positions, recipients, strict=True)
        ],
    )


def _count_assigned(session: Session, added: dict[int, int]) -> None:
    """Add each recipient's new cards to her count."""
    ordered = sorted(added.items())
    if _postgres(session):
        session.execute(
            text(
                "UPDATE recipients SET cards_assigned = cards_assigned + m.added"
                " FROM unnest(CAST(:ids AS integer[]), CAST(:counts AS integer[]))"
                " AS m(id, added) WHERE recipients.id = m.id"
            ),
            {"ids": [rid for rid, _ in ordered], "counts": [n for _, n in ordered]},
        )
        return
    table = _table(Recipient)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("recipient"))
        .values(cards_assigned=table.c.cards_assigned + bindparam("added")),
        [{"recipient": rid, "added": n} for rid, n in ordered],
    )
