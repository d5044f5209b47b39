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
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFStreamFilterZCompress
from reportlab.pdfgen.canvas import Canvas

from cardsapp.domain.layout import Layout
from cardsapp.render import reportlab_doc
from cardsapp.render.card import fit_card
from cardsapp.render.card_back import (
    BACK_FONT,
    CODE_AT_MM,
    INK,
    CardBack,
    code_size,
    draw_back_form,
)
from cardsapp.render.card_code import (
    CODE_FONT,
    CodePlacement,
    characters_that_always_fit,
    code_fits,
    place_code,
)
from cardsapp.render.designs import Design
from cardsapp.render.fonts import register_reportlab_fonts, reportlab_font_name
from cardsapp.render.imposition import (
    HOME_ART_PAST_TRIM_MM,
    HOME_MARK_LENGTH_MM,
    HOME_MARK_OFFSET_MM,
    PAPER,
    PageGeometry,
    Rect,
    Slot,
    crop_marks,
    fit_in_cell,
    home_sheet,
    shop_page,
)
from cardsapp.render.pdf_text import SubsetText, TextBlock
from cardsapp.render.pdfx import (
    PDF_VERSION,
    SRGB,
    OutputTarget,
    convert_artwork,
    convert_colour,
    mark_pdfx,
)

# Raw binary streams: ASCII85 makes images 25% larger and slower to write.
rl_config.useA85 = 0

MARK_WIDTH_PT = 0.25
PROGRESS_EVERY = 50
# zlib's fastest level: at the default (6) compressing took 16 of the 41 ms that saving a
# 1,000-card PDF takes, for a file 1% smaller (the artwork is JPEG, compressed already).
FLATE_LEVEL = 1


class _QuickFlate(PDFStreamFilterZCompress):  # type: ignore[misc]  # ReportLab is untyped
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


def _marks(segments: Iterable[tuple[float, ...]], cmyk: bool = False) -> str:
    """Operators stroking the segments (x1, y1, x2, y2 in mm) as thin black lines."""
    path = " ".join(
        f"{fp_str(x1 * mm, y1 * mm)} m {fp_str(x2 * mm, y2 * mm)} l" for x1, y1, x2, y2 in segments
    )
    black = "0 0 0 1 K" if cmyk else "0 0 0 RG"  # in the file's one colour space
    return f"{fp_str(MARK_WIDTH_PT)} w\n{black}\nn {path}\nS"


def _home_sides(index: int) -> str:
    # Each card's cut lines get marks in the two sheet margins it touches.
    return ("t" if index < 2 else "b") + ("l" if index % 2 == 0 else "r")


def _home_place(design: Design, sheet: PageGeometry, index: int) -> _Place:
    """The card of `design` in cell `index` of a home sheet."""
    slot = fit_in_cell(design, sheet.slots[index])
    sides = _home_sides(index)
    marks = crop_marks(slot.trim, sheet, sides, HOME_MARK_OFFSET_MM, HOME_MARK_LENGTH_MM)
    return _Place(sheet, slot, HOME_ART_PAST_TRIM_MM, _begin(slot), _marks(marks))


def _home_place_behind(design: Design, sheet: PageGeometry, index: int) -> _Place:
    """Where the back of the card in cell `index` goes: the cell across the sheet's middle,
    which is behind it once the sheet is printed two-sided and flipped on the short edge."""
    row, column = divmod(index, 2)
    return _home_place(design, sheet, row * 2 + (1 - column))


def _shop_place(design: Design, cmyk: bool) -> _Place:
    """The card of `design` on its print-shop page."""
    page, slot = shop_page(design)
    # Clear of the bleed, so that no mark prints on the picture.
    marks = crop_marks(slot.trim, page, offset=design.bleed_mm + 1)
    return _Place(page, slot, design.bleed_mm, _begin(slot), _marks(marks, cmyk))


class _CardPainter:
    """Draws cards onto a canvas; one artwork form per design and art extent."""

    def __init__(
        self, canvas: Canvas, designs: Mapping[str, Design], output: OutputTarget = SRGB
    ) -> None:
        self.canvas = canvas
        self.designs = designs
        self.output = output
        self.faces = register_reportlab_fonts()
        self.forms: set[str] = set()
        self.colours: dict[str, Color] = {}
        self.codes: dict[tuple[str, float], tuple[CodePlacement, Color, int]] = {}
        self.subset_text = SubsetText(reportlab_doc.document(canvas))

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
        artwork = convert_artwork(design.artwork, self.output)
        c.drawImage(artwork, -b, -b, w + 2 * b, h + 2 * b)
        c.endForm()
        self.forms.add(name)
        return name

    def colour(self, design: Design) -> Color:
        colour = self.colours.get(design.slug)
        if colour is None:
            colour = HexColor(design.colour)
            colour = self.colours[design.slug] = convert_colour(colour, self.output)
        return colour

    def draw(self, card: PrintCard, place: _Place, code: bool = True) -> None:
        """One card: artwork, message, signature, card code (unless on the back) and marks."""
        design = self.designs[card.design_slug]
        layout = fit_card(design, card.message, card.signature)
        c = self.canvas
        c.addLiteral(place.begin)
        c.doForm(self.art_form(design, place.past_trim / place.slot.scale))
        text = self._text(design, layout, card.routing if code else "", place.slot.scale)
        c.addLiteral(f"{text}\nQ\n{place.marks}")

    def draw_back(self, back: CardBack, routing: str, place: _Place) -> None:
        """A postcard's back with the card's code, where `place` puts a card, unturned."""
        if "back" not in self.forms:
            draw_back_form(self.canvas, "back", back, lambda c: convert_colour(c, self.output))
            self.forms.add("back")
        slot = place.slot
        c = self.canvas
        c.addLiteral(_begin(Slot(slot.trim, False, slot.scale)))
        c.doForm("back")
        text = TextBlock(c, self.subset_text)
        text.fill(convert_colour(INK, self.output))
        text.font(reportlab_font_name(BACK_FONT), code_size(slot.scale))
        text.show(CODE_AT_MM[0] * mm, CODE_AT_MM[1] * mm, routing)
        c.addLiteral(f"{text.operators()}\nQ\n{place.marks}")

    def _code(self, design: Design, routing: str, scale: float) -> tuple[CodePlacement, Color]:
        """The code's placement and colour: the design's usual ones unless the code is wide."""
        usual = self.codes.get((design.slug, scale))
        if usual is None:
            placed = place_code(design, "", scale)
            colour = convert_colour(placed.colour, self.output)
            short = characters_that_always_fit(design, placed)
            usual = self.codes[design.slug, scale] = (placed, colour, short)
        placed, colour, short = usual
        if len(routing) > short and not code_fits(design, routing, placed):
            placed = place_code(design, routing, scale)
        return placed, colour

    def _text(self, design: Design, layout: Layout, routing: str, scale: float) -> str:
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
        if routing:
            code, colour = self._code(design, routing, scale)
            text.fill(colour)
            text.font(reportlab_font_name(CODE_FONT), code.size_pt)
            text.show(code.x_mm * mm, code.baseline_mm * mm, routing)
        return text.operators()


def render_cards_pdf(
    target: str | Path | BinaryIO,
    cards: Iterable[PrintCard],
    designs: Mapping[str, Design],
    layout: str,
    progress: Callable[[int], None] | None = None,
    title: str = "Cards",
    output: OutputTarget = SRGB,
    back: CardBack | None = None,
) -> int:
    """Write the cards PDF for `layout` (home_a4, home_letter, print_shop); return the pages.

    A print-shop file is PDF/X-4 for the `output` condition (sRGB unless a print shop gave a
    CMYK profile); home sheets are plain PDF for the printer at hand. With a `back` (a
    postcard) each front page is followed by its backs, the card code on the back: on a home
    sheet each back sits behind its front when the sheet is printed two-sided, flipped on
    the short edge.
    """
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
        initialFontName=reportlab_font_name(CODE_FONT),
        pdfVersion=PDF_VERSION if shop else None,
    )
    reportlab_doc.set_stream_filters(canvas, [_QuickFlate()])
    canvas.setTitle(title)
    canvas.setCreator("cardsapp")
    if not shop:
        output = SRGB
    painter = _CardPainter(canvas, designs, output)
    places: dict[tuple[str, int], _Place] = {}
    pages = 0
    done = 0
    slot_index = 0
    backs: list[tuple[str, _Place]] = []  # the sheet's backs to draw after its fronts

    def show_backs() -> None:
        nonlocal pages
        if back is None:
            return
        canvas.showPage()
        pages += 1
        for routing, place in backs:
            if shop:
                page = place.page
                canvas.setPageSize((page.width * mm, page.height * mm))
                _set_boxes(canvas, place.slot.trim, place.past_trim)
            painter.draw_back(back, routing, place)
        backs.clear()

    for card in cards:
        place = places.get((card.design_slug, slot_index))
        if place is None:
            design = designs[card.design_slug]
            place = places[card.design_slug, slot_index] = (
                _shop_place(design, output.cmyk) if shop else _home_place(design, sheet, slot_index)
            )
        if shop:
            page = place.page
            canvas.setPageSize((page.width * mm, page.height * mm))
            _set_boxes(canvas, place.slot.trim, designs[card.design_slug].bleed_mm)
            painter.draw(card, place, code=back is None)
            backs.append((card.routing, place))
            show_backs()
            canvas.showPage()
            pages += 1
        else:
            painter.draw(card, place, code=back is None)
            if back is not None:
                backs.append(
                    (card.routing, _home_place_behind(designs[card.design_slug], sheet, slot_index))
                )
            slot_index += 1
            if slot_index == len(sheet.slots):
                show_backs()
                canvas.showPage()
                pages += 1
                slot_index = 0
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
    if slot_index:
        show_backs()
    if slot_index or pages == 0:
        canvas.showPage()
        pages += 1
    reportlab_doc.share_page_resources(canvas)
    if shop:
        mark_pdfx(canvas, output)
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


def page_of_card(index: int, layout: str, two_sided: bool = False) -> int:
    """The page (from 1) on which the card at `index` (from 0) is printed (its front)."""
    sheet = math.floor(index / cards_per_page(layout))
    return sheet * (2 if two_sided else 1) + 1
