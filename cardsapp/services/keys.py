"""Address key rotation: re-encrypt every address under the current key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cardsapp.crypto import AddressBox
from cardsapp.models import Recipient


@dataclass(frozen=True)
class RotationStep:
    rotated: int
    last_id: int


def rotate_address_batch(
    session: Session, box: AddressBox, after_id: int = 0, batch_size: int = 500
) -> RotationStep:
    """Re-encrypt up to batch_size addresses with id > after_id; the caller commits."""
    rows = session.execute(
        select(Recipient.id, Recipient.address_token)
        .where(Recipient.id > after_id, Recipient.address_token.is_not(None))
        .order_by(Recipient.id)
        .limit(batch_size)
    ).all()
    for recipient_id, token in rows:
        session.execute(
            update(Recipient)
            .where(Recipient.id == recipient_id)
            .values(address_token=box.rotate(bytes(token)))
        )
    return RotationStep(rotated=len(rows), last_id=rows[-1][0] if rows else after_id)
