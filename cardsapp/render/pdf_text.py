"""Text in PDFs made with ReportLab: its TrueType subset codes and text operators, fast.

ReportLab writes text in a subset font by mapping every character of every string to its
subset in Python (`TTFont.splitString`) and building a text object for each string; for the
thousands of lines of a print batch that was a third of the build. `TextBlock` writes the
operators ReportLab's text object writes for the same calls, with the codes `SubsetText`
learns from `splitString` itself.
"""

from __future__ import annotations

from codecs import charmap_build, charmap_encode
from typing import TYPE_CHECKING

from reportlab.lib.colors import CMYKColor, Color
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfgen.canvas import Canvas

ORIGINS_KEPT = 5000  # text origins remembered per document

# The bytes that a PDF literal string holds as they are: printable ASCII but ( ) and \\.
_PLAIN = bytes(c for c in range(32, 127) if c not in b"()\\")
if TYPE_CHECKING:
    from _codecs import _EncodingMap

_UNMAPPED = "\ufffe"  # a code that no character has yet (what `codecs.charmap_build` skips)


def pdf_string(codes: bytes) -> str:
    """`codes` as a PDF string: literal when it needs no escapes, else hexadecimal.

    Hex is two bytes a code; PDF escapes would make Cyrillic codes four, at three times the
    cost of writing them.
    """
    if codes.translate(None, _PLAIN):
        return f"<{codes.hex()}>"
    return f"({codes.decode('ascii')})"


class SubsetText:
    """One document's text as codes in ReportLab's subsets of its TrueType fonts.

    A line whose characters all have codes in a font's first subset already is encoded by a
    codec built from the codes `splitString` gave them (in C); any other line goes through
    `splitString`, which gives new characters their codes in reading order exactly as
    ReportLab's text object would, and the codec learns them.
    """

    def __init__(self, doc: object) -> None:
        self.doc = doc  # ReportLab keeps each font's subsets per document
        self.tables: dict[str, list[str]] = {}  # face -> the character of each code, subset 0
        # face -> `codecs.charmap_build` of its table
        self.codecs: dict[str, _EncodingMap] = {}
        self.names: dict[tuple[str, int], str] = {}
        # Operators that recur line after line: lines start at few places, in few sizes.
        self.origins: dict[tuple[float, float], str] = {}
        self.fonts: dict[float, str] = {}
        self.colours: dict[tuple[float, ...], str] = {}
        self.alpha_marked = False

    def runs(self, face: str, text: str) -> list[tuple[int, bytes]]:
        """(subset, codes) for each run of `text` within one subset of `face`."""
        codec = self.codecs.get(face)
        if codec is not None:
            try:
                return [(0, charmap_encode(text, "strict", codec)[0])]
            except UnicodeEncodeError:
                pass  # a character without a code in subset 0 yet
        runs: list[tuple[int, bytes]] = getFont(face).splitString(text, self.doc)
        self._learn(face, text, runs)
        return runs

    def _learn(self, face: str, text: str, runs: list[tuple[int, bytes]]) -> None:
        """Remember the subset-0 code of each character of `text`, one character a code."""
        table = self.tables.get(face)
        if table is None:
            table = self.tables[face] = ["\x00", *[_UNMAPPED] * 255]
        chars = iter(text)
        learned = False
        for subset, codes in runs:
            for code in codes:
                char = next(chars)
                # A character the font lacks (code 0) and a no-break space (written as a
                # space) share their code with another: they always take this slower way.
                if subset == 0 and table[code] == _UNMAPPED and char != "\xa0":
                    table[code] = char
                    learned = True
        if learned or face not in self.codecs:
            self.codecs[face] = charmap_build("".join(table))  # type: ignore[assignment]

    def name(self, face: str, subset: int) -> str:
        """The PDF name of a subset of `face`."""
        key = (face, subset)
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = getFont(face).getSubsetInternalName(subset, self.doc)
        return name


class TextBlock:
    """A block of text operators: what ReportLab's text object writes for the same
    `setFillColor`, `setFont`, `setTextOrigin` and `textOut` calls, with strings in hex where
    ReportLab would escape them (a test compares the two), less the work of moving a text
    cursor that every line sets again anyway."""

    def __init__(self, canvas: Canvas, text: SubsetText) -> None:
        self.canvas = canvas
        self.text = text
        self.code = ["BT", "1 0 0 1 0 0 Tm"]
        self.face = ""
        self.size_ops = ""
        self.subset = -1

    def fill(self, colour: Color) -> None:
        """Fill colour for what follows: an opaque RGB or CMYK colour."""
        if colour.alpha not in (None, 1):
            raise ValueError(f"card text must be opaque, not {colour!r}")
        key: tuple[float, ...]
        cmyk = isinstance(colour, CMYKColor)
        if cmyk:
            key = (colour.cyan, colour.magenta, colour.yellow, colour.black)
        else:
            key = (colour.red, colour.green, colour.blue)
        colours = self.text.colours
        operator = colours.get(key)
        if operator is None:
            operator = colours[key] = f"{fp_str(*key)} {'k' if cmyk else 'rg'}"
        self.code.append(operator)
        if colour.alpha is not None and not self.text.alpha_marked:
            # What the text object does for any colour with an alpha: it writes nothing while
            # the alpha stays 1, but marks the file PDF 1.4, once for all.
            self.canvas.setFillAlpha(colour.alpha)
            self.text.alpha_marked = True

    def font(self, face: str, size: float) -> None:
        """Font and size for what follows; the leading is ReportLab's default, 1.2 x size."""
        self.face, self.subset = face, -1
        fonts = self.text.fonts
        operators = fonts.get(size)
        if operators is None:
            operators = fonts[size] = f"{fp_str(size)} Tf {fp_str(size * 1.2)} TL"
        self.size_ops = operators

    def show(self, x: float, y: float, line: str) -> None:
        """`line` with its left end on the baseline at (x, y) pt."""
        code, text = self.code, self.text
        origin = text.origins.get((x, y))
        if origin is None:
            if len(text.origins) > ORIGINS_KEPT:
                text.origins.clear()  # centred lines start anywhere: memory stays flat
            origin = text.origins[x, y] = f"1 0 0 1 {fp_str(x, y)} Tm"
        code.append(origin)
        if not line:
            code.append("")  # ReportLab writes an empty operator list, so one more space
            return
        for subset, codes in text.runs(self.face, line):
            if subset != self.subset:
                code.append(f"{text.name(self.face, subset)} {self.size_ops}")
                self.subset = subset
            code.append(f"{pdf_string(codes)} Tj")

    def operators(self) -> str:
        """The block's operators, ending the text object."""
        return " ".join(self.code) + " ET"

    def draw(self) -> None:
        """Put the block on the page."""
        self.canvas.addLiteral(self.operators())
