"""Fit a message into a design's text box: one answer for the preview and the printed card.

Plain Python: the caller passes a `measure(text, size_pt) -> width_mm` function (from
`cardsapp.render.fonts`) and the font's ascent and descent as fractions of the font size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pyphen
import regex

from cardsapp.domain.text import MessageError

MM_PER_PT = 25.4 / 72
SIZE_STEP_PT = 0.5
_EPSILON_MM = 1e-6

Measure = Callable[[str, float], float]


class MessageTooLongForDesign(MessageError):
    """The text does not fit the design's box even at its smallest size."""

    code = "too_long_for_design"

    def __init__(self, cut: int, field: str = "message") -> None:
        self.cut = cut
        super().__init__(field, cut=cut)


@dataclass(frozen=True)
class Box:
    """A rectangle in mm, measured from the card's trim top-left corner."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        """Right edge in mm."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """Bottom edge in mm."""
        return self.y + self.h


@dataclass(frozen=True)
class TextStyle:
    """How text is set in a box: size range, spacing, alignment and the font's vertical metrics."""

    min_pt: float
    max_pt: float
    line_spacing: float = 1.2
    ascent: float = 0.9  # above the baseline, as a fraction of the font size
    descent: float = 0.3  # below the baseline, as a fraction of the font size
    align: str = "left"  # left | center
    valign: str = "top"  # top | middle


@dataclass(frozen=True)
class Line:
    """One line of text: its left end at `x` mm, its baseline at `baseline` mm."""

    text: str
    x: float
    baseline: float
    width: float


@dataclass(frozen=True)
class Layout:
    """Where every line of a card goes, in mm from the trim top-left."""

    size_pt: float
    line_height_mm: float
    lines: tuple[Line, ...]
    signature: Line | None = None
    signature_size_pt: float | None = None


# --- wrapping ------------------------------------------------------------------------------------

_GRAPHEME = regex.compile(r"\X")
_LETTERS = regex.compile(r"^(\W*)([\w\-’']+?)(\W*)$")
_BELARUSIAN = regex.compile(r"[ўЎіІ]")
_CYRILLIC = regex.compile(r"\p{Cyrillic}")


@lru_cache(maxsize=4)
def _hyphenator(lang: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=lang, left=2, right=2)


def guess_language(text: str) -> str:
    """'be' for Cyrillic with ў or і, 'ru' for other Cyrillic, otherwise 'en'."""
    if _BELARUSIAN.search(text):
        return "be"
    return "ru" if _CYRILLIC.search(text) else "en"


_PYPHEN_LANG = {"be": "be_BY", "ru": "ru_RU", "en": "en_US"}


class _Setter:
    """Wraps a text at one size; every word is measured once per size."""

    def __init__(self, measure: Measure, size: float, width: float, lang: str) -> None:
        self.measure = measure
        self.size = size
        self.width = width
        self.lang = lang
        self.widths: dict[str, float] = {}
        self.space = self.width_of(" ")

    def width_of(self, text: str) -> float:
        width = self.widths.get(text)
        if width is None:
            width = self.widths[text] = self.measure(text, self.size)
        return width

    def wrap(self, text: str) -> list[tuple[str, float]]:
        lines: list[tuple[str, float]] = []
        for paragraph in text.split("\n"):
            if not paragraph:
                lines.append(("", 0.0))  # a blank line the donor wanted
                continue
            self._wrap_paragraph(paragraph, lines)
        return lines

    def _wrap_paragraph(self, paragraph: str, lines: list[tuple[str, float]]) -> None:
        words: list[str] = []
        used = 0.0
        for word in paragraph.split(" "):
            if not word:
                continue
            w = self.width_of(word)
            needed = w if not words else used + self.space + w
            if needed <= self.width + _EPSILON_MM:
                words.append(word)
                used = needed
                continue
            if w <= self.width + _EPSILON_MM:
                lines.append((" ".join(words), used))
                words, used = [word], w
                continue
            # A word longer than the whole line: fill what is left of this line, then go on.
            rest = word
            while True:
                room = self.width - (used + self.space if words else 0.0)
                head, tail = self._split_word(rest, room, at_line_start=not words)
                if head:
                    used = used + self.space + self.width_of(head) if words else self.width_of(head)
                    words.append(head)
                if tail is None:
                    break
                lines.append((" ".join(words), used))
                words, used, rest = [], 0.0, tail
                if self.width_of(rest) <= self.width + _EPSILON_MM:
                    words, used = [rest], self.width_of(rest)
                    break
        if words:
            lines.append((" ".join(words), used))

    def _split_word(self, word: str, room: float, at_line_start: bool) -> tuple[str, str | None]:
        """Longest head (with a hyphen if needed) that fits `room`; tail is None when all fits."""
        if self.width_of(word) <= room + _EPSILON_MM:
            return word, None
        for cut, hyphen in reversed(self._break_points(word)):
            head = word[:cut] + hyphen
            if self.width_of(head) <= room + _EPSILON_MM:
                return head, word[cut:]
        if not at_line_start:
            return "", word  # nothing fits here: start the word on a fresh line
        return self._hard_break(word, room)

    def _break_points(self, word: str) -> list[tuple[int, str]]:
        points: list[tuple[int, str]] = [
            (i + 1, "") for i, c in enumerate(word[:-1]) if c in "-/" and i > 0
        ]
        match = _LETTERS.match(word)
        if match and len(match.group(2)) >= 4:
            core = match.group(2)
            lang = self.lang if _CYRILLIC.search(core) else "en"
            offset = match.start(2)
            for position in _hyphenator(_PYPHEN_LANG[lang]).positions(core):
                if core[position - 1].isalpha() and core[position].isalpha():
                    points.append((offset + position, "-"))
        return sorted(set(points))

    def _hard_break(self, word: str, room: float) -> tuple[str, str | None]:
        clusters = _GRAPHEME.findall(word)
        # Binary search on the number of clusters: O(log n) measurements per break.
        low, high = 1, len(clusters) - 1
        best = 1  # at least one cluster per line, so that wrapping always progresses
        while low <= high:
            middle = (low + high) // 2
            if self.width_of("".join(clusters[:middle])) <= room + _EPSILON_MM:
                best, low = middle, middle + 1
            else:
                high = middle - 1
        return "".join(clusters[:best]), "".join(clusters[best:]) or None


# --- fitting -------------------------------------------------------------------------------------


def _sizes(style: TextStyle) -> list[float]:
    steps = round((style.max_pt - style.min_pt) / SIZE_STEP_PT)
    sizes = [style.min_pt + i * SIZE_STEP_PT for i in range(steps + 1)]
    if sizes[-1] < style.max_pt:
        sizes.append(style.max_pt)
    return sizes


def _line_height(style: TextStyle, size: float) -> float:
    return size * style.line_spacing * MM_PER_PT


def _block_height(style: TextStyle, size: float, count: int) -> float:
    """From the top of the first line's ascent to the bottom of the last line's descent."""
    return (style.ascent + style.descent) * size * MM_PER_PT + (count - 1) * _line_height(
        style, size
    )


def _lines_that_fit(style: TextStyle, size: float, height: float) -> int:
    spare = height - (style.ascent + style.descent) * size * MM_PER_PT
    if spare < -_EPSILON_MM:
        return 0
    return 1 + math.floor(spare / _line_height(style, size) + 1e-9)


def lay_out(
    text: str,
    box: Box,
    style: TextStyle,
    measure: Measure,
    signature: str = "",
    signature_box: Box | None = None,
) -> Layout:
    """Wrap and shrink `text` to fit `box`; place `signature` on one line in `signature_box`."""
    lang = guess_language(text)
    sizes = _sizes(style)

    def attempt(size: float) -> list[tuple[str, float]] | None:
        wrapped = _Setter(measure, size, box.w, lang).wrap(text)
        fits = _block_height(style, size, len(wrapped)) <= box.h + _EPSILON_MM
        return wrapped if fits else None

    # Binary search over the half-point steps for the largest size that fits; fitting is
    # monotonic in practice (a smaller size never needs more lines).
    low, high = 0, len(sizes) - 1
    found: tuple[float, list[tuple[str, float]]] | None = None
    while low <= high:
        middle = (low + high) // 2
        wrapped = attempt(sizes[middle])
        if wrapped is not None:
            found = (sizes[middle], wrapped)
            low = middle + 1
        else:
            high = middle - 1
    if found is None:
        raise MessageTooLongForDesign(_estimate_cut(text, box, style, measure, lang))
    size, wrapped = found

    lines = _place(wrapped, box, style, size)
    sig_line, sig_size = None, None
    if signature and signature_box is not None:
        sig_line, sig_size = _place_signature(signature, signature_box, style, measure, size)
    return Layout(size, _line_height(style, size), lines, sig_line, sig_size)


def _place(
    wrapped: list[tuple[str, float]], box: Box, style: TextStyle, size: float
) -> tuple[Line, ...]:
    top = box.y
    if style.valign == "middle":
        top += (box.h - _block_height(style, size, len(wrapped))) / 2
    first = top + style.ascent * size * MM_PER_PT
    step = _line_height(style, size)
    placed = []
    for i, (line, width) in enumerate(wrapped):
        x = box.x + (box.w - width) / 2 if style.align == "center" else box.x
        placed.append(Line(line, x, first + i * step, width))
    return tuple(placed)


def _place_signature(
    signature: str, box: Box, style: TextStyle, measure: Measure, message_size: float
) -> tuple[Line, float]:
    """Signature on one line, right-aligned, no bigger than the message, shrunk to fit."""
    for size in reversed([s for s in _sizes(style) if s <= message_size]):
        width = measure(signature, size)
        height = (style.ascent + style.descent) * size * MM_PER_PT
        if width <= box.w + _EPSILON_MM and height <= box.h + _EPSILON_MM:
            baseline = box.bottom - style.descent * size * MM_PER_PT
            return Line(signature, box.right - width, baseline, width), size
    size = style.min_pt
    per_char = measure(signature, size) / max(1, len(_GRAPHEME.findall(signature)))
    cut = max(1, math.ceil((measure(signature, size) - box.w) / per_char))
    raise MessageTooLongForDesign(cut, field="signature")


def _estimate_cut(text: str, box: Box, style: TextStyle, measure: Measure, lang: str) -> int:
    """How many characters to remove so that the text fits at the smallest size (an estimate)."""
    size = style.min_pt
    wrapped = _Setter(measure, size, box.w, lang).wrap(text)
    room = _lines_that_fit(style, size, box.h)
    if room == 0:
        return max(1, len(_GRAPHEME.findall(text)))
    overflow = wrapped[room:]
    # Characters on the overflowing lines, plus one per line break that they would free.
    chars = sum(len(_GRAPHEME.findall(line)) + 1 for line, _ in overflow)
    return max(1, chars)
