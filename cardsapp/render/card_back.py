"""A postcard's back: the campaign's words, the organisation's mark, the card code, and room
for a stamp and an address label, drawn in card millimetres (origin: the trim's bottom-left).

Laid out as postcards are: a divider down the middle, words on the left, the stamp box in the
top-right corner and the address lines below it, sized for an Avery 5160 label (67 x 25 mm)
or a hand-written address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from cardsapp.render.card_code import CODE_PT, MIN_CODE_PT
from cardsapp.render.fonts import reportlab_font_name

BACK_FONT = "noto-sans"
TEXT_PT = (8.5, 6.5)  # the back's words shrink from the first size to the second to fit
INK = Color(0.2, 0.2, 0.2)
RULE = Color(0.55, 0.55, 0.55)
MARK = Color(0x9C / 255, 0x3D / 255, 0x54 / 255)  # the envelope of cardsapp's favicon
MARGIN_MM = 6.0
STAMP_MM = (22.0, 26.0)
LABEL_ROOM_MM = (68.0, 27.0)  # an Avery 5160 label with a millimetre round it


@dataclass(frozen=True)
class CardBack:
    """What every back of a campaign's postcards says: its words and its organisation."""

    texts: tuple[str, ...]  # one paragraph per language, in print order
    organisation: str


BACK_SIZE_MM = (148.0, 105.0)  # A6 landscape, whatever the front's orientation
CODE_AT_MM = (MARGIN_MM, MARGIN_MM)  # the code's baseline start on the back


def draw_back_form(
    canvas: Canvas, name: str, back: CardBack, convert: Callable[[Color], Color]
) -> None:
    """Define form `name`: everything on the back except the card code."""
    width, height = BACK_SIZE_MM
    c = canvas
    c.beginForm(name, 0, 0, width * mm, height * mm)
    middle = width / 2
    c.setStrokeColor(convert(RULE))
    c.setLineWidth(0.5)
    c.line(middle * mm, (MARGIN_MM + 8) * mm, middle * mm, (height - MARGIN_MM) * mm)
    _words(c, back, middle, height, convert)
    _mark(c, back.organisation, convert)
    c.setStrokeColor(convert(RULE))
    c.setLineWidth(0.5)
    # The stamp box, top-right.
    stamp_w, stamp_h = STAMP_MM
    c.setDash(2, 2)
    c.rect(
        (width - MARGIN_MM - stamp_w) * mm,
        (height - MARGIN_MM - stamp_h) * mm,
        stamp_w * mm,
        stamp_h * mm,
    )
    c.setDash()
    # Room for the address: a few rules a label covers or a hand follows.
    room_w, room_h = LABEL_ROOM_MM
    left = width - MARGIN_MM - room_w
    for k in range(4):
        y = (MARGIN_MM + 2 + k * room_h / 4) * mm
        c.line(left * mm, y, (width - MARGIN_MM) * mm, y)
    c.endForm()


def _words(
    c: Canvas, back: CardBack, middle: float, height: float, convert: Callable[[Color], Color]
) -> None:
    face = reportlab_font_name(BACK_FONT)
    width = (middle - MARGIN_MM - 5) * mm
    top = height - MARGIN_MM  # from the top of the left half down to the mark
    room = (top - MARGIN_MM - 16) * mm
    size = TEXT_PT[0]
    while True:
        lines = [simpleSplit(t, face, size, width) for t in back.texts if t.strip()]
        height = sum(len(p) for p in lines) * size * 1.25 + (len(lines) - 1) * size * 0.8
        if height <= room or size <= TEXT_PT[1]:
            break
        size -= 0.25
    text = c.beginText()
    text.setFillColor(convert(INK))
    text.setFont(face, size, size * 1.25)
    text.setTextOrigin(MARGIN_MM * mm, top * mm - size)
    for paragraph in lines:
        for line in paragraph:
            text.textLine(line)
        text.moveCursor(0, size * 0.8)
    c.drawText(text)


def _mark(c: Canvas, organisation: str, convert: Callable[[Color], Color]) -> None:
    """The organisation's mark: the envelope and its name, above the card code."""
    x, y, w, h = MARGIN_MM, MARGIN_MM + 5.5, 9.0, 6.2
    c.setFillColor(convert(MARK))
    c.roundRect(x * mm, y * mm, w * mm, h * mm, 1 * mm, stroke=0, fill=1)
    c.setStrokeColor(convert(Color(1, 0.98, 0.96)))
    c.setLineWidth(0.8)
    path = c.beginPath()
    path.moveTo((x + 0.8) * mm, (y + h - 0.8) * mm)
    path.lineTo((x + w / 2) * mm, (y + h / 2 - 0.6) * mm)
    path.lineTo((x + w - 0.8) * mm, (y + h - 0.8) * mm)
    c.drawPath(path, stroke=1, fill=0)
    c.setFillColor(convert(INK))
    c.setFont(reportlab_font_name(BACK_FONT), 8)
    c.drawString((x + w + 2) * mm, (y + 1.8) * mm, organisation)


def code_size(scale: float) -> float:
    """The code's size on the back in card points: CODE_PT as printed, never below 6 pt."""
    return max(CODE_PT, MIN_CODE_PT) / scale
