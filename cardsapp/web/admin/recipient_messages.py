"""What is wrong with a recipient file or address, in the admin's language."""

from __future__ import annotations

from flask_babel import gettext as _

from cardsapp.services.recipient_files import MAX_FILE_BYTES, MAX_IMPORT_ROWS, RowError


def column_name(column: str) -> str:
    """A column's name for people, with the header word it stands for."""
    names = {
        "public_label": _("public label"),
        "name": _("name"),
        "address_line1": _("address line 1"),
        "address_line2": _("address line 2"),
        "city": _("city"),
        "postcode": _("postcode"),
        "country": _("country"),
    }
    return f"{names.get(column, column)} ({column})"


def import_error_text(error: RowError, with_line: bool = True) -> str:
    """One error of an import (or of an address form), naming the line and the field."""
    problems = {
        "missing": _("it is empty"),
        "too_long": _("it is too long"),
        "bad_characters": _("it holds invisible or control characters"),
        "duplicate_label": _("the public label is already used by another recipient"),
        "header": _(
            "the first line must be: "
            "public_label,name,address_line1,address_line2,city,postcode,country"
        ),
        "encoding": _("the file is not UTF-8 text"),
        "cp1251": _(
            "the file is in the Windows Cyrillic encoding (Windows-1251), not UTF-8. "
            'In Excel, use "Save as" and choose "CSV UTF-8 (comma delimited)"; in LibreOffice, '
            'tick "Edit filter settings" when saving and choose "Unicode (UTF-8)". '
            "Or tick the box below to have it converted."
        ),
        "columns": _("the line does not have 7 columns"),
        "empty": _("the file has no recipients"),
        "too_many": _("too many recipients in one file (at most %(num)d)", num=MAX_IMPORT_ROWS),
        "too_big": _(
            "the file is too large (at most %(num)d MB)", num=MAX_FILE_BYTES // (1024 * 1024)
        ),
        "not_xlsx": _("the file is not a readable .xlsx workbook"),
    }
    if error.code == "label_overflow":
        problems["label_overflow"] = _(
            "the address of %(recipient)s does not fit on a label even at the smallest "
            "readable size; shorten it",
            recipient=error.recipient,
        )
    problem = problems.get(error.code, error.code)
    if not with_line:
        return problem[:1].upper() + problem[1:] + "."
    if error.column and error.code != "duplicate_label":
        return _(
            "Line %(line)d, %(field)s: %(problem)s",
            line=error.line,
            field=column_name(error.column),
            problem=problem,
        )
    return _("Line %(line)d: %(problem)s", line=error.line, problem=problem)
