"""Typed tables. Business rules live in domain/ and services/, not here."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from cardsapp.domain.envelopes import CODE_ALPHABET, random_code
from cardsapp.domain.states import BatchStatus, CampaignStatus, CardStatus
from cardsapp.extensions import Base

# The models store the domain's states and use its public codes.
__all__ = ["CODE_ALPHABET", "BatchStatus", "CampaignStatus", "CardStatus", "random_code"]


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(UTC)


class AwareDateTime(TypeDecorator[datetime]):
    """Store UTC, always return timezone-aware datetimes on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to an aware column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class BatchLayout(enum.StrEnum):
    HOME_A4 = "home_a4"
    HOME_LETTER = "home_letter"
    PRINT_SHOP = "print_shop"


class PrintFormat(enum.StrEnum):
    """What a campaign's cards are printed as."""

    FLAT = "flat"  # A6, one side (the design with the message)
    POSTCARD = "postcard"  # A6, the design with the message, and a back to post it by


class Erasure(enum.StrEnum):
    """Why a recipient's address was erased; her counts stay."""

    CONSENT_WITHDRAWN = "consent_withdrawn"
    DELETED = "deleted"


class Role(enum.StrEnum):
    MODERATOR = "moderator"
    PRINTER = "printer"
    ADDRESSER = "addresser"
    ADMIN = "admin"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native PG enum) so adding a state is a code change.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    # {"en": ..., "be": ..., "ru": ...}
    title: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    story: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    guidance: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    opens_at: Mapped[datetime] = mapped_column(AwareDateTime())
    closes_at: Mapped[datetime] = mapped_column(AwareDateTime())
    post_by: Mapped[date | None] = mapped_column(Date)
    max_message_length: Mapped[int] = mapped_column(Integer, default=600)
    watch_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    designs: Mapped[list[str]] = mapped_column(JSON, default=list)
    cap_per_batch: Mapped[int] = mapped_column(Integer, default=10)
    cap_per_campaign: Mapped[int] = mapped_column(Integer, default=50)
    print_format: Mapped[PrintFormat] = mapped_column(
        _enum(PrintFormat, "print_format"), default=PrintFormat.FLAT
    )
    back_text: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # a postcard's back
    # Counters kept as counters: reading them costs the same at any size.
    participants_count: Mapped[int] = mapped_column(Integer, default=0)
    cards_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    # A draft is seen by staff only; see domain/states.py for the moves.
    status: Mapped[CampaignStatus] = mapped_column(
        _enum(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT
    )
    # IANA zone in which dates are typed and shown (never bare UTC).
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Minsk")
    # Made by `cardsapp demo`: removed whole by `cardsapp demo --remove`.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


def _label_search(context: object) -> str:
    return str(context.get_current_parameters()["public_label"]).casefold()[:200]  # type: ignore[attr-defined]


class Recipient(Base):
    __tablename__ = "recipients"
    __table_args__ = (
        Index("ix_recipients_fair", "campaign_id", "paused", "cards_assigned"),
        # The admin's list pages in id order; its count and search read only this index.
        Index("ix_recipients_page", "campaign_id", "id"),
        Index("ix_recipients_search", "campaign_id", "erasure", "label_search"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=lambda: random_code(10))
    # What donors see, e.g. "Mother of a prisoner in Minsk region"; never the name.
    public_label: Mapped[str] = mapped_column(String(200))
    # The label case-folded in Python, for searching: SQLite's lower() knows only ASCII.
    label_search: Mapped[str] = mapped_column(String(200), default=_label_search, server_default="")
    # The JSON name and address sealed to the campaign's public key (cardsapp/crypto/address.py);
    # tokens from before campaign keys are Fernet, until `cardsapp migrate-addresses`. None once
    # erased.
    address_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    cap_per_batch: Mapped[int | None] = mapped_column(Integer)
    cap_per_campaign: Mapped[int | None] = mapped_column(Integer)
    cards_assigned: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    # Set when her address is erased (consent withdrawn, or deleted); she is paused then.
    erasure: Mapped[Erasure | None] = mapped_column(_enum(Erasure, "recipient_erasure"))
    erased_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    campaign: Mapped[Campaign] = relationship()


class Participant(Base):
    """A donor's browser, counted once: only a keyed hash of a random cookie."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("campaign_id", "token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    token_hash: Mapped[str] = mapped_column(String(64))
    # Cards of this browser that count: sent and not rejected. The browser is counted
    # while this is above zero (see services/counter.py for the rule).
    live_cards: Mapped[int] = mapped_column(Integer, default=1)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Comma-separated Role values; one account may hold several.
    roles_text: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated at logout and password change, so old session cookies die.
    session_token: Mapped[str] = mapped_column(
        String(43), default=lambda: secrets.token_urlsafe(32)
    )
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    label_offset_x_mm: Mapped[float] = mapped_column(default=0.0)
    label_offset_y_mm: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    # An invited account has no usable password until the invite link is used; only a
    # SHA-256 of the link's token is kept, so a database copy cannot accept an invite.
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Made by `cardsapp demo`: removed with the demo campaign.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # The hash of the last invite link used, so that opening it again says "already used".
    invite_used_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A deleted account keeps only its number (audit entries point at it); see accounts.py.
    deleted_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Wrong passwords from a browser this account has logged in from before are counted
    # apart, so that a stranger's guesses cannot lock the staff member out of her own.
    known_failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    known_locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # TOTP two-factor (RFC 6238): the base32 secret, when it was confirmed, the last time step
    # used (a code works once), and SHA-256 hashes of the unused recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles_text.split(",") if r)

    @roles.setter
    def roles(self, value: set[Role] | frozenset[Role]) -> None:
        self.roles_text = ",".join(sorted(Role(r).value for r in value))

    def has_role(self, *wanted: Role) -> bool:
        """True when the account holds any of the wanted roles (admins hold all)."""
        held = self.roles
        return Role.ADMIN in held or any(r in held for r in wanted)


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, default=random_code)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    status: Mapped[BatchStatus] = mapped_column(
        _enum(BatchStatus, "batch_status"), default=BatchStatus.BUILDING, index=True
    )
    layout: Mapped[BatchLayout] = mapped_column(
        _enum(BatchLayout, "batch_layout"), default=BatchLayout.HOME_A4
    )
    card_count: Mapped[int] = mapped_column(Integer, default=0)
    envelope_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    job_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts that raised an error; a job lost with its worker does not count here.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    printed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    mailed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Set when the job is enqueued and touched by the job as it works: a building batch
    # whose heartbeat has gone quiet lost its job (worker killed, Redis emptied).
    heartbeat_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class Envelope(Base):
    """One recipient's envelope in one batch; its code ties cards to a label."""

    __tablename__ = "envelopes"
    __table_args__ = (UniqueConstraint("batch_id", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True, default=lambda: random_code(6))
    position: Mapped[int] = mapped_column(Integer)
    card_count: Mapped[int] = mapped_column(Integer, default=0)


class Card(Base):
    __tablename__ = "cards"
    __table_args__ = (
        # The moderation queue and batching walk these in id order.
        Index("ix_cards_queue", "campaign_id", "status", "id"),
        # Approved cards not yet in a batch: what /batches counts and a claim walks, without
        # reading the hundreds of thousands already batched (see services/batches/claim.py).
        Index(
            "ix_cards_waiting",
            "campaign_id",
            "id",
            postgresql_where=text("status = 'approved' AND batch_id IS NULL"),
            sqlite_where=text("status = 'approved' AND batch_id IS NULL"),
        ),
        # Rejected cards whose text is still held: a purge with nothing due reads nothing.
        Index(
            "ix_cards_rejected_held",
            "decided_at",
            postgresql_where=text("status = 'rejected' AND message IS NOT NULL"),
            sqlite_where=text("status = 'rejected' AND message IS NOT NULL"),
        ),
        # A card sits at one place in one envelope, ever.
        UniqueConstraint("envelope_id", "position_in_envelope"),
        # Likely duplicates: the same text in the same campaign (services/submissions.py).
        Index("ix_cards_text_key", "campaign_id", "text_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True, default=random_code)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    design_slug: Mapped[str] = mapped_column(String(64))
    # Purged (set to None) after retention; only the counts remain.
    message: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(String(100))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    recipient_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[CardStatus] = mapped_column(
        _enum(CardStatus, "card_status"), default=CardStatus.SUBMITTED
    )
    flags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    rejection_reason: Mapped[str | None] = mapped_column(String(300))
    submitted_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    envelope_id: Mapped[int | None] = mapped_column(ForeignKey("envelopes.id"))
    position_in_envelope: Mapped[int | None] = mapped_column(Integer)
    # The sending browser, only while the card waits for review (a rejection then takes
    # the browser off the counter when it was its last card); dropped at the decision.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    # Keyed hashes (never the values): the donor's draft token, so that a second send of one
    # draft finds its card, and the normalised text, so that moderators see likely duplicates.
    # Both are forgotten with the text.
    draft_key: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)
    text_key: Mapped[str | None] = mapped_column(String(32))

    recipient: Mapped[Recipient | None] = relationship()


# The partial indexes' conditions, written as literals rather than bound parameters: a plan
# made for any parameter value (PostgreSQL's generic plans, SQLite's) could not use them.
# tests/integration/test_query_plans.py checks that the queries below use their index.
CARD_WAITING = and_(Card.status == literal_column("'approved'"), Card.batch_id.is_(None))
CARD_REJECTED_HELD = and_(Card.status == literal_column("'rejected'"), Card.message.is_not(None))


class CardClaim(Base):
    """A card's one and only place in a batch: the primary key makes a second claim fail."""

    __tablename__ = "card_claims"

    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)


class CampaignKey(Base):
    """A campaign's public key, in the clear: addresses are sealed to it."""

    __tablename__ = "campaign_keys"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class PersonalKey(Base):
    """A keyholder's own key pair; the private half wrapped under her password (Argon2id)."""

    __tablename__ = "personal_keys"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    time_cost: Mapped[int] = mapped_column(Integer)
    memory_kib: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class KeySlot(Base):
    """A campaign's private key, once per keyholder (sealed to her personal key) or for recovery.

    A keyholder's slot has a user and no salt; the recovery slot has no user and is wrapped
    under Argon2id of the recovery code.
    """

    __tablename__ = "key_slots"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary)
    time_cost: Mapped[int | None] = mapped_column(Integer)
    memory_kib: Mapped[int | None] = mapped_column(Integer)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


class AuditEvent(Base):
    """Who did what, when. Never a message text, address or e-mail."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_action_id", "action", "id"),
        # ?target= pages newest first through this index alone (services/audit.py).
        Index("ix_audit_target_id", "target", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class BatchFile(Base):
    """A built batch file (cards or packing PDF) in pieces: any web process can serve it,
    with only the database shared between the machine that built it and the one serving."""

    __tablename__ = "batch_files"

    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
