"""Recipients: their addresses are sealed before they touch the database."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cardsapp.crypto import AddressBox, PostalAddress
from cardsapp.models import Campaign, Recipient
from cardsapp.render.labels_pdf import address_fits


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


# --- CSV import: every row checked first, then all of them added or none ------------------------

CSV_COLUMNS = (
    "public_label",
    "name",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "country",
)
REQUIRED_COLUMNS = ("public_label", "name", "address_line1", "city", "country")
MAX_FIELD_LENGTH = {"public_label": 200, "postcode": 20}
DEFAULT_MAX_FIELD = 120
MAX_IMPORT_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    """What is wrong on one line of the file (line 1 is the header); never the value itself."""

    line: int
    code: str  # missing | too_long | bad_characters | duplicate_label | header | encoding | ...
    column: str = ""
    recipient: str = ""  # the public label, for errors about one recipient's address

    def describe(self) -> str:
        """An English sentence for the command line (the web page translates the code)."""
        texts = {
            "missing": f"{self.column} is empty",
            "too_long": f"{self.column} is too long",
            "bad_characters": f"{self.column} holds invisible or control characters",
            "duplicate_label": "public_label is used by another recipient",
            "header": f"the header must be: {','.join(CSV_COLUMNS)}",
            "encoding": "the file is not UTF-8 text",
            "columns": "the line does not have 7 columns",
            "empty": "the file has no recipients",
            "too_many": f"more than {MAX_IMPORT_ROWS} recipients in one file",
            "label_overflow": f"the address of {self.recipient} does not fit on a label even "
            f"at the smallest readable size; shorten {self.column}",
        }
        return f"line {self.line}: {texts.get(self.code, self.code)}"


class ImportRefused(ValueError):
    """The file has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s); nothing imported")


def _bad_characters(value: str) -> bool:
    return any(unicodedata.category(c) in {"Cc", "Cf", "Co", "Cn", "Cs"} for c in value)


def parse_recipients_csv(
    data: bytes, existing_labels: Iterable[str] = ()
) -> list[tuple[str, PostalAddress]]:
    """Check a whole CSV file and return its rows, or raise ImportRefused listing every error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused([RowError(1, "encoding")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ImportRefused([RowError(1, "empty")]) from None
    if tuple(header) != CSV_COLUMNS:
        raise ImportRefused([RowError(1, "header")])
    seen = {label.strip().casefold() for label in existing_labels}
    rows: list[tuple[str, PostalAddress]] = []
    errors: list[RowError] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank lines are harmless
            if len(values) != len(CSV_COLUMNS):
                errors.append(RowError(line, "columns"))
                continue
            fields = {c: " ".join(v.split()) for c, v in zip(CSV_COLUMNS, values, strict=True)}
            row_errors = _check_row(line, fields, values)
            label_key = fields["public_label"].casefold()
            if not row_errors and label_key in seen:
                row_errors.append(RowError(line, "duplicate_label", "public_label"))
            seen.add(label_key)
            errors.extend(row_errors)
            if not row_errors:
                address = PostalAddress(**{c: fields[c] for c in CSV_COLUMNS[1:]})
                rows.append((fields["public_label"], address))
            if len(rows) + len(errors) > MAX_IMPORT_ROWS:
                raise ImportRefused([RowError(line, "too_many")])
    except csv.Error:
        errors.append(RowError(reader.line_num, "columns"))
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise ImportRefused([RowError(2, "empty")])
    return rows


def _check_row(line: int, fields: dict[str, str], raw: list[str]) -> list[RowError]:
    errors = []
    for column, raw_value in zip(CSV_COLUMNS, raw, strict=True):
        value = fields[column]
        if column in REQUIRED_COLUMNS and not value:
            errors.append(RowError(line, "missing", column))
        elif len(value) > MAX_FIELD_LENGTH.get(column, DEFAULT_MAX_FIELD):
            errors.append(RowError(line, "too_long", column))
        elif _bad_characters(raw_value.replace("\n", " ").replace("\t", " ")):
            errors.append(RowError(line, "bad_characters", column))
    if not errors:
        address = PostalAddress(**{c: fields[c] for c in CSV_COLUMNS[1:]})
        if not address_fits(address.lines()):
            longest = max(CSV_COLUMNS[1:], key=lambda c: len(fields[c]))
            errors.append(RowError(line, "label_overflow", longest, fields["public_label"]))
    return errors


def import_recipients(
    session: Session, box: AddressBox, campaign: Campaign, data: bytes
) -> list[Recipient]:
    """Add every recipient of a CSV file, or none (ImportRefused); the caller commits."""
    existing = session.scalars(
        select(Recipient.public_label).where(Recipient.campaign_id == campaign.id)
    ).all()
    rows = parse_recipients_csv(data, existing)
    return [add_recipient(session, box, campaign, label, address) for label, address in rows]


# --- pausing and caps ---------------------------------------------------------------------------


def find_recipient(session: Session, public_id: str) -> Recipient | None:
    """The recipient with this public id, if any."""
    return session.scalars(select(Recipient).where(Recipient.public_id == public_id)).first()


def list_recipients(session: Session, campaign_id: int) -> list[Recipient]:
    """A campaign's recipients in the order they were added."""
    return list(
        session.scalars(
            select(Recipient).where(Recipient.campaign_id == campaign_id).order_by(Recipient.id)
        )
    )


def set_paused(session: Session, recipient: Recipient, paused: bool) -> None:
    """Pause (nothing more is assigned to her, from now on) or resume a recipient."""
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
