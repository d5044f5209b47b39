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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape, letter
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from cardsapp.domain.layout import Layout
from cardsapp.render.card import fit_card
from cardsapp.render.designs import Design
from cardsapp.render.fonts import register_reportlab_fonts, reportlab_font_name

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


_Word = tuple[int, str, tuple[tuple[int, str], ...]]  # one subset (or -1), escaped, runs


class _SubsetText:
    """One document's words as runs of TrueType subset codes, each word split once.

    ReportLab maps every character of every line to its font subset in Python
    (`TTFont.splitString`), which made text output a third of the build. Here each word goes
    through the same `splitString` (the interface ReportLab documents for its subset fonts)
    once per document, and a line is put together from its words' runs. Words meet
    `splitString` in reading order, so subsets are numbered exactly as before.
    """

    def __init__(self, doc: object) -> None:
        self.doc = doc  # ReportLab keeps each font's subsets per document
        self.words: dict[str, dict[str, _Word]] = {}

    def runs(self, face: str, text: str) -> list[tuple[int, str]]:
        """(subset, escaped codes) for each run of `text` within one subset of `face`."""
        words = self.words.get(face)
        if words is None:
            words = self.words[face] = {}
        parts = text.split(" ")
        spaced = len(parts) > 1
        try:
            found = [words[word] for word in parts]
            space = words[" "] if spaced else None
        except KeyError:
            self._learn(face, words, parts)
            found = [words[word] for word in parts]
            space = words[" "] if spaced else None
        subsets = {word[0] for word in found}
        if space is not None:
            subsets.add(space[0])
        if len(subsets) == 1 and -1 not in subsets:
            # Almost every line: all of it in one subset, so one run.
            joiner = space[1] if space is not None else ""
            return [(found[0][0], joiner.join([word[1] for word in found]))]
        runs: list[tuple[int, str]] = []
        for i, word in enumerate(found):
            pieces = (space[2] + word[2]) if i and space is not None else word[2]
            for subset, escaped in pieces:
                if runs and runs[-1][0] == subset:
                    runs[-1] = (subset, runs[-1][1] + escaped)
                else:
                    runs.append((subset, escaped))
        return runs

    def _learn(self, face: str, words: dict[str, _Word], parts: list[str]) -> None:
        """Split the words not seen yet, in the order the line has them."""
        font = getFont(face)
        for i, word in enumerate(parts):
            for piece in (" ", word) if i else (word,):
                if piece not in words:
                    # Escaping works byte by byte, so escaped runs can be joined.
                    runs = tuple(
                        (subset, escapePDF(codes))
                        for subset, codes in font.splitString(piece, self.doc)
                    )
                    subsets = {subset for subset, _ in runs}
                    one = subsets.pop() if len(subsets) == 1 else -1  # -1: none or several
                    words[piece] = (one, "".join(escaped for _, escaped in runs), runs)


class _TextBlock:
    """A card's text operators: byte for byte what ReportLab's text object writes for the same
    `setFillColor`, `setFont`, `setTextOrigin` and `textOut` calls (a test compares them), less
    the work of moving a text cursor that every line sets again anyway."""

    def __init__(self, canvas: Canvas, text: _SubsetText) -> None:
        self.canvas = canvas
        self.text = text
        self.code = ["BT", "1 0 0 1 0 0 Tm"]
        self.face = ""
        self.size_ops = ""
        self.subset = -1

    def fill(self, colour: Color) -> None:
        """Fill colour for what follows: an opaque RGB colour."""
        if colour.alpha not in (None, 1):
            raise ValueError(f"card text must be opaque, not {colour!r}")
        self.code.append(f"{fp_str(colour.red, colour.green, colour.blue)} rg")
        if colour.alpha is not None:
            # What the text object does for any colour with an alpha: it writes nothing while
            # the alpha stays 1, but marks the file PDF 1.4 as before.
            self.canvas.setFillAlpha(colour.alpha)

    def font(self, face: str, size: float) -> None:
        """Font and size for what follows; the leading is ReportLab's default, 1.2 x size."""
        self.face, self.subset = face, -1
        self.size_ops = f"{fp_str(size)} Tf {fp_str(size * 1.2)} TL"

    def show(self, x: float, y: float, line: str) -> None:
        """`line` with its left end on the baseline at (x, y) pt."""
        code = self.code
        code.append(f"1 0 0 1 {fp_str(x, y)} Tm")
        if not line:
            code.append("")  # ReportLab writes an empty operator list, so one more space
            return
        for subset, escaped in self.text.runs(self.face, line):
            if subset != self.subset:
                name = getFont(self.face).getSubsetInternalName(subset, self.text.doc)
                code.append(f"{name} {self.size_ops}")
                self.subset = subset
            code.append(f"({escaped}) Tj")

    def draw(self) -> None:
        """Put the block on the page."""
        self.code.append("ET")
        self.canvas.addLiteral(" ".join(self.code))


class _CardPainter:
    """Draws cards onto a canvas; one artwork form per design and art extent."""

    def __init__(self, canvas: Canvas, designs: Mapping[str, Design]) -> None:
        self.canvas = canvas
        self.designs = designs
        self.faces = register_reportlab_fonts()
        self.forms: set[str] = set()
        self.colours: dict[str, Color] = {}
        self.subset_text = _SubsetText(canvas._doc)

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

    def draw(self, card: PrintCard, slot: Slot, past_trim: float) -> None:
        """One card: artwork, message, signature and routing code, in the slot."""
        design = self.designs[card.design_slug]
        layout = fit_card(design, card.message, card.signature)
        c = self.canvas
        c.saveState()
        if slot.rotated:
            # Turned a quarter: the card's top edge runs along the slot's left side.
            c.translate(slot.trim.x * mm, slot.trim.y * mm)
            c.rotate(90)
            c.translate(0, -slot.trim.w * mm)
        else:
            c.translate(slot.trim.x * mm, slot.trim.y * mm)
        if slot.scale != 1.0:
            c.scale(slot.scale, slot.scale)
        c.doForm(self.art_form(design, past_trim / slot.scale))
        self._text(design, layout, card.routing)
        c.restoreState()

    def _text(self, design: Design, layout: Layout, routing: str) -> None:
        height = design.height_mm
        face = self.faces[design.font]
        text = _TextBlock(self.canvas, self.subset_text)
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
        text.draw()


class _Marks:
    """Draws crop marks; the few distinct sets of marks in a document are built once."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.paths: dict[tuple[tuple[float, ...], ...], PDFPathObject] = {}

    def draw(self, segments: Iterable[tuple[float, ...]]) -> None:
        """Stroke the segments (x1, y1, x2, y2 in mm)."""
        canvas = self.canvas
        key = tuple(segments)
        path = self.paths.get(key)
        if path is None:
            path = self.paths[key] = canvas.beginPath()
            for x1, y1, x2, y2 in key:
                path.moveTo(x1 * mm, y1 * mm)
                path.lineTo(x2 * mm, y2 * mm)
        canvas.setLineWidth(MARK_WIDTH_PT)
        canvas.setStrokeColorRGB(0, 0, 0)
        canvas.drawPath(path, stroke=1, fill=0)


def _home_sides(index: int) -> str:
    # Each card's cut lines get marks in the two sheet margins it touches.
    return ("t" if index < 2 else "b") + ("l" if index % 2 == 0 else "r")


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
        pageCompression=1,
        # Every font in the file is an embedded subset, even the one no text uses.
        initialFontName=reportlab_font_name(ROUTING_FONT),
    )
    canvas.setTitle(title)
    canvas.setCreator("cardsapp")
    painter = _CardPainter(canvas, designs)
    marks = _Marks(canvas)
    pages = 0
    done = 0
    slot_index = 0
    for card in cards:
        design = designs[card.design_slug]
        if shop:
            page, slot = shop_page(design)
            canvas.setPageSize((page.width * mm, page.height * mm))
            _set_boxes(canvas, slot.trim, design.bleed_mm)
            painter.draw(card, slot, design.bleed_mm)
            # Clear of the bleed, so that no mark prints on the picture.
            marks.draw(crop_marks(slot.trim, page, offset=design.bleed_mm + 1))
            canvas.showPage()
            pages += 1
        else:
            slot = fit_in_cell(design, sheet.slots[slot_index])
            painter.draw(card, slot, HOME_ART_PAST_TRIM_MM)
            marks.draw(crop_marks(slot.trim, sheet, _home_sides(slot_index)))
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
    canvas.save()
    if progress is not None:
        progress(done)
    return pages


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
