"""Screen previews of a card (trim size, no bleed), drawn from the same layout as the print."""

from __future__ import annotations

import io
import math
from functools import lru_cache

from PIL import Image, ImageColor, ImageDraw, ImageFont

from cardsapp.domain.layout import MM_PER_PT, Layout
from cardsapp.render.card import layout_card
from cardsapp.render.designs import Design
from cardsapp.render.fonts import PIL_FEATURES, exact_positioning, load_font

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


# Words, drawn once: a live preview redraws the whole card each time the donor pauses, and
# nearly every word of it was in the previous preview. Each word's glyph coverage is kept per
# font size and quarter-pixel position (about 8 KB a word at preview size; 2,048 words, so
# at most some 16 MB a process). Only pixels of recently previewed words stay in memory,
# never in Redis, the database or a log, and they are gone when the process ends.
_WORD_CACHE = 2048
_STEPS = 4  # sub-pixel positions per pixel: a word lands within 1/8 px of its layout place


@lru_cache(maxsize=_WORD_CACHE)
def _word_mask(
    pil_font: ImageFont.FreeTypeFont, word: str, step_x: int, step_y: int
) -> tuple[Image.Image, int, int]:
    """The word's coverage as an "L" mask, and the mask's offset from the pen position."""
    fx, fy = step_x / _STEPS, step_y / _STEPS
    features = PIL_FEATURES if exact_positioning() else None
    left, top, right, bottom = pil_font.getbbox(word, anchor="ls", features=features)
    x0, y0 = math.floor(left) - 1, math.floor(top) - 1
    size = (math.ceil(right + fx) - x0 + 1, math.ceil(bottom + fy) - y0 + 1)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).text(
        (fx - x0, fy - y0), word, font=pil_font, fill=255, anchor="ls", features=features
    )
    return mask, x0, y0


def _draw_word(
    image: Image.Image,
    pil_font: ImageFont.FreeTypeFont,
    word: str,
    x: float,
    y: float,
    colour: tuple[int, ...],
) -> None:
    ix, iy = math.floor(x), math.floor(y)
    step_x, step_y = round((x - ix) * _STEPS), round((y - iy) * _STEPS)
    mask, x0, y0 = _word_mask(pil_font, word, step_x, step_y)
    image.paste(colour, (ix + x0, iy + y0), mask)


def draw_layout(image: Image.Image, design: Design, layout: Layout) -> None:
    """Draw a layout's lines onto an image of the card at trim size.

    Each word goes where the layout (and so the PDF) puts it, to a quarter of a pixel.
    """
    font = load_font(design.font)
    px_per_mm = image.width / design.width_mm
    colour = ImageColor.getrgb(design.colour)
    for size_pt, lines in (
        (layout.size_pt, layout.lines),
        (layout.signature_size_pt, (layout.signature,) if layout.signature else ()),
    ):
        if size_pt is None:
            continue
        pil_font = font.pil_font(size_pt * MM_PER_PT * px_per_mm)
        space = font.measure(" ", size_pt)
        for line in lines:
            x, baseline = line.x, line.baseline * px_per_mm
            for word in line.text.split(" "):
                if word:
                    _draw_word(image, pil_font, word, x * px_per_mm, baseline, colour)
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
