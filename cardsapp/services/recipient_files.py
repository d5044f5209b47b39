"""Recipient lists as organisers have them: CSV from Excel or LibreOffice, and .xlsx.

Every row is checked before anything is stored; errors name the line and the column,
never the value (it may be an address).
"""

from __future__ import annotations

import csv
import enum
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cardsapp.crypto import PostalAddress
from cardsapp.render.labels_pdf import address_fits

COLUMNS = (
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
# Measured: 10,000 rows import in about 2 s (docs/operations.md); twice that still holds.
MAX_IMPORT_ROWS = 20_000
# A 20,000-row CSV with long Cyrillic lines is under 8 MB; an .xlsx of it is smaller.
MAX_FILE_BYTES = 8 * 1024 * 1024
# .xlsx is a zip of XML: bound what it unpacks to, and how much it may shrink (zip bombs).
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_XLSX_MEMBERS = 200
XLSX_MAGIC = b"PK\x03\x04"


class Encoding(enum.StrEnum):
    """What a CSV file's bytes are, as far as we accept them."""

    UTF8 = "utf-8"
    CP1251 = "cp1251"


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
            "header": f"the header must be: {','.join(COLUMNS)}",
            "encoding": "the file is not UTF-8 text",
            "cp1251": (
                "the file is in the Windows Cyrillic encoding (cp1251): save it as "
                '"CSV UTF-8" (Excel) or with character set "Unicode (UTF-8)" (LibreOffice), '
                "or import it again with --encoding cp1251"
            ),
            "columns": "the line does not have 7 columns",
            "empty": "the file has no recipients",
            "too_many": f"more than {MAX_IMPORT_ROWS} recipients in one file",
            "too_big": f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
            "not_xlsx": "the file is not a readable .xlsx workbook",
            "label_overflow": f"the address of {self.recipient} does not fit on a label even "
            f"at the smallest readable size; shorten {self.column}",
        }
        return f"line {self.line}: {texts.get(self.code, self.code)}"


class ImportRefused(ValueError):
    """The file has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s); nothing imported")

    @property
    def needs_encoding_choice(self) -> bool:
        """True when the file looks like cp1251 and could be converted if the admin says so."""
        return any(e.code == "cp1251" for e in self.errors)


def _refuse(code: str, line: int = 1) -> ImportRefused:
    return ImportRefused([RowError(line, code)])


def _bad_characters(value: str) -> bool:
    return any(unicodedata.category(c) in {"Cc", "Cf", "Co", "Cn", "Cs"} for c in value)


# --- from bytes to rows of text -----------------------------------------------------------------


def looks_like_xlsx(data: bytes) -> bool:
    """True for a zip file (an .xlsx workbook), whatever its name says."""
    return data.startswith(XLSX_MAGIC)


def _decode_csv(data: bytes, encoding: Encoding | None) -> str:
    if encoding is Encoding.CP1251:
        return data.decode("cp1251", errors="strict").removeprefix("\ufeff")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Excel's "Unicode text" (tab separated)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        raise _refuse("encoding") from None
    # Excel on a Russian or Belarusian Windows saves "CSV" in cp1251: most letters Cyrillic.
    letters = [c for c in text if c.isalpha()]
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    if letters and cyrillic * 5 >= len(letters):
        raise _refuse("cp1251")
    raise _refuse("encoding")


def _csv_rows(data: bytes, encoding: Encoding | None) -> Iterator[tuple[int, list[str]]]:
    text = _decode_csv(data, encoding)
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    offset = 0
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        # Excel's "sep=;" hint line: it names the separator and is not data.
        delimiter = first.strip()[4]
        offset = 1
    else:
        lines.seek(0)
        delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for values in reader:
            yield reader.line_num + offset, values
    except csv.Error:
        raise _refuse("columns", reader.line_num + offset) from None


def _check_xlsx_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refuse("not_xlsx") from None
    unpacked = sum(m.file_size for m in members)
    if (
        len(members) > MAX_XLSX_MEMBERS
        or unpacked > MAX_XLSX_UNPACKED
        or any(m.file_size > MAX_XLSX_RATIO * max(m.compress_size, 1024) for m in members)
    ):
        raise _refuse("too_big")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a postcode typed as a number comes back as 220000.0
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    _check_xlsx_zip(data)
    try:
        # read_only streams the sheet's XML instead of building every cell in memory.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a broken workbook
        raise _refuse("not_xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        # One column more than we need, so a row with an extra value is still noticed.
        for number, row in enumerate(
            sheet.iter_rows(max_col=len(COLUMNS) + 1, values_only=True), start=1
        ):
            yield number, [_cell_text(v) for v in row]
    except ImportRefused:
        raise
    except Exception:
        raise _refuse("not_xlsx") from None
    finally:
        workbook.close()


# --- checking rows ------------------------------------------------------------------------------


def _trim(values: list[str]) -> list[str]:
    # Spreadsheets pad rows with empty cells to the widest row: those are not columns.
    while len(values) > len(COLUMNS) and not values[-1].strip():
        values = values[:-1]
    return values


def parse_recipient_file(
    data: bytes,
    existing_labels: Iterable[str] = (),
    encoding: Encoding | None = None,
) -> list[tuple[str, PostalAddress]]:
    """Check a whole CSV or .xlsx file and return its rows, or raise ImportRefused."""
    if len(data) > MAX_FILE_BYTES:
        raise _refuse("too_big")
    rows_in = _xlsx_rows(data) if looks_like_xlsx(data) else _csv_rows(data, encoding)
    try:
        _, first = next(rows_in)
    except StopIteration:
        raise _refuse("empty") from None
    header = tuple(h.strip().lower() for h in _trim(first))
    if header != COLUMNS:
        raise _refuse("header")
    seen = {label.strip().casefold() for label in existing_labels}
    rows: list[tuple[str, PostalAddress]] = []
    errors: list[RowError] = []
    for line, raw in rows_in:
        values = _trim(raw)
        if not any(v.strip() for v in values):
            continue  # blank lines are harmless
        if len(rows) + len(errors) >= MAX_IMPORT_ROWS:
            raise _refuse("too_many", line)
        if len(values) != len(COLUMNS):
            errors.append(RowError(line, "columns"))
            continue
        fields = {c: " ".join(v.split()) for c, v in zip(COLUMNS, values, strict=True)}
        row_errors = _check_row(line, fields, values)
        label_key = fields["public_label"].casefold()
        if not row_errors and label_key in seen:
            row_errors.append(RowError(line, "duplicate_label", "public_label"))
        seen.add(label_key)
        errors.extend(row_errors)
        if not row_errors:
            address = PostalAddress(**{c: fields[c] for c in COLUMNS[1:]})
            rows.append((fields["public_label"], address))
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise _refuse("empty", 2)
    return rows


def check_fields(line: int, fields: dict[str, str]) -> list[RowError]:
    """Errors of one recipient's fields (label and address), as an import checks them."""
    clean = {c: " ".join(fields.get(c, "").split()) for c in COLUMNS}
    return _check_row(line, clean, [fields.get(c, "") for c in COLUMNS])


def _check_row(line: int, fields: dict[str, str], raw: list[str]) -> list[RowError]:
    errors = []
    for column, raw_value in zip(COLUMNS, raw, strict=True):
        value = fields[column]
        if column in REQUIRED_COLUMNS and not value:
            errors.append(RowError(line, "missing", column))
        elif len(value) > MAX_FIELD_LENGTH.get(column, DEFAULT_MAX_FIELD):
            errors.append(RowError(line, "too_long", column))
        elif _bad_characters(raw_value.replace("\n", " ").replace("\t", " ").replace("\r", " ")):
            errors.append(RowError(line, "bad_characters", column))
    if not errors:
        address = PostalAddress(**{c: fields[c] for c in COLUMNS[1:]})
        if not address_fits(address.lines()):
            longest = max(COLUMNS[1:], key=lambda c: len(fields[c]))
            errors.append(RowError(line, "label_overflow", longest, fields["public_label"]))
    return errors


# --- templates ----------------------------------------------------------------------------------

TEMPLATE_EXAMPLE = (
    "Mother of a prisoner, Example region",
    "Example Name",
    "1 Example Street",
    "flat 2",
    "Example City",
    "000000",
    "Example Country",
)


def template_csv() -> bytes:
    """A CSV template (UTF-8 with a BOM, so Excel opens Cyrillic correctly)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(TEMPLATE_EXAMPLE)
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """An .xlsx template with the header, one example row, and postcodes kept as text."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "recipients"
    sheet.append(list(COLUMNS))
    sheet.append(list(TEMPLATE_EXAMPLE))
    for column, width in zip("ABCDEFG", (36, 24, 28, 16, 18, 10, 16), strict=True):
        sheet.column_dimensions[column].width = width
    # Text format for the postcode column: leading zeros survive being typed in.
    sheet.column_dimensions["F"].number_format = "@"
    sheet["F2"].number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
