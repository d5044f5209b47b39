"""Envelopes printed directly, an alternative to labels: C6 or DL, one envelope a page.

The same inputs as the labels (`LabelItem`: the envelope's code and the address lines) and the
same rules: built in memory when an addresser asks, never written to disk; the address shrinks
to 7 pt at the smallest, then wraps, and never prints outside its box (an address that cannot
fit a label is refused at import, and every envelope's box is larger than a label's).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from reportlab.lib.units import mm

from cardsapp.render.fonts import reportlab_font_name
from cardsapp.render.labels_pdf import (
    ADDRESS_FONT,
    CODE_COLOUR,
    CODE_FONT,
    CODE_PT,
    LINE_SPACING,
    LabelItem,
    address_canvas,
    fit_address,
)


@dataclass(frozen=True)
class EnvelopeSize:
    """An envelope fed landscape, in mm, and where its address and code go."""

    name: str
    width: float
    height: float
    address: tuple[float, float, float, float]  # x, y (from bottom-left), w, h
    code_at: tuple[float, float]  # the code's baseline start, from the top-left corner

    def address_box(self, offset: tuple[float, float] = (0.0, 0.0)) -> tuple[float, ...]:
        """The address box moved by a printer's calibration offset (right, down)."""
        x, y, w, h = self.address
        return (x + offset[0], y - offset[1], w, h)


ENVELOPES = {
    # ISO 269 C6: 162 x 114 mm, for an A6 card. The address sits right of centre and low,
    # where post offices' machines read it; printers keep 10 mm clear round the edge.
    "C6": EnvelopeSize("C6", 162.0, 114.0, (60.0, 14.0, 92.0, 42.0), (12.0, 14.0)),
    # DL: 220 x 110 mm, for an A4 folded in three or a folded card.
    "DL": EnvelopeSize("DL", 220.0, 110.0, (100.0, 14.0, 100.0, 42.0), (12.0, 14.0)),
}
DEFAULT_ENVELOPE = "C6"


def render_envelopes_pdf(
    target: BinaryIO,
    envelopes: Iterable[LabelItem],
    size_name: str = DEFAULT_ENVELOPE,
    offset_mm: tuple[float, float] = (0.0, 0.0),
    title: str = "Envelopes",
) -> int:
    """Write one page per envelope to `target` (in memory); return the number of pages."""
    size = ENVELOPES[size_name]
    canvas = address_canvas(target, size.width, size.height, title)
    face = reportlab_font_name(ADDRESS_FONT)
    x, y, w, h = size.address_box(offset_mm)
    pages = 0
    for envelope in envelopes:
        code = canvas.beginText()
        code.setFillColor(CODE_COLOUR)
        code.setFont(reportlab_font_name(CODE_FONT), CODE_PT)
        code_x, code_top = size.code_at
        code.setTextOrigin(
            (code_x + offset_mm[0]) * mm, (size.height - code_top - offset_mm[1]) * mm
        )
        code.textOut(envelope.routing)
        canvas.drawText(code)
        fitted = fit_address(envelope.lines, w, h)
        canvas.saveState()
        clip = canvas.beginPath()
        clip.rect(x * mm, y * mm, w * mm, h * mm)
        canvas.clipPath(clip, stroke=0, fill=0)
        text = canvas.beginText()
        text.setFillColorRGB(0, 0, 0)
        text.setFont(face, fitted.size_pt)
        baseline = (y + h) * mm - fitted.size_pt * 0.95
        for line in fitted.lines:
            text.setTextOrigin(x * mm, baseline)
            text.textOut(line)
            baseline -= fitted.size_pt * LINE_SPACING
        canvas.drawText(text)
        canvas.restoreState()
        canvas.showPage()
        pages += 1
    if pages == 0:
        canvas.showPage()
        pages = 1
    canvas.save()
    return pages
