"""A donor's card: check a draft (the same checks for preview and submit) and store it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from cardsapp.domain.flags import flag_message
from cardsapp.domain.layout import Layout, guess_language
from cardsapp.domain.text import (
    MessageError,
    MessageRules,
    validate_message,
    validate_signature,
)
from cardsapp.models import Campaign, Card, CardStatus, Recipient, random_code, utcnow
from cardsapp.render.card import layout_card
from cardsapp.render.designs import Design
from cardsapp.services.campaigns import CampaignPhase, campaign_phase
from cardsapp.services.counter import add_participant_card, count_card, participant_hash

ANY_RECIPIENT = "any"
FIELDS = ("design", "message", "signature", "recipient")
# A moderator's flag on a card whose text an earlier card of the campaign already had.
DUPLICATE_FLAG = "duplicate"
DUPLICATE_WINDOW = timedelta(days=1)
_DRAFT_TOKEN_ALPHABET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)


class InvalidChoice(MessageError):
    """A design or recipient that is not on offer (a stale page or a forged form)."""

    code = "invalid_choice"

    def __init__(self, field: str) -> None:
        super().__init__(field)


class WritingClosed(Exception):
    """The campaign is not open for writing (not yet, or no longer)."""

    def __init__(self, phase: CampaignPhase) -> None:
        self.phase = phase
        super().__init__(phase.value)


class DraftRefused(Exception):
    """One refusal per field, so that the donor sees every problem at once."""

    def __init__(self, errors: Mapping[str, MessageError]) -> None:
        self.errors = dict(errors)
        super().__init__(", ".join(f"{f}:{e.code}" for f, e in self.errors.items()))


@dataclass(frozen=True)
class Draft:
    """What the donor typed and chose, as sent by the form."""

    design: str
    message: str
    signature: str = ""
    recipient: str = ANY_RECIPIENT
    # Random, made with the writing page: every send of one draft carries the same one.
    token: str = ""


@dataclass(frozen=True)
class CheckedDraft:
    """A draft that passed every check: normalised text that fits its design."""

    design: Design
    message: str
    signature: str
    recipient: Recipient | None
    layout: Layout  # as it prints: a preview draws this rather than laying the text out again


@dataclass(frozen=True)
class Submission:
    reference: str  # the card's public code, for the donor's thank-you page
    new_participant: bool
    repeated: bool = False  # this draft had been sent before: the first card, nothing stored


def is_draft_token(token: str) -> bool:
    """A token the writing page could have made (urlsafe, 16 to 64 characters)."""
    return 16 <= len(token) <= 64 and set(token) <= _DRAFT_TOKEN_ALPHABET


def sent_card_reference(session: Session, draft_token: str, secret_key: str) -> str | None:
    """The reference of the card already sent from this draft, if one was."""
    if not is_draft_token(draft_token):
        return None
    key = _keyed_hash(secret_key, "draft", draft_token)
    return session.scalar(select(Card.reference).where(Card.draft_key == key))


def draft_digest(secret_key: str, draft: Draft) -> str:
    """A keyed hash of what a draft says and chooses: design, text and recipient.

    Not the signature: browsers do not restore it on Back (autocomplete is off, so that a
    name is never offered to the next person using the phone), and not the token.
    """
    fields = (draft.design, draft.message, draft.recipient)
    return _keyed_hash(secret_key, "sent", "\x1f".join(fields))[:16]


def _keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def text_key(secret_key: str, campaign_id: int, message: str) -> str:
    """A keyed hash of a message as moderators would compare it: case and spacing ignored."""
    return _keyed_hash(secret_key, f"text:{campaign_id}", " ".join(message.casefold().split()))


def offered_designs(campaign: Campaign, available: Mapping[str, Design]) -> list[Design]:
    """The campaign's designs in display order (an empty list offers them all)."""
    if not campaign.designs:
        return list(available.values())
    wanted = set(campaign.designs)
    return [design for slug, design in available.items() if slug in wanted]


def public_recipients(session: Session, campaign: Campaign) -> list[tuple[str, str]]:
    """(public_id, public_label) of the campaign's active recipients; nothing else leaves."""
    rows = session.execute(
        select(Recipient.public_id, Recipient.public_label)
        .where(Recipient.campaign_id == campaign.id, Recipient.paused.is_(False))
        .order_by(Recipient.id)
    )
    return [(public_id, label) for public_id, label in rows]


SHORT_LIST = 20


def recipient_choices(
    session: Session, campaign: Campaign, search: str = "", chosen: str = ""
) -> list[tuple[str, str]]:
    """A short list of active recipients for the writing page, never all of them.

    Without a search: those who have been given the fewest cards so far (nobody is
    forgotten). With one: labels containing it, case ignored. The chosen one is kept.
    """
    query = select(Recipient.public_id, Recipient.public_label).where(
        Recipient.campaign_id == campaign.id, Recipient.paused.is_(False)
    )
    words = " ".join(search.split()).casefold()[:100]
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Recipient.label_search.like(pattern, escape="\\"))
        query = query.order_by(Recipient.public_label, Recipient.id)
    else:
        query = query.order_by(Recipient.cards_assigned, Recipient.id)
    rows = [(public_id, label) for public_id, label in session.execute(query.limit(SHORT_LIST))]
    if chosen and chosen != ANY_RECIPIENT and all(public_id != chosen for public_id, _ in rows):
        kept = _active_recipient(session, campaign, chosen)
        if kept is not None:
            rows.insert(0, (kept.public_id, kept.public_label))
    return rows


def check_draft(
    session: Session, campaign: Campaign, draft: Draft, available: Mapping[str, Design]
) -> CheckedDraft:
    """Validate a draft exactly as a submit would; raise DraftRefused naming each bad field."""
    errors: dict[str, MessageError] = {}
    designs = {d.slug: d for d in offered_designs(campaign, available)}
    design = designs.get(draft.design)
    if design is None:
        errors["design"] = InvalidChoice("design")
    recipient = None
    if draft.recipient != ANY_RECIPIENT:
        recipient = _active_recipient(session, campaign, draft.recipient)
        if recipient is None:
            errors["recipient"] = InvalidChoice("recipient")
    message = signature = ""
    try:
        message = validate_message(
            draft.message, MessageRules(max_graphemes=campaign.max_message_length)
        )
    except MessageError as error:
        errors["message"] = error
    try:
        signature = validate_signature(draft.signature)
    except MessageError as error:
        errors["signature"] = error
    layout = None
    if design is not None and "message" not in errors and "signature" not in errors:
        try:
            layout = layout_card(design, message, signature)
        except MessageError as error:
            errors[error.field] = error
    if errors:
        raise DraftRefused(errors)
    assert design is not None and layout is not None
    return CheckedDraft(design, message, signature, recipient, layout)


def _active_recipient(session: Session, campaign: Campaign, public_id: str) -> Recipient | None:
    if not public_id or len(public_id) > 16:
        return None
    return session.scalars(
        select(Recipient).where(
            Recipient.public_id == public_id,
            Recipient.campaign_id == campaign.id,
            Recipient.paused.is_(False),
        )
    ).first()


def submit_card(
    session: Session,
    campaign: Campaign,
    draft: Draft,
    available: Mapping[str, Design],
    *,
    browser_token: str,
    secret_key: str,
    now: datetime | None = None,
) -> Submission:
    """Check and store a card (submitted, with its flags) and count it; the caller commits.

    A draft sent again (Back and Send, a double tap, a retry) answers with its first card
    and stores nothing. Two sends of one draft at the same instant: the second fails on
    the unique draft key (IntegrityError); the caller rolls back and asks
    sent_card_reference.
    """
    earlier = sent_card_reference(session, draft.token, secret_key)
    if earlier is not None:
        return Submission(earlier, new_participant=False, repeated=True)
    phase = campaign_phase(campaign, now)
    if phase is not CampaignPhase.OPEN:
        raise WritingClosed(phase)
    checked = check_draft(session, campaign, draft, available)
    reference = random_code()
    sender = add_participant_card(session, campaign.id, participant_hash(secret_key, browser_token))
    moment = now or utcnow()
    same_text = text_key(secret_key, campaign.id, checked.message)
    flags = card_flags(checked.message, checked.signature, campaign.watch_words)
    first = _first_with_text(session, campaign.id, same_text, moment - DUPLICATE_WINDOW)
    if first is not None:
        flags.append({"kind": DUPLICATE_FLAG, "field": "message", "detail": first})
    # One INSERT, without the ORM's unit of work: it cost more than the statement itself,
    # and nothing here needs the card as an object.
    session.connection().execute(
        insert(cast(Table, Card.__table__)).values(
            reference=reference,
            campaign_id=campaign.id,
            design_slug=checked.design.slug,
            message=checked.message,
            signature=checked.signature or None,
            recipient_id=checked.recipient.id if checked.recipient else None,
            recipient_chosen=checked.recipient is not None,
            status=CardStatus.SUBMITTED,
            flags=flags,
            language=guess_language(checked.message),
            # To the minute, what moderation shows: a moment to the microsecond could be
            # matched against a provider's connection records (docs/threat-model.md).
            submitted_at=utcnow().replace(second=0, microsecond=0),
            participant_id=sender.participant_id,
            draft_key=_keyed_hash(secret_key, "draft", draft.token)
            if is_draft_token(draft.token)
            else None,
            text_key=same_text,
        )
    )
    count_card(session, campaign.id, new_participant=sender.new)
    return Submission(reference, sender.new)


def _first_with_text(session: Session, campaign_id: int, key: str, since: datetime) -> str | None:
    """The reference of the campaign's first recent card with this text: the group's name."""
    return session.scalar(
        select(Card.reference)
        .where(Card.campaign_id == campaign_id, Card.text_key == key, Card.submitted_at >= since)
        .order_by(Card.id)
        .limit(1)
    )


def card_flags(message: str, signature: str, watch_words: list[str]) -> list[dict[str, object]]:
    """Automatic flags for moderators: kind, field and span; never a copy of the text."""
    flags: list[dict[str, object]] = []
    for field, text in (("message", message), ("signature", signature)):
        for flag in flag_message(text, watch_words):
            flags.append(
                {
                    "kind": flag.kind.value,
                    "field": field,
                    "start": flag.start,
                    "end": flag.end,
                    "detail": flag.detail,
                }
            )
    return flags
