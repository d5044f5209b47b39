"""Screen previews of a card (trim size, no bleed), drawn from the same layout as the print."""

from __future__ import annotations

import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from cardsapp.domain.layout import MM_PER_PT, Layout, Line
from cardsapp.render.card import layout_card
from cardsapp.render.designs import Design
from cardsapp.render.fonts import PIL_FEATURES, CardFont, exact_positioning, load_font

PREVIEW_QUALITY = 85
MAX_WIDTH_PX = 2400


@lru_cache(maxsize=64)
def artwork_at_width(design: Design, width_px: int) -> Image.Image:
    """The design's artwork cropped to the trim and scaled to `width_px`; decoded once."""
    if not 16 <= width_px <= MAX_WIDTH_PX:
        raise ValueError(f"width_px must be 16 to {MAX_WIDTH_PX}, not {width_px}")
    full_w = design.width_mm + 2 * design.bleed_mm
    full_h = design.height_mm + 2 * design.bleed_mm
    scale = width_px / design.width_mm  # px per mm on screen
    with Image.open(design.artwork) as source:
        # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding: far less work.
        source.draft("RGB", (math.ceil(full_w * scale), math.ceil(full_h * scale)))
        image = source.convert("RGB")
    px_per_mm = image.width / full_w
    left = design.bleed_mm * px_per_mm
    top = design.bleed_mm * px_per_mm
    trim = (left, top, left + design.width_mm * px_per_mm, top + design.height_mm * px_per_mm)
    height_px = round(width_px * design.height_mm / design.width_mm)
    return image.resize((width_px, height_px), Image.Resampling.LANCZOS, box=trim)


def draw_layout(image: Image.Image, design: Design, layout: Layout) -> None:
    """Draw a layout's lines onto an image of the card at trim size."""
    font = load_font(design.font)
    px_per_mm = image.width / design.width_mm
    pen = ImageDraw.Draw(image)
    colour = design.colour
    for size_pt, lines in (
        (layout.size_pt, layout.lines),
        (layout.signature_size_pt, (layout.signature,) if layout.signature else ()),
    ):
        if size_pt is None:
            continue
        pil_font = font.pil_font(size_pt * MM_PER_PT * px_per_mm)
        for line in lines:
            if line.text:
                _draw_line(pen, font, pil_font, line, size_pt, px_per_mm, colour)


def _draw_line(
    pen: ImageDraw.ImageDraw,
    font: CardFont,
    pil_font: ImageFont.FreeTypeFont,
    line: Line,
    size_pt: float,
    px_per_mm: float,
    colour: str,
) -> None:
    baseline = line.baseline * px_per_mm
    if exact_positioning():
        pen.text(
            (line.x * px_per_mm, baseline),
            line.text,
            font=pil_font,
            fill=colour,
            anchor="ls",
            features=PIL_FEATURES,
        )
        return
    # Without Raqm, Pillow rounds every advance to whole pixels; placing each word where the
    # layout (and the PDF) put it keeps the drift within a word.
    x = line.x
    space = font.measure(" ", size_pt)
    for word in line.text.split(" "):
        if word:
            pen.text((x * px_per_mm, baseline), word, font=pil_font, fill=colour, anchor="ls")
        x += font.measure(word, size_pt) + space


def render_preview(
    design: Design, message: str, signature: str = "", width_px: int = 1000
) -> Image.Image:
    """The card as a Pillow image at `width_px` (raises MissingGlyphs or a layout error)."""
    layout = layout_card(design, message, signature)
    image = artwork_at_width(design, width_px).copy()
    draw_layout(image, design, layout)
    return image


def compose_preview(
    design: Design, message: str, signature: str = "", width_px: int = 1000
) -> bytes:
    """JPEG bytes of the card at trim size (no bleed), `width_px` wide, for the donor's screen."""
    image = render_preview(design, message, signature, width_px)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=PREVIEW_QUALITY)
    return buffer.getvalue()


@lru_cache(maxsize=64)
def compose_thumbnail(design: Design, width_px: int = 320) -> bytes:
    """JPEG bytes of the bare design for the picker, cached per process."""
    buffer = io.BytesIO()
    artwork_at_width(design, width_px).save(buffer, "JPEG", quality=PREVIEW_QUALITY)
    return buffer.getvalue()


def warm_caches(available: dict[str, Design], preview_width_px: int = 1000) -> None:
    """Load fonts, decode artwork and make thumbnails now, not on a donor's first request."""
    from cardsapp.render.fonts import preload_fonts

    preload_fonts()
    for design in available.values():
        artwork_at_width(design, preview_width_px)
        compose_thumbnail(design)
