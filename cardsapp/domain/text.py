"""Normalise, validate and flag a donor's message.

Plain Python: no Flask, SQLAlchemy, RQ or Pillow. Every refusal is a `MessageError` with a
stable `code` and structured `data`, so that the web layer can say it in the donor's language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import regex

DEFAULT_MAX_GRAPHEMES = 600
DEFAULT_MAX_LINES = 25
DEFAULT_MAX_WORD_GRAPHEMES = 60
DEFAULT_MAX_SIGNATURE_GRAPHEMES = 60
# Limits count characters as they are drawn (grapheme clusters), so what one character may
# stack is bounded too: 'a' followed by 9,000 combining accents is one character that draws
# a column of ink hundreds of lines tall (a preview then took 170 MB and failed). Three marks
# on a letter cover every language we expect (Belarusian and Russian stress marks use one,
# Vietnamese two); a cluster of more than eight code points is no letter, and emoji
# sequences that long are refused by the font check anyway.
MAX_MARKS_PER_CHARACTER = 3
MAX_CODE_POINTS_PER_CHARACTER = 8


# --- errors -------------------------------------------------------------------------------------


class MessageError(ValueError):
    """A message (or signature) the service refuses; `code` is stable, `data` names the reason."""

    code = "invalid_message"

    def __init__(self, field: str = "message", **data: object) -> None:
        self.field = field
        self._data = data
        super().__init__(f"{self.code}: {field} {data!r}")

    @property
    def data(self) -> dict[str, object]:
        """Structured details for a translated sentence (always includes `field`)."""
        return {"field": self.field, **self._data}


class EmptyMessage(MessageError):
    """The message has nothing but whitespace."""

    code = "empty"

    def __init__(self, field: str = "message") -> None:
        super().__init__(field)


class MessageTooLong(MessageError):
    """More grapheme clusters (user-perceived characters) than the campaign allows."""

    code = "too_long"

    def __init__(self, limit: int, length: int, field: str = "message") -> None:
        self.limit = limit
        self.length = length
        super().__init__(field, limit=limit, length=length)


class TooManyLines(MessageError):
    """More lines than a card can reasonably hold."""

    code = "too_many_lines"

    def __init__(self, limit: int, lines: int, field: str = "message") -> None:
        self.limit = limit
        self.lines = lines
        super().__init__(field, limit=limit, lines=lines)


class WordTooLong(MessageError):
    """A single word longer than any real word (usually pasted garbage or a long link)."""

    code = "word_too_long"

    def __init__(self, limit: int, word: str, field: str = "message") -> None:
        self.limit = limit
        self.word = word
        super().__init__(field, limit=limit, word=word)


class ForbiddenCharacters(MessageError):
    """Invisible, control, bidi, private-use or unassigned characters."""

    code = "forbidden_characters"

    def __init__(self, chars: Sequence[str], field: str = "message") -> None:
        self.chars = tuple(chars)
        # Most of these characters are invisible, so the page shows their code point and name.
        self.names = tuple(describe_char(c) for c in self.chars)
        super().__init__(field, chars=self.chars, names=self.names)


class TooManyMarks(MessageError):
    """A character carrying more accents (combining marks) than any language puts on one."""

    code = "too_many_marks"

    def __init__(self, limit: int, char: str, field: str = "message") -> None:
        self.limit = limit
        self.char = char
        super().__init__(field, limit=limit, char=char[:MAX_CODE_POINTS_PER_CHARACTER])


class MissingGlyphs(MessageError):
    """Characters (grapheme clusters, e.g. emoji) that the card's font cannot draw."""

    code = "missing_glyphs"

    def __init__(self, chars: Sequence[str], field: str = "message") -> None:
        self.chars = tuple(chars)
        super().__init__(field, chars=self.chars)


def describe_char(char: str) -> str:
    """'U+200B ZERO WIDTH SPACE' for one code point, for messages about invisible characters."""
    name = unicodedata.name(char, "") if not 0xD800 <= ord(char) <= 0xDFFF else "SURROGATE"
    return f"U+{ord(char):04X} {name}".rstrip()


# --- normalisation ------------------------------------------------------------------------------

_GRAPHEME = regex.compile(r"\X")
_NEWLINES = regex.compile(r"\r\n|[\r\x85\u2028\u2029\x0b\x0c]")
# Horizontal spaces of every width become one plain space; U+00A0 (no-break space) is kept
# because Russian typography uses it on purpose before dashes and after short words.
_SPACES = regex.compile(r"[\t\u1680\u2000-\u200a\u202f\u205f\u3000 ]+")
_SOFT_HYPHEN = "\u00ad"
_BLANK_RUN = regex.compile(r"\n{3,}")

_BIDI = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
_ZERO_WIDTH = {chr(c) for c in [*range(0x200B, 0x2010), 0x2060, 0xFEFF]}
# Joiners and variation selectors are legitimate inside an emoji sequence; such a sequence is
# then refused as a whole (with its picture) by the font coverage check, not as "invisible".
_EMOJI_PARTS = {"\u200d", "\ufe0e", "\ufe0f"}
_PICTOGRAPHIC = regex.compile(r"\p{Extended_Pictographic}")


def normalise_text(text: str) -> str:
    """NFC, one kind of newline, single spaces, no trailing spaces, at most one blank line."""
    text = _NEWLINES.sub("\n", text)
    text = text.replace(_SOFT_HYPHEN, "")
    if _has_surrogates(text):
        # Lone surrogates cannot be NFC-normalised meaningfully; they are refused later.
        return text
    text = unicodedata.normalize("NFC", text)
    lines = [_SPACES.sub(" ", line).strip(" ") for line in text.split("\n")]
    text = "\n".join(lines).strip("\n")
    return str(_BLANK_RUN.sub("\n\n", text))


def _has_surrogates(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def forbidden_characters(text: str) -> list[str]:
    """Distinct characters that may never appear in a card, in order of first appearance."""
    found: dict[str, None] = {}
    for cluster in _clusters(text):
        in_emoji = bool(_PICTOGRAPHIC.search(cluster))
        for char in cluster:
            if char == "\n" or (in_emoji and char in _EMOJI_PARTS):
                continue
            if _is_forbidden(char):
                found.setdefault(char)
    return list(found)


def _clusters(text: str) -> Iterator[str]:
    if _has_surrogates(text):
        # The grapheme segmenter cannot see lone surrogates; one code point per cluster is enough
        # to name them.
        yield from text
        return
    yield from _GRAPHEME.findall(text)


def _is_forbidden(char: str) -> bool:
    if char in _BIDI or char in _ZERO_WIDTH:
        return True
    category = unicodedata.category(char)
    # Cc control, Cf format (invisible), Cs surrogate, Co private use, Cn unassigned or a
    # noncharacter, Zl/Zp separators (already turned into newlines by normalisation).
    return category in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def overloaded_character(text: str) -> str | None:
    """The first character that stacks more marks or code points than one letter can hold."""
    for cluster in _clusters(text):
        if len(cluster) == 1:
            continue
        marks = sum(unicodedata.category(c).startswith("M") for c in cluster)
        if marks > MAX_MARKS_PER_CHARACTER or len(cluster) > MAX_CODE_POINTS_PER_CHARACTER:
            return cluster
    return None


def grapheme_count(text: str) -> int:
    """User-perceived characters: 'й', 'ў' or a flag emoji count as one."""
    return len(_GRAPHEME.findall(text))


@dataclass(frozen=True)
class MessageRules:
    """A campaign's limits on a message."""

    max_graphemes: int = DEFAULT_MAX_GRAPHEMES
    max_lines: int = DEFAULT_MAX_LINES
    max_word_graphemes: int = DEFAULT_MAX_WORD_GRAPHEMES


def validate_message(text: str, rules: MessageRules | None = None) -> str:
    """Return the normalised message or raise the first `MessageError` that applies."""
    return _validate(text, rules or MessageRules(), field="message")


def validate_signature(text: str, max_graphemes: int = DEFAULT_MAX_SIGNATURE_GRAPHEMES) -> str:
    """Return the normalised one-line signature ('' is allowed) or raise a `MessageError`."""
    text = normalise_text(text.replace("\n", " ").replace("\r", " "))
    if not text:
        return ""
    rules = MessageRules(max_graphemes=max_graphemes, max_lines=1, max_word_graphemes=max_graphemes)
    return _validate(text, rules, field="signature")


def _validate(text: str, rules: MessageRules, field: str) -> str:
    text = normalise_text(text)
    forbidden = forbidden_characters(text)
    if forbidden:
        raise ForbiddenCharacters(forbidden, field=field)
    overloaded = overloaded_character(text)
    if overloaded is not None:
        raise TooManyMarks(MAX_MARKS_PER_CHARACTER, overloaded, field=field)
    if not text.strip():
        raise EmptyMessage(field=field)
    length = grapheme_count(text)
    if length > rules.max_graphemes:
        raise MessageTooLong(rules.max_graphemes, length, field=field)
    lines = text.count("\n") + 1
    if lines > rules.max_lines:
        raise TooManyLines(rules.max_lines, lines, field=field)
    for word in regex.split(r"[ \n]+", text):
        if grapheme_count(word) > rules.max_word_graphemes:
            raise WordTooLong(rules.max_word_graphemes, word, field=field)
    return text
