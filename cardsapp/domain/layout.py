"""Fit a message into a design's text box: one answer for the preview and the printed card.

Plain Python: the caller passes the font's advance widths (a `FontMetrics`, such as
`cardsapp.render.fonts.CardFont`) and its ascent and descent as fractions of the font size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import pyphen
import regex

from cardsapp.domain.text import MessageError

MM_PER_PT = 25.4 / 72
SIZE_STEP_PT = 0.5
_EPSILON_MM = 1e-6


class FontMetrics(Protocol):
    """A font's advance widths, unhinted, so that a text's width is linear in the size.

    The layout asks for the width of every word of a text, repeated words each time: metrics
    that measure slowly should remember what they measured.
    """

    units_per_em: int

    def width_units(self, text: str) -> float:
        """Advance width of `text` in font units."""
        ...


def width_mm(units: float, size_pt: float, units_per_em: int) -> float:
    """A width in font units as mm at `size_pt`; the one formula for every width the layout uses."""
    return units * size_pt * MM_PER_PT / units_per_em


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


class _Words:
    """The text split once into paragraphs and words, each word measured once.

    Widths are kept in font units and scaled to mm per size (with `width_mm`), so that trying
    another size costs arithmetic, not measuring.
    """

    def __init__(self, text: str, metrics: FontMetrics) -> None:
        self.text = text
        self.metrics = metrics
        self.space = metrics.width_units(" ")
        self.units: dict[str, float] = {" ": self.space}
        # None is a blank line the donor wanted; a paragraph of spaces alone makes no line.
        # Otherwise its words, their widths and the widest.
        self.paragraphs: list[tuple[list[str], list[float], float] | None] = []
        # Per paragraph: is it blank, its number of words, and their widths with a space after
        # each (for `line_bounds`).
        self.totals: list[tuple[bool, int, float]] = []
        self.widest = 0.0
        self._language: str | None = None
        measure, space = metrics.width_units, self.space
        for paragraph in text.split("\n"):
            if not paragraph:
                self.paragraphs.append(None)
                self.totals.append((True, 0, 0.0))
                continue
            words = paragraph.split(" ")
            if "" in words:
                words = [word for word in words if word]
            widths = list(map(measure, words))
            widest = max(widths) if widths else 0.0
            self.paragraphs.append((words, widths, widest))
            self.totals.append((False, len(words), sum(widths) + len(words) * space))
            if widest > self.widest:
                self.widest = widest

    @property
    def language(self) -> str:
        """The text's language for hyphenation, guessed only when a word must be broken."""
        if self._language is None:
            self._language = guess_language(self.text)
        return self._language

    def width_units(self, text: str) -> float:
        units = self.units.get(text)
        if units is None:
            units = self.units[text] = self.metrics.width_units(text)
        return units

    def line_bounds(self, size: float, width: float) -> tuple[int, int | None]:
        """Fewest and most lines that wrapping at `size` into `width` makes, without wrapping.

        Only while every word fits a line (otherwise (0, None): nothing is known). A paragraph
        of words w long with n spaces: a line holds at most `width` of words and the spaces
        between them, so it needs at least (w + n x space) / (width + space) lines; and a line
        ends only when the next word does not fit, so each line but the last holds more than
        width - space - widest word, which caps the count. Both bounds are widened by a
        relative 1e-9, so that rounding (about 1e-16 per operation) cannot put either on the
        wrong side of the count that wrapping gives.
        """
        scale = size * MM_PER_PT / self.metrics.units_per_em
        fits = width + _EPSILON_MM
        widest, space = self.widest * scale, self.space * scale
        if widest * (1 + 1e-9) >= fits:
            return 0, None  # a word longer than a line will be broken
        full = fits + space  # the most a line takes, counting the space after it
        least = fits - space - widest  # the least an ended line holds
        capped = least > 0  # else a line may end holding nothing we can count on
        fewest, most = 0, 0
        for blank, count, total in self.totals:
            if blank:
                fewest, most = fewest + 1, most + 1
            elif count:
                length = total * scale
                fewest += max(1, math.ceil(length / full * (1 - 1e-9)))
                if capped:
                    most += max(1, math.ceil(length / least * (1 + 1e-9)))
        return fewest, most if capped else None


class _Setter:
    """Wraps a text at one size."""

    def __init__(self, words: _Words, size: float, width: float, lang: str | None = None) -> None:
        self.words = words
        self.size = size
        self.width = width
        self._lang = lang
        self.units_per_em = words.metrics.units_per_em
        self.space = width_mm(words.space, size, self.units_per_em)

    @property
    def lang(self) -> str:
        """The hyphenation language: as given, or guessed from the text."""
        return self._lang if self._lang is not None else self.words.language

    def width_of(self, text: str) -> float:
        return width_mm(self.words.width_units(text), self.size, self.units_per_em)

    def wrap(self, max_lines: int | None = None) -> list[tuple[str, float]] | None:
        """The lines with their widths; None as soon as there are more than `max_lines`."""
        lines: list[tuple[str, float]] = []
        limit = math.inf if max_lines is None else max_lines
        for paragraph in self.words.paragraphs:
            if paragraph is None:
                lines.append(("", 0.0))
            elif not self._wrap_paragraph(*paragraph, lines, limit):
                return None
            if len(lines) > limit:
                return None
        return lines

    def _wrap_paragraph(
        self,
        paragraph: list[str],
        units: list[float],
        widest: float,
        lines: list[tuple[str, float]],
        limit: float,
    ) -> bool:
        """Append the paragraph's lines; False if it stopped on passing `limit` lines."""
        # The inner loop of every size tried: locals only, and each width computed with
        # exactly `width_mm`'s arithmetic (the widths are those of `CardFont.measure`).
        size, units_per_em, space = self.size, self.units_per_em, self.space
        fits = self.width + _EPSILON_MM
        if widest * size * MM_PER_PT / units_per_em <= fits:
            # Every word fits a line of its own (rounding keeps the order of the widths, so the
            # widest word's width is the largest): only whole words move to the next line.
            # A line starts at -space so that its first word's width comes out exactly as w.
            start, used, previous = 0, -space, -1
            for i, word_units in enumerate(units):
                w = word_units * size * MM_PER_PT / units_per_em
                needed = used + space + w
                if needed <= fits:
                    used = needed
                    continue
                lines.append((" ".join(paragraph[start:i]), used))
                if len(lines) > limit:
                    return False
                previous, start, used = start, i, w
            if units:
                if start == len(units) - 1 and start - previous >= 3:
                    start, used = self._without_widow(paragraph, units, previous, start, lines)
                lines.append((" ".join(paragraph[start:]), used))
            return True
        words: list[str] = []
        used = 0.0
        for word, word_units in zip(paragraph, units, strict=True):
            w = word_units * size * MM_PER_PT / units_per_em
            needed = w if not words else used + space + w
            if needed <= fits:
                words.append(word)
                used = needed
                continue
            if w <= fits:
                lines.append((" ".join(words), used))
                if len(lines) > limit:
                    return False
                words, used = [word], w
                continue
            # A word longer than the whole line: fill what is left of this line, then go on.
            rest = word
            while True:
                room = self.width - (used + space if words else 0.0)
                head, tail = self._split_word(rest, room, at_line_start=not words)
                if head:
                    used = used + space + self.width_of(head) if words else self.width_of(head)
                    words.append(head)
                if tail is None:
                    break
                lines.append((" ".join(words), used))
                words, used, rest = [], 0.0, tail
                if self.width_of(rest) <= fits:
                    words, used = [rest], self.width_of(rest)
                    break
        if words:
            lines.append((" ".join(words), used))
        return True

    def _without_widow(
        self,
        paragraph: list[str],
        units: list[float],
        previous: int,
        last: int,
        lines: list[tuple[str, float]],
    ) -> tuple[int, float]:
        """Where the paragraph's last line starts, and its width, with no word alone on it.

        The last line holds one word and the line before it at least three: that line's last
        word comes down when both fit, so a single word does not end the paragraph alone.
        The number of lines stays the same, so every size keeps the fit wrapping found.
        """
        size, units_per_em, space = self.size, self.units_per_em, self.space
        widths = [u * size * MM_PER_PT / units_per_em for u in units[last - 1 : last + 1]]
        together = widths[0] + space + widths[1]
        if together > self.width + _EPSILON_MM:
            return last, widths[1]
        used = -space  # the same arithmetic, in the same order, as the wrapping loop
        for word_units in units[previous : last - 1]:
            used = used + space + word_units * size * MM_PER_PT / units_per_em
        lines[-1] = (" ".join(paragraph[previous : last - 1]), used)
        return last - 1, together

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


def _sizes(style: TextStyle) -> tuple[float, ...]:
    return _size_steps(style.min_pt, style.max_pt)


@lru_cache(maxsize=256)
def _size_steps(min_pt: float, max_pt: float) -> tuple[float, ...]:
    steps = round((max_pt - min_pt) / SIZE_STEP_PT)
    sizes = [min_pt + i * SIZE_STEP_PT for i in range(steps + 1)]
    if sizes[-1] < max_pt:
        sizes.append(max_pt)
    return tuple(sizes)


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


def _most_lines(style: TextStyle, size: float, height: float) -> int:
    """The largest line count whose block fits `height`, by `_block_height` itself (-1: none)."""
    limit = height + _EPSILON_MM
    count = max(0, _lines_that_fit(style, size, height))
    while count >= 0 and _block_height(style, size, count) > limit:
        count -= 1
    while count >= 0 and _block_height(style, size, count + 1) <= limit:
        count += 1
    return count


@lru_cache(maxsize=1024)
def _capacities(style: TextStyle, height: float) -> tuple[int, ...]:
    """`_most_lines` for each of the style's sizes: the same for every card of a design."""
    return tuple(_most_lines(style, size, height) for size in _sizes(style))


def lay_out(
    text: str,
    box: Box,
    style: TextStyle,
    metrics: FontMetrics,
    signature: str = "",
    signature_box: Box | None = None,
) -> Layout:
    """Wrap and shrink `text` to fit `box`; place `signature` on one line in `signature_box`."""
    sizes = _sizes(style)
    capacities = _capacities(style, box.h)
    words = _Words(text, metrics)
    line_bounds = words.line_bounds
    kept: dict[float, list[tuple[str, float]]] = {}  # the lines of each size wrapped

    # Binary search over the half-point steps for the largest size that fits; fitting is
    # monotonic in practice (a smaller size never needs more lines).
    low, high = 0, len(sizes) - 1
    size: float | None = None
    while low <= high:
        middle = (low + high) // 2
        tried, most = sizes[middle], capacities[middle]
        # The block only grows with each line: a size whose lines surely outnumber what the
        # box holds, or surely do not, is decided without wrapping.
        fewest, at_most = line_bounds(tried, box.w)
        if fewest > most:
            fits = False
        elif at_most is not None and at_most <= most:
            fits = True
        else:
            wrapped = _Setter(words, tried, box.w).wrap(most)
            fits = wrapped is not None
            if wrapped is not None:
                kept[tried] = wrapped
        if fits:
            size = tried
            low = middle + 1
        else:
            high = middle - 1
    if size is None:
        raise MessageTooLongForDesign(_estimate_cut(text, box, style, words, words.language))
    wrapped = kept.get(size) or _Setter(words, size, box.w).wrap() or []

    lines = _place(wrapped, box, style, size)
    sig_line, sig_size = None, None
    if signature and signature_box is not None:
        sig_line, sig_size = _place_signature(signature, signature_box, style, metrics, size)
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
    signature: str, box: Box, style: TextStyle, metrics: FontMetrics, message_size: float
) -> tuple[Line, float]:
    """Signature on one line, right-aligned, no bigger than the message, shrunk to fit."""
    units = metrics.width_units(signature)
    for size in reversed([s for s in _sizes(style) if s <= message_size]):
        width = width_mm(units, size, metrics.units_per_em)
        height = (style.ascent + style.descent) * size * MM_PER_PT
        if width <= box.w + _EPSILON_MM and height <= box.h + _EPSILON_MM:
            baseline = box.bottom - style.descent * size * MM_PER_PT
            return Line(signature, box.right - width, baseline, width), size
    full = width_mm(units, style.min_pt, metrics.units_per_em)
    per_char = full / max(1, len(_GRAPHEME.findall(signature)))
    cut = max(1, math.ceil((full - box.w) / per_char))
    raise MessageTooLongForDesign(cut, field="signature")


def _estimate_cut(text: str, box: Box, style: TextStyle, words: _Words, lang: str) -> int:
    """How many characters to remove so that the text fits at the smallest size (an estimate)."""
    size = style.min_pt
    wrapped = _Setter(words, size, box.w, lang).wrap() or []  # never None without a limit
    room = _lines_that_fit(style, size, box.h)
    if room == 0:
        return max(1, len(_GRAPHEME.findall(text)))
    overflow = wrapped[room:]
    # Characters on the overflowing lines, plus one per line break that they would free.
    chars = sum(len(_GRAPHEME.findall(line)) + 1 for line, _ in overflow)
    return max(1, chars)
