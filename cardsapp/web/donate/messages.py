"""The domain's refusals as sentences in the donor's language, one per field."""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _
from flask_babel import ngettext

from cardsapp.domain.text import MessageError
from cardsapp.services.submissions import DraftRefused

_INVISIBLE_SPACES = frozenset("\u200b\u2060\ufeff\u180e")
_DIRECTION_MARKS = frozenset("\u200e\u200f\u061c") | frozenset(map(chr, range(0x202A, 0x202F)))
_DIRECTION_MARKS |= frozenset(map(chr, range(0x2066, 0x206A)))
# Characters shown to the donor are quoted; invisible ones are named instead.
_QUOTE = "«{}»"


def _chars(chars: object) -> str:
    return ", ".join(_QUOTE.format(c) for c in (chars or ()))  # type: ignore[attr-defined]


def describe_character(char: str) -> str:
    """An invisible or special character named in the donor's language, with its code."""
    code = f"U+{ord(char):04X}"
    if char in _INVISIBLE_SPACES:
        return _("an invisible space (%(code)s)", code=code)
    if char in _DIRECTION_MARKS:
        return _("a hidden text-direction mark (%(code)s)", code=code)
    category = unicodedata.category(char)
    if category == "Cf":
        return _("an invisible formatting character (%(code)s)", code=code)
    if category == "Cc":
        return _("a control character (%(code)s)", code=code)
    if category.startswith("Z"):
        return _("an unusual space (%(code)s)", code=code)
    return _("a character that cannot be printed (%(code)s)", code=code)


def error_sentence(error: MessageError) -> str:
    """One clear sentence for a refusal, in the current language."""
    data = error.data
    signature = error.field == "signature"
    code = error.code
    if code == "empty":
        return _("Please write a few words.")
    if code == "too_long":
        # Said as the live counter says it: how many over the limit, and the limit.
        over = int(data["length"]) - int(data["limit"])  # type: ignore[call-overload]
        if signature:
            return ngettext(
                "The signature is %(num)d character over the limit of %(limit)d.",
                "The signature is %(num)d characters over the limit of %(limit)d.",
                over,
                limit=data["limit"],
            )
        return ngettext(
            "The text is %(num)d character over the limit of %(limit)d. Please shorten it.",
            "The text is %(num)d characters over the limit of %(limit)d. Please shorten it.",
            over,
            limit=data["limit"],
        )
    if code == "too_many_lines":
        if signature:
            return _("The signature must fit on one line.")
        return ngettext(
            "The text has too many lines: a card holds at most %(num)d.",
            "The text has too many lines: a card holds at most %(num)d.",
            int(data["limit"]),  # type: ignore[call-overload]
        )
    if code == "word_too_long":
        return ngettext(
            "One word is longer than %(num)d character; please shorten it or add spaces.",
            "One word is longer than %(num)d characters; please shorten it or add spaces.",
            int(data["limit"]),  # type: ignore[call-overload]
        )
    if code == "forbidden_characters":
        chars: tuple[str, ...] = tuple(data.get("chars") or ())  # type: ignore[arg-type]
        return _(
            "Please remove these invisible or special characters: %(names)s.",
            names=", ".join(describe_character(c) for c in chars),
        )
    if code == "too_many_marks":
        return _(
            "One letter carries too many accents (at most %(num)d fit on a letter). Please "
            "remove the extra ones.",
            num=data["limit"],
        )
    if code == "missing_glyphs":
        missing: tuple[str, ...] = tuple(data.get("chars") or ())  # type: ignore[arg-type]
        return ngettext(
            "The card's font cannot print this character: %(chars)s. Please remove it.",
            "The card's font cannot print these characters: %(chars)s. Please remove them.",
            len(missing),
            chars=_chars(missing),
        )
    if code == "too_long_for_design":
        cut = int(data["cut"])  # type: ignore[call-overload]
        if signature:
            return ngettext(
                "The signature does not fit on this card: shorten it by about %(num)d character.",
                "The signature does not fit on this card: shorten it by about %(num)d characters.",
                cut,
            )
        return ngettext(
            "The text does not fit on this card: shorten it by about %(num)d character, "
            "or remove blank lines.",
            "The text does not fit on this card: shorten it by about %(num)d characters, "
            "or remove blank lines.",
            cut,
        )
    if code == "invalid_choice":
        if error.field == "design":
            return _("Please choose one of the designs shown.")
        return _("Please choose a recipient from the list.")
    return _("Please check what you wrote.")


def sentences(refused: DraftRefused) -> dict[str, str]:
    """Every field's refusal as a sentence, by field name."""
    return {field: error_sentence(error) for field, error in refused.errors.items()}
