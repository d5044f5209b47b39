"""The card's states and the one table of moves (plain rules, no app needed)."""

from __future__ import annotations

import pytest

from cardsapp.domain.moderation import ReasonMissing, highlight, rejection_text
from cardsapp.domain.states import CARD_MOVES as TRANSITIONS
from cardsapp.domain.states import CardStatus, IllegalTransition, transition


class _Card:
    def __init__(self, status: CardStatus) -> None:
        self.status = status


def test_the_table_names_every_card_state_and_nothing_else():
    assert set(TRANSITIONS) == {s.value for s in CardStatus}
    assert all(t <= set(TRANSITIONS) for t in TRANSITIONS.values())


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (CardStatus.SUBMITTED, CardStatus.APPROVED),
        (CardStatus.SUBMITTED, CardStatus.REJECTED),
        (CardStatus.APPROVED, CardStatus.BATCHED),
        (CardStatus.BATCHED, CardStatus.PRINTED),
        (CardStatus.PRINTED, CardStatus.MAILED),
    ],
)
def test_a_card_moves_along_its_life(start, to):
    card = _Card(start)
    transition(card, to)
    assert card.status is to


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (CardStatus.REJECTED, CardStatus.APPROVED),
        (CardStatus.REJECTED, CardStatus.BATCHED),
        (CardStatus.SUBMITTED, CardStatus.BATCHED),
        (CardStatus.APPROVED, CardStatus.REJECTED),
        (CardStatus.MAILED, CardStatus.SUBMITTED),
    ],
)
def test_a_rejected_card_is_never_batched_and_no_state_is_skipped(start, to):
    card = _Card(start)
    with pytest.raises(IllegalTransition):
        transition(card, to)
    assert card.status is start


def test_a_rejection_reason_is_a_preset_and_other_needs_words():
    assert rejection_text("politics") == "politics"
    assert rejection_text("other", "  asks   to meet ") == "other: asks to meet"
    with pytest.raises(ReasonMissing):
        rejection_text("other", "   ")
    with pytest.raises(ReasonMissing):
        rejection_text("because")


def test_flagged_words_are_split_out_for_marking_even_with_stale_offsets():
    message = "Hi, see example.com and the protest."
    flags = [
        {"kind": "link", "start": 8, "end": 19},
        {"kind": "watch_word", "start": 500, "end": 507, "text": "protest"},
        {"kind": "bogus"},
    ]
    parts = [(s.text, s.kind) for s in highlight(message, flags)]
    assert parts == [
        ("Hi, see ", None),
        ("example.com", "link"),
        (" and the ", None),
        ("protest", "watch_word"),
        (".", None),
    ]
    assert "".join(t for t, _ in parts) == message
