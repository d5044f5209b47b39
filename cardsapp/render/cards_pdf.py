"""The cards PDF: vector text in embedded subset fonts over each design's artwork.

Two layouts:
- home printer (A4 or Letter, landscape): four cards to a sheet in a 2 x 2 grid, scaled to
  leave room for crop marks and the printer's unprintable edge, with the artwork running
  2 mm past the trim so that a slightly wide cut shows picture, not paper;
- print shop: one card per page at full size with its 3 mm bleed, crop marks outside the
  bleed, TrimBox and BleedBox set.

Each design's artwork is one image XObject wrapped in a form XObject, embedded once per PDF
and drawn on every card that uses it. The text positions come from `fit_card`, the same
layout the donor's preview shows.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape, letter
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import (
    PDFDictionary,
    PDFResourceDictionary,
    PDFStreamFilterZCompress,
)
from reportlab.pdfgen.canvas import Canvas

from cardsapp.domain.layout import Layout
from cardsapp.render.card import fit_card
from cardsapp.render.designs import Design
from cardsapp.render.fonts import register_reportlab_fonts, reportlab_font_name
from cardsapp.render.pdf_text import SubsetText, TextBlock

# Raw binary streams: ASCII85 makes images 25% larger and slower to write.
rl_config.useA85 = 0

PAPER = {"a4": landscape(A4), "letter": landscape(letter)}
HOME_GAP_MM = 4.0  # between neighbouring cards on a home sheet
HOME_MARGIN_MM = 7.0  # smallest sheet margin: printers cannot print the outer 3-5 mm
HOME_ART_PAST_TRIM_MM = 2.0  # artwork beyond the trim on a home sheet (half the gap)
SHOP_SLUG_MM = 9.0  # page beyond the trim (for a 3 mm bleed): bleed, 1 mm, marks, 1 mm
MARK_OFFSET_MM = 3.0  # a crop mark starts this far from the trim line (clear of the art)
MARK_LENGTH_MM = 4.0
MARK_WIDTH_PT = 0.25
ROUTING_FONT = "noto-sans"
ROUTING_SIZE_PT = 5.0
ROUTING_COLOUR = Color(0.25, 0.25, 0.25)
ROUTING_X_MM = 2.5  # from the trim's left edge
ROUTING_BASELINE_MM = 1.8  # from the trim's bottom edge
PROGRESS_EVERY = 50
# zlib's fastest level: at the default (6) compressing took 16 of the 41 ms that saving a
# 1,000-card PDF takes, for a file 1% smaller (the artwork is JPEG, compressed already).
FLATE_LEVEL = 1


class _QuickFlate(PDFStreamFilterZCompress):
    """ReportLab's Flate filter at `FLATE_LEVEL` (ReportLab's own has no level to set)."""

    def encode(self, text: str | bytes) -> bytes:
        """Compress a stream's content (text as UTF-8, as ReportLab's filter does)."""
        data = text.encode("utf8") if isinstance(text, str) else text
        return zlib.compress(data, FLATE_LEVEL)


@dataclass(frozen=True)
class PrintCard:
    """What goes on one printed card: no recipient, no address."""

    design_slug: str
    message: str
    signature: str
    routing: str


@dataclass(frozen=True)
class Rect:
    """A rectangle in mm from the page's bottom-left corner (PDF orientation)."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Slot:
    """Where one card goes on a page: its trim rectangle, rotation and scale."""

    trim: Rect
    rotated: bool
    scale: float


@dataclass(frozen=True)
class PageGeometry:
    """A page's size and the card slots on it, in mm."""

    width: float
    height: float
    slots: tuple[Rect, ...]  # cells on a home sheet; the trim on a print-shop page


def home_sheet(paper: str) -> PageGeometry:
    """The 2 x 2 grid of cells on a landscape home-printer sheet."""
    width_pt, height_pt = PAPER[paper]
    width, height = width_pt / mm, height_pt / mm
    cell_w = (width - 2 * HOME_MARGIN_MM - HOME_GAP_MM) / 2
    cell_h = (height - 2 * HOME_MARGIN_MM - HOME_GAP_MM) / 2
    cells = []
    for row in range(2):  # top row first
        for column in range(2):
            x = HOME_MARGIN_MM + column * (cell_w + HOME_GAP_MM)
            y = height - HOME_MARGIN_MM - (row + 1) * cell_h - row * HOME_GAP_MM
            cells.append(Rect(x, y, cell_w, cell_h))
    return PageGeometry(width, height, tuple(cells))


def fit_in_cell(design: Design, cell: Rect) -> Slot:
    """The design's card, turned landscape, scaled down (never up) and centred in `cell`."""
    rotated = design.height_mm > design.width_mm
    w, h = (design.height_mm, design.width_mm) if rotated else (design.width_mm, design.height_mm)
    # The artwork runs past the trim by a fixed amount, so the card itself must leave room.
    scale = min(1.0, cell.w / w, cell.h / h)
    trim_w, trim_h = w * scale, h * scale
    trim = Rect(cell.x + (cell.w - trim_w) / 2, cell.y + (cell.h - trim_h) / 2, trim_w, trim_h)
    return Slot(trim, rotated, scale)


def shop_page(design: Design) -> tuple[PageGeometry, Slot]:
    """A print-shop page: the trim centred on a page with room for bleed and marks."""
    slug = design.bleed_mm + SHOP_SLUG_MM - 3.0
    width = design.width_mm + 2 * slug
    height = design.height_mm + 2 * slug
    trim = Rect(slug, slug, design.width_mm, design.height_mm)
    return PageGeometry(width, height, (trim,)), Slot(trim, False, 1.0)


def crop_marks(
    trim: Rect, page: PageGeometry, sides: str = "tblr", offset: float = MARK_OFFSET_MM
) -> list[tuple[float, ...]]:
    """Line segments (x1, y1, x2, y2 in mm) extending the trim lines into the margins."""
    marks: list[tuple[float, ...]] = []
    near, far = offset, offset + MARK_LENGTH_MM
    top, bottom, left, right = trim.y + trim.h, trim.y, trim.x, trim.x + trim.w
    for x in (left, right):
        if "t" in sides:
            marks.append((x, top + near, x, min(page.height, top + far)))
        if "b" in sides:
            marks.append((x, bottom - near, x, max(0.0, bottom - far)))
    for y in (bottom, top):
        if "l" in sides:
            marks.append((left - near, y, max(0.0, left - far), y))
        if "r" in sides:
            marks.append((right + near, y, min(page.width, right + far), y))
    return marks


@dataclass(frozen=True)
class _Place:
    """What is the same for every card of one design in one place on a page."""

    page: PageGeometry
    slot: Slot
    past_trim: float  # how far the artwork runs past the trim, in mm on the page
    begin: str  # operators that save the graphics state and move to the slot
    marks: str  # operators that draw the slot's crop marks


def _begin(slot: Slot) -> str:
    """Save the graphics state and make the card's trim corner the origin, scaled and turned."""
    s, x, y = slot.scale, slot.trim.x * mm, slot.trim.y * mm
    # Turned a quarter, the card's top edge runs along the slot's left side.
    matrix = (0, s, -s, 0, x + slot.trim.w * mm, y) if slot.rotated else (s, 0, 0, s, x, y)
    return f"q\n{fp_str(*matrix)} cm"


def _marks(segments: Iterable[tuple[float, ...]]) -> str:
    """Operators stroking the segments (x1, y1, x2, y2 in mm) as thin black lines."""
    path = " ".join(
        f"{fp_str(x1 * mm, y1 * mm)} m {fp_str(x2 * mm, y2 * mm)} l" for x1, y1, x2, y2 in segments
    )
    return f"{fp_str(MARK_WIDTH_PT)} w\n0 0 0 RG\nn {path}\nS"


def _home_sides(index: int) -> str:
    # Each card's cut lines get marks in the two sheet margins it touches.
    return ("t" if index < 2 else "b") + ("l" if index % 2 == 0 else "r")


def _home_place(design: Design, sheet: PageGeometry, index: int) -> _Place:
    """The card of `design` in cell `index` of a home sheet."""
    slot = fit_in_cell(design, sheet.slots[index])
    marks = crop_marks(slot.trim, sheet, _home_sides(index))
    return _Place(sheet, slot, HOME_ART_PAST_TRIM_MM, _begin(slot), _marks(marks))


def _shop_place(design: Design) -> _Place:
    """The card of `design` on its print-shop page."""
    page, slot = shop_page(design)
    # Clear of the bleed, so that no mark prints on the picture.
    marks = crop_marks(slot.trim, page, offset=design.bleed_mm + 1)
    return _Place(page, slot, design.bleed_mm, _begin(slot), _marks(marks))


class _CardPainter:
    """Draws cards onto a canvas; one artwork form per design and art extent."""

    def __init__(self, canvas: Canvas, designs: Mapping[str, Design]) -> None:
        self.canvas = canvas
        self.designs = designs
        self.faces = register_reportlab_fonts()
        self.forms: set[str] = set()
        self.colours: dict[str, Color] = {}
        self.subset_text = SubsetText(canvas._doc)

    def art_form(self, design: Design, past_trim: float) -> str:
        """The name of a form drawing the artwork, clipped `past_trim` mm beyond the trim."""
        name = f"art-{design.slug}-{round(past_trim * 100)}"
        if name in self.forms:
            return name
        c = self.canvas
        w, h, b = design.width_mm * mm, design.height_mm * mm, design.bleed_mm * mm
        e = past_trim * mm
        # The form's bounding box clips the artwork; the image itself is embedded once
        # (ReportLab keys images by file name) however many forms use it.
        c.beginForm(name, -e, -e, w + e, h + e)
        c.drawImage(str(design.artwork), -b, -b, w + 2 * b, h + 2 * b)
        c.endForm()
        self.forms.add(name)
        return name

    def colour(self, design: Design) -> Color:
        colour = self.colours.get(design.slug)
        if colour is None:
            colour = self.colours[design.slug] = HexColor(design.colour)
        return colour

    def draw(self, card: PrintCard, place: _Place) -> None:
        """One card: artwork, message, signature, routing code and crop marks, in its place."""
        design = self.designs[card.design_slug]
        layout = fit_card(design, card.message, card.signature)
        c = self.canvas
        c.addLiteral(place.begin)
        c.doForm(self.art_form(design, place.past_trim / place.slot.scale))
        c.addLiteral(f"{self._text(design, layout, card.routing)}\nQ\n{place.marks}")

    def _text(self, design: Design, layout: Layout, routing: str) -> str:
        height = design.height_mm
        face = self.faces[design.font]
        text = TextBlock(self.canvas, self.subset_text)
        text.fill(self.colour(design))
        text.font(face, layout.size_pt)
        for line in layout.lines:
            if line.text:
                text.show(line.x * mm, (height - line.baseline) * mm, line.text)
        if layout.signature is not None and layout.signature_size_pt is not None:
            text.font(face, layout.signature_size_pt)
            signature = layout.signature
            text.show(signature.x * mm, (height - signature.baseline) * mm, signature.text)
        text.fill(ROUTING_COLOUR)
        text.font(reportlab_font_name(ROUTING_FONT), ROUTING_SIZE_PT)
        text.show(ROUTING_X_MM * mm, ROUTING_BASELINE_MM * mm, routing)
        return text.operators()


def render_cards_pdf(
    target: str | Path | BinaryIO,
    cards: Iterable[PrintCard],
    designs: Mapping[str, Design],
    layout: str,
    progress: Callable[[int], None] | None = None,
    title: str = "Cards",
) -> int:
    """Write the cards PDF for `layout` (home_a4, home_letter, print_shop); return the pages."""
    shop = layout == "print_shop"
    paper = "letter" if layout == "home_letter" else "a4"
    sheet = home_sheet(paper)
    register_reportlab_fonts()
    canvas = Canvas(
        str(target) if isinstance(target, str | Path) else target,
        pagesize=PAPER[paper],
        invariant=1,
        # Off, so that ReportLab leaves each stream's filter to the document's default: page
        # content, forms and fonts are compressed all the same, by `_QuickFlate`.
        pageCompression=0,
        # Every font in the file is an embedded subset, even the one no text uses.
        initialFontName=reportlab_font_name(ROUTING_FONT),
    )
    canvas._doc.defaultStreamFilters = [_QuickFlate()]
    canvas.setTitle(title)
    canvas.setCreator("cardsapp")
    painter = _CardPainter(canvas, designs)
    places: dict[tuple[str, int], _Place] = {}
    pages = 0
    done = 0
    slot_index = 0
    for card in cards:
        place = places.get((card.design_slug, slot_index))
        if place is None:
            design = designs[card.design_slug]
            place = places[card.design_slug, slot_index] = (
                _shop_place(design) if shop else _home_place(design, sheet, slot_index)
            )
        if shop:
            page = place.page
            canvas.setPageSize((page.width * mm, page.height * mm))
            _set_boxes(canvas, place.slot.trim, designs[card.design_slug].bleed_mm)
            painter.draw(card, place)
            canvas.showPage()
            pages += 1
        else:
            painter.draw(card, place)
            slot_index += 1
            if slot_index == len(sheet.slots):
                canvas.showPage()
                pages += 1
                slot_index = 0
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
    if slot_index or pages == 0:
        canvas.showPage()
        pages += 1
    _share_resources(canvas)
    canvas.save()
    if progress is not None:
        progress(done)
    return pages


def _share_resources(canvas: Canvas) -> None:
    """One resource dictionary for all pages, written once, instead of one on every page.

    ReportLab writes a resource dictionary on each page, a fifth of saving a 1,000-card PDF.
    Every page uses the same fonts and some of a few artwork forms, and a page's resources may
    name more than the page uses: one dictionary naming every form serves them all.
    """
    doc = canvas._doc
    pages = doc.Pages.pages
    forms = PDFDictionary()
    for page in pages:
        if page.ExtGState or page._colorsUsed or page._shadingUsed:
            return  # resources cards never use: leave each page its own
        if page.XObjects:
            forms.dict.update(page.XObjects.dict)
    resources = PDFResourceDictionary()
    resources.basicFonts()
    resources.allProcs()  # the forms hold images
    resources.XObject = forms
    shared = doc.Reference(resources, "CardResources")
    for page in pages:
        page.Resources = shared


def _set_boxes(canvas: Canvas, trim: Rect, bleed: float) -> None:
    """TrimBox and BleedBox in points, as print shops' preflight expects."""
    canvas.setTrimBox((trim.x * mm, trim.y * mm, (trim.x + trim.w) * mm, (trim.y + trim.h) * mm))
    canvas.setBleedBox(
        (
            (trim.x - bleed) * mm,
            (trim.y - bleed) * mm,
            (trim.x + trim.w + bleed) * mm,
            (trim.y + trim.h + bleed) * mm,
        )
    )


def cards_per_page(layout: str) -> int:
    """How many cards a page of this layout holds."""
    return 1 if layout == "print_shop" else 4


def page_of_card(index: int, layout: str) -> int:
    """The page (from 1) on which the card at `index` (from 0) is printed."""
    return math.floor(index / cards_per_page(layout)) + 1
