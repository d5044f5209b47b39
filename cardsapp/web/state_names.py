"""What staff pages call each state, in the reader's language: one mapping per enum.

Keyed by the enum, so a report's plain status strings find their name too (a StrEnum
member and its value are the same key).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from cardsapp.models import BatchStatus, CampaignStatus, CardStatus

CAMPAIGN_STATUS_NAMES: Mapping[CampaignStatus, LazyString] = {
    CampaignStatus.DRAFT: _l("draft"),
    CampaignStatus.PUBLISHED: _l("published"),
    CampaignStatus.CLOSED: _l("closed"),
    CampaignStatus.ARCHIVED: _l("archived"),
}
CARD_STATUS_NAMES: Mapping[CardStatus, LazyString] = {
    CardStatus.SUBMITTED: _l("waiting for moderation"),
    CardStatus.APPROVED: _l("approved"),
    CardStatus.REJECTED: _l("rejected"),
    CardStatus.BATCHED: _l("in a batch"),
    CardStatus.PRINTED: _l("printed"),
    CardStatus.MAILED: _l("mailed"),
}
BATCH_STATUS_NAMES: Mapping[BatchStatus, LazyString] = {
    BatchStatus.BUILDING: _l("building"),
    BatchStatus.READY: _l("ready to print"),
    BatchStatus.PRINTED: _l("printed"),
    BatchStatus.MAILED: _l("mailed"),
    BatchStatus.FAILED: _l("failed"),
}


def state_names() -> dict[str, object]:
    """The mappings, for templates: `state_names.card[status]`."""
    return {
        "state_names": {
            "campaign": CAMPAIGN_STATUS_NAMES,
            "card": CARD_STATUS_NAMES,
            "batch": BATCH_STATUS_NAMES,
        }
    }
