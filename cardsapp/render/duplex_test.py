"""A two-page test of a home printer's duplex offset, for postcards printed two-sided.

Page 1 (the front) has a cross at the centre of each card cell; page 2 (the back) has a
millimetre scale behind each cross, placed as the card backs are (flipped on the short edge).
Printed on one sheet and held to the light, each cross falls on its scale: the figure it
touches is the offset, in mm, to put right in the printer's settings.
"""

from __future__ import annotations

from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from cardsapp.render.fonts import register_reportlab_fonts, reportlab_font_name
from cardsapp.render.imposition import PAPER, home_sheet

SCALE_MM = 5  # the scale runs this far each way from the centre
INSTRUCTIONS = (
    "Duplex test: print both pages on one sheet, two-sided, flip on short edge, at 100 %.",
    "Hold the sheet to the light: each cross falls on the scale behind it. The figure it",
    "touches is the offset in mm (right and up are +) to correct in the printer's settings.",
)


def render_duplex_test(target: BinaryIO, paper: str = "a4") -> int:
    """Write the two-page duplex test for `paper` (a4 or letter); return the pages."""
    register_reportlab_fonts()
    sheet = home_sheet(paper)
    canvas = Canvas(target, pagesize=PAPER[paper], invariant=1)
    canvas.setTitle(f"Duplex test {paper.upper()}")
    canvas.setCreator("cardsapp")
    face = reportlab_font_name("noto-sans")
    centres = [(c.x + c.w / 2, c.y + c.h / 2) for c in sheet.slots]
    canvas.setLineWidth(0.3)
    for x, y in centres:
        canvas.line((x - 8) * mm, y * mm, (x + 8) * mm, y * mm)
        canvas.line(x * mm, (y - 8) * mm, x * mm, (y + 8) * mm)
    text = canvas.beginText((sheet.slots[0].x + 4) * mm, (sheet.slots[0].y + 12) * mm)
    text.setFont(face, 8, 10)
    for line in INSTRUCTIONS:
        text.textLine(line)
    canvas.drawText(text)
    canvas.showPage()
    canvas.setLineWidth(0.2)
    canvas.setFont(face, 5)
    for x, y in centres:
        bx = sheet.width - x  # behind the front's cross once flipped on the short edge
        for k in range(-SCALE_MM, SCALE_MM + 1):
            tick = 2.5 if k % 5 == 0 else 1.2
            # Ticks on one side of each axis only, so the two scales do not cross.
            canvas.line((bx - k) * mm, y * mm, (bx - k) * mm, (y + tick) * mm)
            canvas.line(bx * mm, (y + k) * mm, (bx + tick) * mm, (y + k) * mm)
            if k and k % 5 == 0:
                # Seen through the sheet from the front, right on the front is left here.
                # Figures beyond the ends of the other scale, so that none overlaps.
                canvas.drawCentredString((bx - k) * mm, (y - SCALE_MM - 3) * mm, f"{k:+d}")
                canvas.drawString((bx + SCALE_MM + 2) * mm, (y + k - 0.6) * mm, f"{k:+d}")
        canvas.line((bx - SCALE_MM) * mm, y * mm, (bx + SCALE_MM) * mm, y * mm)
        canvas.line(bx * mm, (y - SCALE_MM) * mm, bx * mm, (y + SCALE_MM) * mm)
    canvas.showPage()
    canvas.save()
    return 2
