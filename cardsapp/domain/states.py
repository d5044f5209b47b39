"""A campaign's, a card's and a batch's states, and the one table of allowed moves for each.

Plain Python: the models store these enums, services move rows only through
`check_card_move` / `check_batch_move` (or the set of states `card_sources` gives a
set-based UPDATE), so the allowed moves are written once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Protocol


class CardStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    BATCHED = "batched"
    PRINTED = "printed"
    MAILED = "mailed"


class BatchStatus(enum.StrEnum):
    BUILDING = "building"
    READY = "ready"
    PRINTED = "printed"
    MAILED = "mailed"
    FAILED = "failed"


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    ARCHIVED = "archived"


class IllegalTransition(ValueError):
    """A card or batch cannot move from its state to the one asked for."""

    def __init__(self, current: str, wanted: str, kind: str = "card") -> None:
        self.current = str(current)
        self.wanted = str(wanted)
        super().__init__(f"a {self.current} {kind} cannot become {self.wanted}")


# submitted --approve--> approved --batch--> batched --> printed --> mailed
#     \--reject(reason)--> rejected
CARD_MOVES: Mapping[CardStatus, frozenset[CardStatus]] = {
    CardStatus.SUBMITTED: frozenset({CardStatus.APPROVED, CardStatus.REJECTED}),
    CardStatus.APPROVED: frozenset({CardStatus.BATCHED}),
    CardStatus.REJECTED: frozenset(),
    CardStatus.BATCHED: frozenset({CardStatus.PRINTED}),
    CardStatus.PRINTED: frozenset({CardStatus.MAILED}),
    CardStatus.MAILED: frozenset(),
}

# building --> ready --printer--> printed --addresser--> mailed; a build may fail.
BATCH_MOVES: Mapping[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.BUILDING: frozenset({BatchStatus.READY, BatchStatus.FAILED}),
    BatchStatus.READY: frozenset({BatchStatus.PRINTED}),
    BatchStatus.PRINTED: frozenset({BatchStatus.MAILED}),
    BatchStatus.MAILED: frozenset(),
    BatchStatus.FAILED: frozenset(),
}

# draft (staff only) --publish--> published (open between its dates) --close--> closed
#   --archive--> archived. A draft may be archived unused; a closed campaign may reopen.
CAMPAIGN_MOVES: Mapping[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.PUBLISHED, CampaignStatus.ARCHIVED}),
    CampaignStatus.PUBLISHED: frozenset({CampaignStatus.CLOSED}),
    CampaignStatus.CLOSED: frozenset({CampaignStatus.PUBLISHED, CampaignStatus.ARCHIVED}),
    CampaignStatus.ARCHIVED: frozenset(),
}

# What a batch's move does to its cards.
CARD_STATUS_FOR_BATCH: Mapping[BatchStatus, CardStatus] = {
    BatchStatus.PRINTED: CardStatus.PRINTED,
    BatchStatus.MAILED: CardStatus.MAILED,
}


class HasStatus(Protocol):
    status: CardStatus


def can_card_move(current: str, wanted: str) -> bool:
    """Whether the card table allows moving from `current` to `wanted`."""
    try:
        return CardStatus(wanted) in CARD_MOVES[CardStatus(current)]
    except ValueError:
        return False


def check_card_move(current: str, wanted: str) -> None:
    """Raise IllegalTransition unless the card table allows the move."""
    if not can_card_move(current, wanted):
        raise IllegalTransition(current, wanted)


def check_batch_move(current: str, wanted: str) -> None:
    """Raise IllegalTransition unless the batch table allows the move."""
    try:
        allowed = BatchStatus(wanted) in BATCH_MOVES[BatchStatus(current)]
    except ValueError:
        allowed = False
    if not allowed:
        raise IllegalTransition(current, wanted, kind="batch")


def can_campaign_move(current: str, wanted: str) -> bool:
    """Whether the campaign table allows moving from `current` to `wanted`."""
    try:
        return CampaignStatus(wanted) in CAMPAIGN_MOVES[CampaignStatus(current)]
    except ValueError:
        return False


def check_campaign_move(current: str, wanted: str) -> None:
    """Raise IllegalTransition unless the campaign table allows the move."""
    if not can_campaign_move(current, wanted):
        raise IllegalTransition(current, wanted, kind="campaign")


def card_sources(wanted: str) -> frozenset[CardStatus]:
    """Every state from which a card may move to `wanted`."""
    return frozenset(state for state, targets in CARD_MOVES.items() if wanted in targets)


def transition(card: HasStatus, to: CardStatus) -> None:
    """Move the card to `to`, or raise IllegalTransition and leave it as it was."""
    check_card_move(card.status, to)
    card.status = to
