"""Automatic flags for moderators: links, contact details, shouting and watch words.

Plain Python: a flag says what was found and where; the moderator decides.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import regex
import snowballstemmer


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
