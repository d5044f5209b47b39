"""Address labels on standard sticker sheets, built in memory when an addresser asks.

A small grid of our own on the ReportLab canvas (pylabels is unmaintained and GPL). Each
label carries its envelope's routing code over the address; long addresses shrink, then
wrap, to fit. Nothing here is written to disk: the caller passes a file-like object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.units import inch, mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from cardsapp.render.fonts import register_reportlab_fonts, reportlab_font_name

rl_config.useA85 = 0

ADDRESS_FONT = "noto-sans"
CODE_FONT = "noto-sans"
MAX_PT = 11.0
MIN_PT = 7.0  # a postal worker reads an address at arm's length: never smaller
STEP_PT = 0.5
CODE_PT = 6.5
LINE_SPACING = 1.15
CODE_COLOUR = Color(0.3, 0.3, 0.3)


@dataclass(frozen=True)
class LabelSheet:
    """A sticker sheet, in mm: page, label size, grid and where the first label starts."""

    name: str
    page_w: float
    page_h: float
    columns: int
    rows: int
    label_w: float
    label_h: float
    left: float  # page edge to the first column's left edge
    top: float  # page edge to the first row's top edge
    pitch_x: float  # from one column's left edge to the next
    pitch_y: float  # from one row's top edge to the next
    padding: float  # inside each label

    @property
    def per_page(self) -> int:
        """Labels on one sheet."""
        return self.columns * self.rows

    def label_rect(self, index: int, offset: tuple[float, float] = (0.0, 0.0)) -> tuple[float, ...]:
        """(x, y, w, h) in mm from the bottom-left of the page, for label `index` on a sheet.

        Labels run left to right, then down. The offset moves everything right and down
        (a printer's calibration).
        """
        row, column = divmod(index % self.per_page, self.columns)
        x = self.left + column * self.pitch_x + offset[0]
        top = self.top + row * self.pitch_y + offset[1]
        return (x, self.page_h - top - self.label_h, self.label_w, self.label_h)


SHEETS = {
    # Avery L7163: A4, 2 x 7 labels of 99.1 x 38.1 mm.
    "L7163": LabelSheet(
        "L7163",
        A4[0] / mm,
        A4[1] / mm,
        columns=2,
        rows=7,
        label_w=99.1,
        label_h=38.1,
        left=4.65,
        top=15.15,
        pitch_x=101.6,
        pitch_y=38.1,
        padding=4.0,
    ),
    # Avery 5160: Letter, 3 x 10 labels of 2.625 x 1 in.
    "5160": LabelSheet(
        "5160",
        letter[0] / mm,
        letter[1] / mm,
        columns=3,
        rows=10,
        label_w=2.625 * inch / mm,
        label_h=1.0 * inch / mm,
        left=0.1875 * inch / mm,
        top=0.5 * inch / mm,
        pitch_x=2.75 * inch / mm,
        pitch_y=1.0 * inch / mm,
        padding=2.5,
    ),
}
DEFAULT_SHEET = "L7163"


@dataclass(frozen=True)
class LabelItem:
    """One envelope's label: its routing code and the address lines."""

    routing: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FittedAddress:
    """Address lines wrapped and sized to fit a label's text area."""

    size_pt: float
    lines: tuple[str, ...]
    fits: bool = True  # False: even wrapped at MIN_PT the lines run out of the label


def _wrap(line: str, face: str, size: float, width_pt: float) -> list[str]:
    """Break one address line at spaces (or, for a very long word, anywhere) to fit."""
    if stringWidth(line, face, size) <= width_pt:
        return [line]
    out: list[str] = []
    current = ""
    for word in line.split():
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, face, size) <= width_pt:
            current = candidate
            continue
        if current:
            out.append(current)
        while stringWidth(word, face, size) > width_pt and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and stringWidth(word[:cut], face, size) > width_pt:
                cut -= 1
            out.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        out.append(current)
    return out


def _sizes() -> list[float]:
    count = round((MAX_PT - MIN_PT) / STEP_PT)
    return [MAX_PT - i * STEP_PT for i in range(count + 1)]


def fit_address(lines: Sequence[str], width_mm: float, height_mm: float) -> FittedAddress:
    """Shrink (MAX_PT down to MIN_PT), then wrap, until the lines fit; say when they cannot."""
    register_reportlab_fonts()
    face = reportlab_font_name(ADDRESS_FONT)
    width_pt, height_pt = width_mm * mm, height_mm * mm

    def tall_enough(count: int, size: float) -> bool:
        return bool(count * size * LINE_SPACING <= height_pt)

    for size in _sizes():
        fits_across = all(stringWidth(line, face, size) <= width_pt for line in lines)
        if fits_across and tall_enough(len(lines), size):
            return FittedAddress(size, tuple(lines))
    wrapped: list[str] = []
    for size in _sizes():
        wrapped = [part for line in lines for part in _wrap(line, face, size, width_pt)]
        if tall_enough(len(wrapped), size):
            return FittedAddress(size, tuple(wrapped))
    return FittedAddress(MIN_PT, tuple(wrapped), fits=False)


def address_area(sheet: LabelSheet) -> tuple[float, float]:
    """The width and height in mm an address has on a label of `sheet`, below its code."""
    code_h = CODE_PT * LINE_SPACING / mm
    return sheet.label_w - 2 * sheet.padding, sheet.label_h - 2 * sheet.padding - code_h


def address_fits(lines: Sequence[str]) -> bool:
    """Whether the address fits, at MIN_PT or larger, on a label of every sheet we print."""
    return all(fit_address(lines, *address_area(sheet)).fits for sheet in SHEETS.values())


def address_canvas(target: BinaryIO, width_mm: float, height_mm: float, title: str) -> Canvas:
    """A canvas for pages of addresses (labels, envelopes), with the address font registered."""
    register_reportlab_fonts()
    canvas = Canvas(
        target,
        pagesize=(width_mm * mm, height_mm * mm),
        invariant=1,
        initialFontName=reportlab_font_name(ADDRESS_FONT),
    )
    canvas.setTitle(title)
    canvas.setCreator("cardsapp")
    return canvas


def render_labels_pdf(
    target: BinaryIO,
    labels: Iterable[LabelItem],
    sheet_name: str = DEFAULT_SHEET,
    offset_mm: tuple[float, float] = (0.0, 0.0),
    title: str = "Labels",
) -> int:
    """Write the labels PDF to `target` (in memory); return the number of sheets."""
    sheet = SHEETS[sheet_name]
    canvas = address_canvas(target, sheet.page_w, sheet.page_h, title)
    face = reportlab_font_name(ADDRESS_FONT)
    code_face = reportlab_font_name(CODE_FONT)
    pad = sheet.padding
    index = 0
    for label in labels:
        if index and index % sheet.per_page == 0:
            canvas.showPage()
        x, y, w, h = sheet.label_rect(index, offset_mm)
        code_h = CODE_PT * LINE_SPACING / mm
        fitted = fit_address(label.lines, *address_area(sheet))
        canvas.saveState()
        # Refused at import, so only an address imported before that rule can overflow: it
        # is cut at its label's edge rather than printed onto the next one.
        clip = canvas.beginPath()
        clip.rect(x * mm, y * mm, w * mm, h * mm)
        canvas.clipPath(clip, stroke=0, fill=0)
        text = canvas.beginText()
        text.setFillColor(CODE_COLOUR)
        text.setFont(code_face, CODE_PT)
        top = y + h - pad
        text.setTextOrigin((x + pad) * mm, top * mm - CODE_PT * 0.9)
        text.textOut(label.routing)
        text.setFillColorRGB(0, 0, 0)
        text.setFont(face, fitted.size_pt)
        baseline = top * mm - code_h * mm - fitted.size_pt * 0.95
        for line in fitted.lines:
            text.setTextOrigin((x + pad) * mm, baseline)
            text.textOut(line)
            baseline -= fitted.size_pt * LINE_SPACING
        canvas.drawText(text)
        canvas.restoreState()
        index += 1
    canvas.showPage()
    canvas.save()
    return max(1, -(-index // sheet.per_page))
