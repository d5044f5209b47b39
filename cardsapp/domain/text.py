"""Normalise, validate and flag a donor's message.

Plain Python: no Flask, SQLAlchemy, RQ or Pillow. Every refusal is a `MessageError` with a
stable `code` and structured `data`, so that the web layer can say it in the donor's language.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex
import snowballstemmer

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


# --- flags for moderators -----------------------------------------------------------------------


class FlagKind(enum.StrEnum):
    """Why a moderator should look twice."""

    LINK = "link"
    EMAIL = "email"
    PHONE = "phone"
    HANDLE = "handle"
    WATCH_WORD = "watch_word"
    SHOUTING = "shouting"


@dataclass(frozen=True)
class Flag:
    """One automatic flag: `text[start:end]` is the span to highlight."""

    kind: FlagKind
    start: int
    end: int
    text: str
    detail: str = ""  # for a watch word: the campaign's word that matched


_TLDS = (
    "com|org|net|info|biz|io|me|co|app|dev|site|online|xyz|top|link|ly|gl|to|cc|tv|"
    "by|ru|ua|kz|pl|lt|lv|ee|de|uk|eu|us|su|am|ge|md|cz|sk|fr|it|es|nl|se|fi|no|il|"
    "рф|бел|укр|рус"
)
_EMAIL = regex.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", regex.IGNORECASE)
_LINK = regex.compile(
    r"(?:https?://|www\.)\S+"
    rf"|(?<![\w@.])(?:[\w-]+\.)+(?:{_TLDS})(?![\w])(?:/\S*)?",
    regex.IGNORECASE,
)
_HANDLE = regex.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}\b")
_PHONE = regex.compile(r"(?<![\w+])\+?\d[\d \-()]{5,}\d(?!\w)")
_YEAR_RANGE = regex.compile(r"(?:19|20)\d\d\s*-\s*(?:19|20)\d\d")
_WORD = regex.compile(r"[\p{L}\p{M}]+(?:['’\-][\p{L}\p{M}]+)*")
_CAPS_RUN = regex.compile(r"(?<![\p{L}])[\p{Lu}]{2,}(?:[\s\p{P}\d]+[\p{Lu}]{2,})*(?![\p{L}])")
_SHOUTING_MIN_LETTERS = 12


def flag_message(text: str, watch_words: Iterable[str] = ()) -> list[Flag]:
    """Automatic flags (links, contacts, watch words, shouting) ordered by position."""
    flags: list[Flag] = []
    taken: list[tuple[int, int]] = []

    def add(kind: FlagKind, start: int, end: int, detail: str = "") -> None:
        if any(s <= start and end <= e for s, e in taken):
            return  # already inside a more specific flag (a link inside an e-mail address)
        taken.append((start, end))
        flags.append(Flag(kind, start, end, text[start:end], detail))

    for match in _EMAIL.finditer(text):
        add(FlagKind.EMAIL, *match.span())
    for match in _LINK.finditer(text):
        start, end = match.span()
        # A sentence's full stop is not part of a link.
        while end > start and text[end - 1] in ".,;:!?)»\"'":
            end -= 1
        add(FlagKind.LINK, start, end)
    for match in _HANDLE.finditer(text):
        add(FlagKind.HANDLE, *match.span())
    for match in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in match.group())
        if 7 <= digits <= 15 and not _YEAR_RANGE.fullmatch(match.group()):
            add(FlagKind.PHONE, *match.span())
    for start, end, word in _watch_word_matches(text, watch_words):
        add(FlagKind.WATCH_WORD, start, end, word)
    for match in _CAPS_RUN.finditer(text):
        letters = sum(c.isalpha() for c in match.group())
        if letters >= _SHOUTING_MIN_LETTERS:
            add(FlagKind.SHOUTING, *match.span())
    return sorted(flags, key=lambda f: (f.start, f.end))


def _watch_word_matches(text: str, watch_words: Iterable[str]) -> Iterator[tuple[int, int, str]]:
    phrases, first_stems, first_prefixes = _watch_phrases(tuple(watch_words))
    if not phrases:
        return
    tokens = [(m.start(), m.end(), word_stems(m.group())) for m in _WORD.finditer(text)]
    for i, (_start, _end, stems) in enumerate(tokens):
        # Most words begin no phrase: one look at every phrase's first word rules them out.
        if not _stems_match(stems, first_stems, first_prefixes):
            continue
        for phrase, words in phrases:
            window = tokens[i : i + len(words)]
            if len(window) == len(words) and all(
                _stems_match(tok[2], *word) for tok, word in zip(window, words, strict=True)
            ):
                yield window[0][0], window[-1][1], phrase


_Phrase = tuple[str, tuple[tuple[frozenset[str], tuple[str, ...]], ...]]


@lru_cache(maxsize=64)
def _watch_phrases(
    watch_words: tuple[str, ...],
) -> tuple[tuple[_Phrase, ...], frozenset[str], tuple[str, ...]]:
    """Each watch phrase with, per word, its stems and the stems long enough to match as
    prefixes; and the stems and prefixes of every phrase's first word together.

    A campaign's list changes rarely and every submitted card is checked against it.
    """
    phrases = []
    for phrase in watch_words:
        stems = [word_stems(word) for word in _WORD.findall(phrase)]
        if stems:
            words = tuple((s, tuple(w for w in s if len(w) >= 4)) for s in stems)
            phrases.append((phrase, words))
    first_stems = frozenset().union(*(words[0][0] for _, words in phrases))
    first_prefixes = tuple(sorted({p for _, words in phrases for p in words[0][1]}))
    return tuple(phrases), first_stems, first_prefixes


def _stems_match(token: frozenset[str], wanted: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    if token & wanted:
        return True
    # Prefix match catches Belarusian and Russian forms the stemmers treat differently
    # ("свабодзе" / "свабода"), but only for stems long enough not to catch unrelated words.
    return bool(prefixes) and any(t.startswith(prefixes) for t in token)


_RU = snowballstemmer.stemmer("russian")
_EN = snowballstemmer.stemmer("english")
_CYRILLIC = regex.compile(r"\p{Cyrillic}")
# Belarusian endings (nouns, adjectives, verbs), longest first; a light stemmer, enough for
# flagging, where a false match only asks a moderator to read a message carefully.
_BE_ENDINGS_TEXT = (
    "ымі імі амі ямі ому аму яму ога яга ага ыму іму ых іх ым ім ая яя ое ее ыя ія ую юю "
    "ай ой ей ою ею аю ам ям ах ях аў яў оў еў ці ць ыць іць аць яць уць юць ець ла лі ло "
    "еш іш ыш ем ыце іце аце ец ка кі ку цы зе дзе а я о е ы і у ю ў ь"
)
_BE_ENDINGS = sorted(
    _BE_ENDINGS_TEXT.split(),
    key=len,
    reverse=True,
)


@lru_cache(maxsize=8192)
def word_stems(word: str) -> frozenset[str]:
    """Stems of a word under every language it could be in (lower-cased, ё as е)."""
    word = word.lower().replace("ё", "е").replace("’", "'")
    if not _CYRILLIC.search(word):
        return frozenset({word, _EN.stemWord(word)})
    return frozenset({word, _RU.stemWord(word), _belarusian_stem(word)})


def _belarusian_stem(word: str) -> str:
    for ending in _BE_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word
