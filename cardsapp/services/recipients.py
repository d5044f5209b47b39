"""Recipients: their addresses are sealed before they touch the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from cardsapp.crypto import PostalAddress
from cardsapp.crypto import address as sealing
from cardsapp.domain.envelopes import random_code
from cardsapp.models import Campaign, Erasure, Recipient, utcnow
from cardsapp.services.keyholders import OpenCampaignKey, campaign_public_key
from cardsapp.services.recipient_files import (
    Encoding,
    ImportRefused,
    RowError,
    parse_recipient_file,
)
from cardsapp.services.residue import ADDRESS_TABLES, scrub_after_delete

__all__ = ["Encoding", "ImportRefused", "RowError"]


# --- sealing and opening: the only place addresses are sealed to a key or opened ---------------


class AddressErased(LookupError):
    """The recipient's address was erased (consent withdrawn, or deleted)."""


def seal_address(session: Session, campaign_id: int, address: PostalAddress) -> bytes:
    """An address sealed to its campaign's public key (NoCampaignKey before it has one)."""
    return sealing.seal_address(campaign_public_key(session, campaign_id), address)


def open_address(key: OpenCampaignKey, recipient: Recipient) -> PostalAddress:
    """A recipient's address, opened with her campaign's key; AddressErased when there is none.

    The caller wipes it (PostalAddress.wipe) once used.
    """
    if recipient.address_token is None:
        raise AddressErased(recipient.public_id)
    return key.open(recipient.address_token)


def add_recipient(
    session: Session, campaign: Campaign, public_label: str, address: PostalAddress
) -> Recipient:
    """Store a recipient, her address sealed to the campaign's key; the caller commits."""
    recipient = Recipient(
        campaign_id=campaign.id,
        public_label=public_label.strip(),
        address_token=seal_address(session, campaign.id, address),
    )
    session.add(recipient)
    session.flush()
    return recipient


# --- import: every row checked first, then all of them added or none ----------------------------


def import_recipients(
    session: Session,
    campaign: Campaign,
    data: bytes,
    encoding: Encoding | None = None,
) -> int:
    """Add every recipient of a CSV or .xlsx file, or none (ImportRefused); the caller commits.

    Needs only the campaign's public key (NoCampaignKey before it has one).
    """
    public_key = campaign_public_key(session, campaign.id)
    existing = session.scalars(
        select(Recipient.public_label).where(Recipient.campaign_id == campaign.id)
    ).all()
    rows = parse_recipient_file(data, existing, encoding)
    # One multi-row INSERT per chunk, not one flush per recipient: 10,000 rows in seconds.
    values = [
        {
            "campaign_id": campaign.id,
            "public_id": random_code(10),
            "public_label": label,
            "label_search": label.casefold()[:200],
            "address_token": sealing.seal_address(public_key, address),
            "paused": False,
            "cards_assigned": 0,
            "created_at": utcnow(),
        }
        for label, address in rows
    ]
    for start in range(0, len(values), 1000):
        session.execute(insert(Recipient), values[start : start + 1000])
    return len(values)


# --- pausing and caps ---------------------------------------------------------------------------


def find_recipient(session: Session, public_id: str) -> Recipient | None:
    """The recipient with this public id, if any."""
    return session.scalars(select(Recipient).where(Recipient.public_id == public_id)).first()


PAGE_SIZE = 50


@dataclass(frozen=True)
class RecipientPage:
    """One page of a campaign's recipients, in the order they were added."""

    recipients: list[Recipient]
    next_after: int | None
    total: int


def page_recipients(
    session: Session,
    campaign_id: int,
    after_id: int = 0,
    search: str = "",
    limit: int = PAGE_SIZE,
) -> RecipientPage:
    """A page of recipients (keyset on id), optionally those whose label or id holds `search`."""
    # Deleted recipients are only counts now: they are not listed. Every condition here is
    # answered from ix_recipients_search alone (campaign, erasure, label): counting and
    # searching 10,000 recipients reads no table rows (bench/recipients.py).
    shown = (
        Recipient.campaign_id == campaign_id,
        or_(Recipient.erasure.is_(None), Recipient.erasure != Erasure.DELETED),
    )
    query = select(Recipient).where(*shown).order_by(Recipient.id).limit(limit + 1)
    if after_id:
        query = query.where(Recipient.id > after_id)
    search = " ".join(search.split())[:200]
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        by_label = select(Recipient.id).where(
            *shown, Recipient.label_search.like(pattern.casefold(), escape="\\")
        )
        by_id = select(Recipient.id).where(*shown, Recipient.public_id == search.upper())
        query = query.where(Recipient.id.in_(by_label.union(by_id).scalar_subquery()))
    found = list(session.scalars(query))
    more = len(found) > limit
    found = found[:limit]
    total = session.scalar(select(func.count()).select_from(Recipient).where(*shown)) or 0
    return RecipientPage(found, found[-1].id if more and found else None, total)


class RecipientErased(ValueError):
    """The recipient's address is erased: she cannot be resumed or edited."""


def set_paused(session: Session, recipient: Recipient, paused: bool) -> None:
    """Pause (nothing more is assigned to her, from now on) or resume a recipient."""
    if not paused and recipient.erasure is not None:
        raise RecipientErased(recipient.public_id)
    # Written at once with an UPDATE so that a batch being built sees it on its next read.
    session.execute(
        update(Recipient)
        .where(Recipient.id == recipient.id)
        .values(paused=paused)
        .execution_options(synchronize_session=False)
    )
    session.expire(recipient, ["paused"])


class CapError(ValueError):
    """A cap that is not a whole number from 0 to 10,000."""


def parse_cap(raw: str | None) -> int | None:
    """'' means no cap of her own (the campaign's applies); otherwise 0 to 10,000."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 10_000:
        raise CapError(raw)
    return int(raw)


def set_caps(recipient: Recipient, per_batch: int | None, per_campaign: int | None) -> None:
    """A recipient's own caps (None: the campaign's cap applies)."""
    recipient.cap_per_batch = per_batch
    recipient.cap_per_campaign = per_campaign


def effective_caps(recipient: Recipient, campaign: Campaign) -> tuple[int, int]:
    """The caps that apply to her: her own, else the campaign's."""
    per_batch = recipient.cap_per_batch
    per_campaign = recipient.cap_per_campaign
    return (
        campaign.cap_per_batch if per_batch is None else per_batch,
        campaign.cap_per_campaign if per_campaign is None else per_campaign,
    )


# --- editing and erasing ------------------------------------------------------------------------


def change_address(session: Session, recipient: Recipient, address: PostalAddress) -> None:
    """Replace a recipient's address, sealed again; the caller audits and commits."""
    if recipient.erasure is not None:
        raise RecipientErased(recipient.public_id)
    recipient.address_token = seal_address(session, recipient.campaign_id, address)
    session.flush()


def erase_recipient(session: Session, recipient: Recipient, why: Erasure) -> None:
    """Erase her address at once and pause her; her public id and counts stay.

    Consent withdrawn keeps her public label on the admin's list; deleted also blanks
    the label and takes her off the list. Envelopes already made for her keep their
    place in their batch; their labels say she was deleted. The caller commits and
    then calls clear_erased_residue().
    """
    values: dict[str, object] = {
        "address_token": None,
        "paused": True,
        "erasure": why,
        "erased_at": utcnow(),
    }
    if why is Erasure.DELETED:
        values["public_label"] = ""
        values["label_search"] = ""
    # One UPDATE at once, like pausing, so that a batch being built sees it on its next read.
    session.execute(
        update(Recipient)
        .where(Recipient.id == recipient.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.expire(recipient)


def clear_erased_residue(session: Session) -> bool:
    """Make erased addresses unreadable in the database files too; call after the commit.

    False when an older transaction kept them readable for now (see services/residue.py).
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return scrub_after_delete(engine, ADDRESS_TABLES)
