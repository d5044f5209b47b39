"""Screen previews of a card (trim size, no bleed), drawn from the same layout as the print."""

from __future__ import annotations

import io
import math
import re
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
_Placed = tuple[Image.Image, int, int]  # a word's mask and its top-left corner on the card


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


def _place_word(pil_font: ImageFont.FreeTypeFont, word: str, x: float, y: float) -> _Placed:
    """The word's mask and the pixel where its top-left corner goes, for the pen at (x, y)."""
    ix, iy = math.floor(x), math.floor(y)
    step_x, step_y = round((x - ix) * _STEPS), round((y - iy) * _STEPS)
    mask, x0, y0 = _word_mask(pil_font, word, step_x, step_y)
    return mask, ix + x0, iy + y0


def _place_layout(design: Design, layout: Layout, width_px: int) -> list[_Placed]:
    """Every word of a layout as (mask, left, top) on the card at `width_px` wide."""
    font = load_font(design.font)
    px_per_mm = width_px / design.width_mm
    placed = []
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
                    placed.append(_place_word(pil_font, word, x * px_per_mm, baseline))
                x += font.measure(word, size_pt) + space
    return placed


def draw_layout(image: Image.Image, design: Design, layout: Layout) -> None:
    """Draw a layout's lines onto an image of the card at trim size.

    Each word goes where the layout (and so the PDF) puts it, to a quarter of a pixel.
    """
    colour = ImageColor.getrgb(design.colour)
    for mask, left, top in _place_layout(design, layout, image.width):
        image.paste(colour, (left, top), mask)


def render_preview(
    design: Design, message: str, signature: str = "", width_px: int = 1000
) -> Image.Image:
    """The card as a Pillow image at `width_px` (raises MissingGlyphs or a layout error)."""
    layout = layout_card(design, message, signature)
    image = artwork_at_width(design, width_px).copy()
    draw_layout(image, design, layout)
    return image


# Encoding is most of a preview's cost, yet words cover only part of the card. With a restart
# marker every few MCUs (16 x 16 px at 4:2:0), each of those runs of blocks is entropy-coded
# on its own (DC predictions restart) with the standard Huffman tables (optimize is off) and
# the same quantisation tables. So the bare artwork is encoded once, and a preview re-encodes
# only the runs that words touch and splices them in. The result is byte for byte what
# encoding the whole card with these options gives (tests/unit/test_preview.py).
_MCU_PX = 16  # strips start on an MCU so chroma is averaged alike
# Entropy-coded data stuffs each 0xFF as FF 00, so FF D0-D7 there is always a marker.
_RESTART = re.compile(rb"\xff[\xd0-\xd7]")
_END_OF_IMAGE = b"\xff\xd9"


def restart_interval(width_px: int) -> int:
    """MCUs between restart markers: a divisor of a row's MCUs near 8 (128 px), so that every
    row is cut into equal runs; a whole row when its count has no divisor from 4 to 16."""
    per_row = -(-width_px // _MCU_PX)
    fits = [n for n in range(4, 17) if per_row % n == 0]
    return min(fits, key=lambda n: (abs(n - 8), n)) if fits else per_row


def jpeg_options(width_px: int) -> dict[str, object]:
    """How a preview `width_px` wide is encoded."""
    return _options(restart_interval(width_px))


def _options(interval: int) -> dict[str, object]:
    return {"quality": PREVIEW_QUALITY, "subsampling": "4:2:0", "restart_marker_blocks": interval}


def _encode(image: Image.Image, interval: int) -> bytes:
    """`image` encoded with a restart marker every `interval` MCUs (a strip keeps the card's)."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **_options(interval))
    return buffer.getvalue()


def _split_runs(jpeg: bytes) -> tuple[bytes, list[bytes]]:
    """A JPEG's header (up to and including Start Of Scan) and each restart run's coded data."""
    at = 2  # past Start Of Image: walk the marker segments, each with a 2-byte length
    while True:
        marker = jpeg[at + 1]
        at += 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
        if marker == 0xDA:
            return jpeg[:at], _RESTART.split(jpeg[at : -len(_END_OF_IMAGE)])


def _with_marker(run_data: bytes, run: int, runs: int) -> bytes:
    """A run's coded data followed by what the whole image has there: RSTn, or EOI at the end."""
    return run_data + (_END_OF_IMAGE if run == runs - 1 else bytes((0xFF, 0xD0 + run % 8)))


@lru_cache(maxsize=64)
def _artwork_runs(design: Design, width_px: int) -> tuple[bytes, tuple[bytes, ...]]:
    """The bare artwork's JPEG header, and its restart runs each with the marker that follows."""
    header, runs = _split_runs(
        _encode(artwork_at_width(design, width_px), restart_interval(width_px))
    )
    return header, tuple(_with_marker(data, n, len(runs)) for n, data in enumerate(runs))


def _word_bands(placed: list[_Placed], height: int) -> list[list[int]]:
    """The runs of MCU rows that words touch, as [first, end) row numbers, top to bottom."""
    spans = sorted(
        (max(top, 0) // _MCU_PX, (min(top + mask.height, height) - 1) // _MCU_PX + 1)
        for mask, _, top in placed
        if top < height and top + mask.height > 0
    )
    bands: list[list[int]] = []
    for first, end in spans:
        if bands and first <= bands[-1][1]:  # touching or overlapping: one strip
            bands[-1][1] = max(bands[-1][1], end)
        else:
            bands.append([first, end])
    return bands


def compose_preview(
    design: Design, message: str, signature: str = "", width_px: int = 1000
) -> bytes:
    """JPEG bytes of the card at trim size (no bleed), `width_px` wide, for the donor's screen."""
    return preview_jpeg(design, layout_card(design, message, signature), width_px)


def preview_jpeg(design: Design, layout: Layout, width_px: int = 1000) -> bytes:
    """JPEG bytes of a card already laid out (by `layout_card`), `width_px` wide."""
    artwork = artwork_at_width(design, width_px)
    width, height = artwork.size
    header, artwork_runs = _artwork_runs(design, width_px)
    runs = list(artwork_runs)
    interval = restart_interval(width_px)
    run_px = interval * _MCU_PX
    per_row = -(-width // _MCU_PX) // interval  # restart runs in a row of blocks
    colour = ImageColor.getrgb(design.colour)
    placed = [word for word in _place_layout(design, layout, width_px) if _on_card(word, width)]
    for first, end in _word_bands(placed, height):
        top, bottom = first * _MCU_PX, min(end * _MCU_PX, height)
        # A strip that reaches the image's right or bottom edge gets libjpeg's same padding.
        words = [w for w in placed if w[2] < bottom and w[2] + w[0].height > top]
        first_run = max(min(left for _, left, _ in words), 0) // run_px
        end_run = -(-min(max(left + mask.width for mask, left, _ in words), width) // run_px)
        strip = artwork.crop((first_run * run_px, top, min(end_run * run_px, width), bottom))
        for mask, left, word_top in words:
            strip.paste(colour, (left - first_run * run_px, word_top - top), mask)
        across = end_run - first_run
        for n, data in enumerate(_split_runs(_encode(strip, interval))[1]):
            run = (first + n // across) * per_row + first_run + n % across
            runs[run] = _with_marker(data, run, len(runs))
    return header + b"".join(runs)


def _on_card(word: _Placed, width: int) -> bool:
    mask, left, _top = word
    return left < width and left + mask.width > 0


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
        _artwork_runs(design, preview_width_px)
        compose_thumbnail(design)
