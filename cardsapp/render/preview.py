"""Screen previews of a card (trim size, no bleed), drawn from the same layout as the print."""

from __future__ import annotations

import io
import math
import re
import threading
from functools import lru_cache
from typing import NamedTuple

from cachetools import LRUCache
from PIL import Image, ImageColor, ImageFont

from cardsapp.domain.layout import MM_PER_PT, Layout
from cardsapp.render.card import layout_card
from cardsapp.render.designs import Design
from cardsapp.render.fonts import PIL_FEATURES, exact_positioning, load_font
from cardsapp.render.pillow_core import wrap_core_image

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
# font size and quarter-pixel position (about 4 KB a word at preview size; 8,192 words, some
# 32 MB a process). With a few hundred donors writing at once, each process sees the same
# words at ten font sizes and sixteen sub-pixel places: bench/load.py's donors, replayed in
# one process, had five words a preview drawn afresh with 2,048 kept, two with 8,192. Only
# pixels of recently previewed words stay in memory, never in Redis, the database or a log,
# and they are gone when the process ends.
_WORD_CACHE = 8192
_STEPS = 4  # sub-pixel positions per pixel: a word lands within 1/8 px of its layout place


class _Placed(NamedTuple):
    """A word's mask where it goes on the card, and what it is (the same key, the same mask)."""

    mask: Image.Image
    left: int
    top: int
    key: tuple[float, str, int, int]  # font size in px, the word, its sub-pixel steps


@lru_cache(maxsize=_WORD_CACHE)
def _word_mask(
    pil_font: ImageFont.FreeTypeFont, word: str, step_x: int, step_y: int
) -> tuple[Image.Image, int, int]:
    """The word's coverage as an "L" mask, and the mask's offset from the pen position.

    The very bitmap ImageDraw.text draws, in one call that shapes the word once: measuring
    it first and then drawing it shaped it twice.
    """
    features = PIL_FEATURES if exact_positioning() else None
    start = (step_x / _STEPS, step_y / _STEPS)
    coverage, (x0, y0) = pil_font.getmask2(word, "L", anchor="ls", features=features, start=start)
    return wrap_core_image(coverage), x0, y0


def _place_word(pil_font: ImageFont.FreeTypeFont, word: str, x: float, y: float) -> _Placed:
    """The word's mask and the pixel where its top-left corner goes, for the pen at (x, y)."""
    ix, iy = math.floor(x), math.floor(y)
    step_x, step_y = round((x - ix) * _STEPS), round((y - iy) * _STEPS)
    mask, x0, y0 = _word_mask(pil_font, word, step_x, step_y)
    return _Placed(mask, ix + x0, iy + y0, (pil_font.size, word, step_x, step_y))


def _place_layout(design: Design, layout: Layout, width_px: int) -> list[_Placed]:
    """Every word of a layout as (mask, left, top, key) on the card at `width_px` wide."""
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
    for mask, left, top, _key in _place_layout(design, layout, image.width):
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
    per_row = _mcus_per_row(width_px)
    fits = [n for n in range(4, 17) if per_row % n == 0]
    return min(fits, key=lambda n: (abs(n - 8), n)) if fits else per_row


def _mcus_per_row(width_px: int) -> int:
    return -(-width_px // _MCU_PX)


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


# Rows of blocks, encoded once: a donor's next preview differs from her last by the words she
# has just written, so most rows of blocks hold the same words in the same places. Each row
# with words is kept encoded (the runs its words touch, about 2.5 KB; 4,096 rows, some 10 MB
# a process), under the exact words, font sizes and places drawn in it, never a hash of them:
# no preview can ever show a row of another card. Like the words, only in process memory.
_ROW_CACHE = 4096
# Each row's runs with words, as (run number, coded data with its marker), by what is drawn.
_encoded_rows: LRUCache[tuple[object, ...], tuple[tuple[int, bytes], ...]] = LRUCache(_ROW_CACHE)
_encoded_rows_lock = threading.Lock()  # a gunicorn process serves previews on several threads


class _Row(NamedTuple):
    """A row of blocks with words: its number, its words, its key and the runs they touch."""

    number: int
    words: list[int]  # places in the card's list of words, in drawing order
    key: tuple[object, ...]
    columns: range


def forget_drawn() -> None:
    """Forget every word drawn and row encoded (a cold preview; tests and benchmarks)."""
    _word_mask.cache_clear()
    with _encoded_rows_lock:
        _encoded_rows.clear()


def _words_by_row(placed: list[_Placed], height: int) -> dict[int, list[int]]:
    """Which words (their places in `placed`, in drawing order) touch each row of blocks."""
    rows: dict[int, list[int]] = {}
    for n, word in enumerate(placed):
        first = max(word.top, 0) // _MCU_PX
        end = (min(word.top + word.mask.height, height) - 1) // _MCU_PX + 1
        for row in range(first, end):
            rows.setdefault(row, []).append(n)
    return rows


def compose_preview(
    design: Design, message: str, signature: str = "", width_px: int = 1000
) -> bytes:
    """JPEG bytes of the card at trim size (no bleed), `width_px` wide, for the donor's screen."""
    return preview_jpeg(design, layout_card(design, message, signature), width_px)


def preview_jpeg(design: Design, layout: Layout, width_px: int = 1000) -> bytes:
    """JPEG bytes of a card already laid out (by `layout_card`), `width_px` wide.

    The bare artwork's runs, with the runs of each row of blocks that words touch replaced:
    from an earlier preview when the row holds the same words in the same places, otherwise
    encoded now, all such rows stacked into one strip and encoded in one go.
    """
    artwork = artwork_at_width(design, width_px)
    width, height = artwork.size
    header, artwork_runs = _artwork_runs(design, width_px)
    runs = list(artwork_runs)
    interval = restart_interval(width_px)
    run_px = interval * _MCU_PX
    placed = [word for word in _place_layout(design, layout, width_px) if _on_card(word, width)]
    new: list[_Row] = []
    for number, indices in sorted(_words_by_row(placed, height).items()):
        words = [placed[n] for n in indices]
        key = (design, width_px, number, tuple((w.key, w.left, w.top) for w in words))
        with _encoded_rows_lock:
            kept = _encoded_rows.get(key)
        if kept is None:
            first_run = max(min(w.left for w in words), 0) // run_px
            end_run = -(-min(max(w.left + w.mask.width for w in words), width) // run_px)
            new.append(_Row(number, indices, key, range(first_run, end_run)))
        else:
            for run, data in kept:
                runs[run] = data
    if new:
        for run, data in _encode_rows(artwork, design, placed, new, interval, len(runs)):
            runs[run] = data
    return header + b"".join(runs)


def _encode_rows(
    artwork: Image.Image,
    design: Design,
    placed: list[_Placed],
    rows: list[_Row],
    interval: int,
    total_runs: int,
) -> list[tuple[int, bytes]]:
    """Draw the words of these rows of blocks, stack the rows in one strip (top to bottom, so
    the card's cut-short last row, if among them, stays at the bottom and is padded alike),
    encode it, and keep each row's runs with words. Runs depend only on their own blocks, so
    rows that follow each other on the card are drawn together, as one band."""
    width, height = artwork.size
    run_px = interval * _MCU_PX
    per_row = _mcus_per_row(width) // interval  # restart runs in a row of blocks
    first_run = min(row.columns.start for row in rows)
    end_run = max(row.columns.stop for row in rows)
    left, right = first_run * run_px, min(end_run * run_px, width)
    bands: list[list[_Row]] = []
    for row in rows:
        if bands and bands[-1][-1].number == row.number - 1:
            bands[-1].append(row)
        else:
            bands.append([row])
    strip_height = min(rows[-1].number * _MCU_PX + _MCU_PX, height) - rows[-1].number * _MCU_PX
    strip = Image.new("RGB", (right - left, (len(rows) - 1) * _MCU_PX + strip_height))
    colour = ImageColor.getrgb(design.colour)
    y = 0
    for band in bands:
        top = band[0].number * _MCU_PX
        bottom = min(band[-1].number * _MCU_PX + _MCU_PX, height)
        piece = artwork.crop((left, top, right, bottom))
        for n in sorted({n for row in band for n in row.words}):
            word = placed[n]
            piece.paste(colour, (word.left - left, word.top - top), word.mask)
        strip.paste(piece, (0, y))
        y += bottom - top
    coded = _split_runs(_encode(strip, interval))[1]
    across = end_run - first_run
    encoded: list[tuple[int, bytes]] = []
    for n, row in enumerate(rows):
        kept = []
        for column in row.columns:
            run = row.number * per_row + column
            data = coded[n * across + column - first_run]
            kept.append((run, _with_marker(data, run, total_runs)))
        with _encoded_rows_lock:
            _encoded_rows[row.key] = tuple(kept)
        encoded += kept
    return encoded


def _on_card(word: _Placed, width: int) -> bool:
    return word.left < width and word.left + word.mask.width > 0


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
