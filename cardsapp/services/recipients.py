"""Recipients: their addresses are sealed before they touch the database."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cardsapp.crypto import AddressBox, PostalAddress
from cardsapp.models import Campaign, Recipient


def add_recipient(
    session: Session,
    box: AddressBox,
    campaign: Campaign,
    public_label: str,
    address: PostalAddress,
) -> Recipient:
    """Store a recipient with her address encrypted; the caller commits."""
    recipient = Recipient(
        campaign_id=campaign.id,
        public_label=public_label.strip(),
        address_token=box.seal(address),
    )
    session.add(recipient)
    session.flush()
    return recipient
