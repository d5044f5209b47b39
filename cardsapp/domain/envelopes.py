"""Which approved cards go into a batch, to whom, and in which envelope.

Plain Python: the claim service reads the rows, this module decides, the service writes.

- Cards are taken oldest first.
- A card whose donor chose a recipient goes to her, if she is active, not paused and
  within her caps; otherwise it waits for a later batch.
- An "any recipient" card goes to the active, unpaused recipient who has received the
  fewest cards so far (counting this batch), within her caps: nobody is forgotten.
- One envelope per recipient per batch; envelopes in the order of their oldest card.
"""

from __future__ import annotations

import heapq
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Crockford-style alphabet without look-alikes (0/O, 1/I/L), for every public code (cards,
# batches, envelopes, recipients): codes are read off paper by tired volunteers.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
ENVELOPE_CODE_LENGTH = 6


@dataclass(frozen=True)
class CandidateCard:
    """An approved, unbatched card: its id and the recipient its donor chose (or None)."""

    id: int
    recipient_id: int | None


@dataclass(frozen=True)
class RecipientState:
    """What fairness and caps need to know about one recipient."""

    id: int
    assigned: int  # cards given to her so far in the campaign
    cap_per_batch: int
    cap_per_campaign: int
    paused: bool = False


@dataclass
class EnvelopePlan:
    """One recipient's envelope: her cards, oldest first."""

    recipient_id: int
    code: str
    card_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class BatchPlan:
    """The decision: envelopes in order, and how many cards each recipient received."""

    envelopes: tuple[EnvelopePlan, ...]

    @property
    def card_count(self) -> int:
        """Cards taken into the batch."""
        return sum(len(e.card_ids) for e in self.envelopes)

    def cards_per_recipient(self) -> dict[int, int]:
        """How many cards each recipient gets in this batch."""
        return {e.recipient_id: len(e.card_ids) for e in self.envelopes}


class _Ledger:
    """Counts per recipient in this batch, and who can still receive a card."""

    def __init__(self, recipients: Iterable[RecipientState]) -> None:
        self.states = {r.id: r for r in recipients}
        self.in_batch: dict[int, int] = dict.fromkeys(self.states, 0)
        # (cards so far, id): the least-served first, ties to the longest-known recipient.
        self.heap = [(r.assigned, r.id) for r in self.states.values() if self.has_room(r.id)]
        heapq.heapify(self.heap)

    def has_room(self, recipient_id: int) -> bool:
        state = self.states.get(recipient_id)
        if state is None or state.paused:
            return False
        taken = self.in_batch[recipient_id]
        return taken < state.cap_per_batch and state.assigned + taken < state.cap_per_campaign

    def total(self, recipient_id: int) -> int:
        return self.states[recipient_id].assigned + self.in_batch[recipient_id]

    def give(self, recipient_id: int) -> None:
        self.in_batch[recipient_id] += 1
        if self.has_room(recipient_id):
            heapq.heappush(self.heap, (self.total(recipient_id), recipient_id))

    def least_served(self) -> int | None:
        """The recipient with room and the fewest cards; None when everyone is full."""
        while self.heap:
            total, recipient_id = self.heap[0]
            if not self.has_room(recipient_id) or total != self.total(recipient_id):
                heapq.heappop(self.heap)  # stale entry: her count moved on, or she is full
                continue
            return recipient_id
        return None


def plan_batch(
    candidates: Iterable[CandidateCard],
    recipients: Iterable[RecipientState],
    max_cards: int,
    new_code: Callable[[], str] | None = None,
) -> BatchPlan:
    """Choose up to `max_cards` cards (oldest first), assign recipients, group into envelopes."""
    ledger = _Ledger(recipients)
    make_code = new_code or envelope_code
    envelopes: dict[int, EnvelopePlan] = {}
    used_codes: set[str] = set()
    taken = 0
    for card in candidates:
        if taken >= max_cards:
            break
        if card.recipient_id is not None:
            recipient_id: int | None = card.recipient_id
            if not ledger.has_room(card.recipient_id):
                continue  # paused or full: the card waits for her next batch
        else:
            recipient_id = ledger.least_served()
            if recipient_id is None:
                continue  # every recipient is full: the card waits
        assert recipient_id is not None
        ledger.give(recipient_id)
        envelope = envelopes.get(recipient_id)
        if envelope is None:
            code = make_code()
            while code in used_codes:
                code = make_code()
            used_codes.add(code)
            envelope = envelopes[recipient_id] = EnvelopePlan(recipient_id, code)
        envelope.card_ids.append(card.id)
        taken += 1
    return BatchPlan(tuple(envelopes.values()))


def random_code(length: int = 8) -> str:
    """A random, non-sequential public code."""
    # One draw from the operating system's generator for the whole code, then its digits in
    # base len(CODE_ALPHABET): as uniform as a draw per character, and a claim of 20,000
    # envelopes draws 20,000 times rather than 120,000.
    base = len(CODE_ALPHABET)
    number = secrets.randbelow(base**length)
    characters = []
    for _ in range(length):
        number, digit = divmod(number, base)
        characters.append(CODE_ALPHABET[digit])
    return "".join(characters)


def envelope_code(length: int = ENVELOPE_CODE_LENGTH) -> str:
    """A random envelope code: it says nothing of the recipient or of the order."""
    return random_code(length)


def renew_codes(
    plan: BatchPlan, taken: set[str], new_code: Callable[[], str] | None = None
) -> None:
    """Give a fresh code to every envelope whose code is already `taken` elsewhere."""
    make_code = new_code or envelope_code
    mine = {e.code for e in plan.envelopes}
    for envelope in plan.envelopes:
        if envelope.code in taken:
            code = make_code()
            while code in taken or code in mine:
                code = make_code()
            mine.add(code)
            envelope.code = code


def routing_code(batch_code: str, envelope_code: str, index: int, count: int) -> str:
    """The small code printed on a card and its label: batch, envelope, card k of n."""
    return f"{batch_code} · {envelope_code} · {index}/{count}"
