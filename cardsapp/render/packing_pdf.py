"""The packing list: which envelope gets how many cards. No address, no message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from cardsapp.render import reportlab_doc
from cardsapp.render.fonts import register_reportlab_fonts, reportlab_font_name
from cardsapp.render.pdf_text import SubsetText, TextBlock

rl_config.useA85 = 0

FONT = "noto-sans"
ROW_MM = 7.0
MARGIN_MM = 18.0
RULE = Color(0.8, 0.8, 0.8)
COLUMNS_MM = (0.0, 14.0, 50.0, 75.0)  # #, envelope, cards, pages of the cards PDF


@dataclass(frozen=True)
class PackingRow:
    """One envelope: its code, how many cards, and where they are in the cards PDF."""

    position: int
    code: str
    cards: int
    first_page: int
    last_page: int


@dataclass(frozen=True)
class PackingHeader:
    """What the top of the list says about the batch."""

    batch_code: str
    layout: str
    cards: int
    envelopes: int
    created: str


def render_packing_pdf(
    target: str | Path | BinaryIO, header: PackingHeader, rows: Iterable[PackingRow]
) -> int:
    """Write the packing list; return its number of pages."""
    register_reportlab_fonts()
    face = reportlab_font_name(FONT)
    canvas = Canvas(
        str(target) if isinstance(target, str | Path) else target,
        pagesize=A4,
        invariant=1,
        initialFontName=face,
    )
    canvas.setTitle(f"Packing list {header.batch_code}")
    canvas.setCreator("cardsapp")
    width, height = A4
    pages = 1

    def page_top(first: bool) -> float:
        y = height - MARGIN_MM * mm
        if first:
            canvas.setFont(face, 16)
            canvas.drawString(MARGIN_MM * mm, y, f"Packing list · batch {header.batch_code}")
            y -= 8 * mm
            canvas.setFont(face, 9.5)
            canvas.drawString(
                MARGIN_MM * mm,
                y,
                f"{header.cards} cards in {header.envelopes} envelopes · layout {header.layout}"
                f" · created {header.created}",
            )
            y -= 5 * mm
            canvas.drawString(
                MARGIN_MM * mm,
                y,
                "Put the cards whose code shows an envelope into that envelope, "
                "then stick the label with the same code on it.",
            )
            y -= 10 * mm
        canvas.setFont(face, 9)
        canvas.setFillColorRGB(0.35, 0.35, 0.35)
        for x, heading in zip(
            COLUMNS_MM, ("#", "Envelope", "Cards", "Cards PDF pages"), strict=True
        ):
            canvas.drawString((MARGIN_MM + x) * mm, y, heading)
        canvas.setFillColorRGB(0, 0, 0)
        return float(y - ROW_MM * mm)

    y = page_top(True)
    # A row's text as one block of operators: a ReportLab text object for each string was
    # most of the time this list took.
    text = SubsetText(reportlab_doc.document(canvas))
    columns = [(MARGIN_MM + x) * mm for x in COLUMNS_MM]
    for row in rows:
        if y < MARGIN_MM * mm:
            canvas.showPage()
            pages += 1
            y = page_top(False)
        pages_text = (
            str(row.first_page)
            if row.first_page == row.last_page
            else f"{row.first_page}–{row.last_page}"
        )
        block = TextBlock(canvas, text)
        block.font(face, 11)
        for x, value in zip(
            columns, (str(row.position), row.code, str(row.cards), pages_text), strict=True
        ):
            block.show(x, y, value)
        block.draw()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.3)
        canvas.line(MARGIN_MM * mm, y - 2.2 * mm, width - MARGIN_MM * mm, y - 2.2 * mm)
        y -= ROW_MM * mm
    canvas.showPage()
    canvas.save()
    return pages
