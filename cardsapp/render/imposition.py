"""Where cards go on a sheet: home-printer grids, print-shop pages, crop marks (all in mm).

Home sheets (A4 or Letter, landscape) hold four cards in a 2 x 2 grid. Printers cannot print
the outer 4-5 mm of a sheet, so nothing is drawn nearer the edge than `HOME_CLEAR_MM`: the
crop marks end there, and the cards are scaled down as little as that allows (A6 cards print
at 88.1% on A4 and 85.9% on Letter; `home_scale` says which).
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.pagesizes import A4, landscape, letter
from reportlab.lib.units import mm

from cardsapp.render.designs import Design

PAPER = {"a4": landscape(A4), "letter": landscape(letter)}
HOME_GAP_MM = 4.0  # between neighbouring cards on a home sheet
HOME_ART_PAST_TRIM_MM = 2.0  # artwork beyond the trim on a home sheet (half the gap)
HOME_CLEAR_MM = 5.5  # nothing printed nearer a home sheet's edge (a laser printer's margin)
HOME_MARK_OFFSET_MM = 2.5  # from the trim: clear of the artwork that runs 2 mm past it
HOME_MARK_LENGTH_MM = 2.5
HOME_MARGIN_MM = HOME_CLEAR_MM + HOME_MARK_OFFSET_MM + HOME_MARK_LENGTH_MM  # edge to trim
SHOP_SLUG_MM = 9.0  # page beyond the trim (for a 3 mm bleed): bleed, 1 mm, marks, 1 mm
MARK_OFFSET_MM = 3.0  # a crop mark starts this far from the trim line (clear of the art)
MARK_LENGTH_MM = 4.0


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
    scale = min(1.0, cell.w / w, cell.h / h)
    trim_w, trim_h = w * scale, h * scale
    trim = Rect(cell.x + (cell.w - trim_w) / 2, cell.y + (cell.h - trim_h) / 2, trim_w, trim_h)
    return Slot(trim, rotated, scale)


def home_scale(design: Design, paper: str) -> float:
    """How much a card of `design` is scaled on a home sheet of `paper` (1.0 = full size)."""
    return fit_in_cell(design, home_sheet(paper).slots[0]).scale


def shop_page(design: Design) -> tuple[PageGeometry, Slot]:
    """A print-shop page, always landscape: a portrait card is turned a quarter onto it."""
    rotated = design.height_mm > design.width_mm
    w, h = (design.height_mm, design.width_mm) if rotated else (design.width_mm, design.height_mm)
    slug = design.bleed_mm + SHOP_SLUG_MM - 3.0
    trim = Rect(slug, slug, w, h)
    return PageGeometry(w + 2 * slug, h + 2 * slug, (trim,)), Slot(trim, rotated, 1.0)


def crop_marks(
    trim: Rect,
    page: PageGeometry,
    sides: str = "tblr",
    offset: float = MARK_OFFSET_MM,
    length: float = MARK_LENGTH_MM,
) -> list[tuple[float, ...]]:
    """Line segments (x1, y1, x2, y2 in mm) extending the trim lines into the margins."""
    marks: list[tuple[float, ...]] = []
    near, far = offset, offset + length
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
