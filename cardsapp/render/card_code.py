"""The card code on a card's front: where, how large and in what colour, on every layout.

The code (batch, envelope, card k of n) ties a card to its envelope. It sits in the clear
area the design declares (`code_box`), inside the safe zone, at a printed size a volunteer
reads at arm's length, in whichever of a dark grey or white contrasts more with the artwork
under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageStat
from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth

from cardsapp.domain.layout import Box
from cardsapp.render.designs import Design
from cardsapp.render.fonts import register_reportlab_fonts, reportlab_font_name

CODE_FONT = "noto-sans"
CODE_PT = 6.5  # as printed, whatever the layout's scale
MIN_CODE_PT = 6.0  # below this a volunteer squints: shrink no further
DARK = (0.2, 0.2, 0.2)
LIGHT = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class CodePlacement:
    """The code's left end, baseline (mm from the trim's bottom-left), size and colour."""

    x_mm: float
    baseline_mm: float
    size_pt: float  # in the card's own units: printed size / the layout's scale
    colour: Color
    contrast: float  # WCAG contrast ratio against the artwork under the code


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour (components 0 to 1)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG contrast ratio of two sRGB colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@lru_cache(maxsize=64)
def _background(artwork: Path, card: tuple[float, float, float], box: Box) -> tuple[float, ...]:
    """The artwork's mean colour under `box` (card = width, height, bleed in mm)."""
    width, height, bleed = card
    with Image.open(artwork) as image:
        sx = image.width / (width + 2 * bleed)
        sy = image.height / (height + 2 * bleed)
        area = (
            round((box.x + bleed) * sx),
            round((box.y + bleed) * sy),
            round((box.right + bleed) * sx),
            round((box.y + box.h + bleed) * sy),
        )
        # Cropped before converting: the conversion is per pixel, so the region's colours
        # are the same, without copying the whole artwork first (a batch's first card of
        # each design waited for it). Guarded by test_home_sheets.py's
        # test_the_card_code_sits_on_a_clear_area_in_a_colour_that_keeps_contrast.
        region = image.crop(area).convert("RGB")
    return tuple(c / 255 for c in ImageStat.Stat(region).mean)


def background(design: Design) -> tuple[float, float, float]:
    """The mean colour of the artwork under the card code."""
    card = (design.width_mm, design.height_mm, design.bleed_mm)
    r, g, b = _background(design.artwork, card, design.card_code_box)
    return (r, g, b)


def warm_backgrounds(available: Mapping[str, Design]) -> None:
    """Measure the artwork under each design's code box now, before jobs are forked.

    RQ runs each job in a fork of the worker, so what a build caches dies with it: measured
    in the worker, the backgrounds reach every build already known instead of each batch
    decoding every design's whole artwork again. The invariant: an artwork file does not
    change while a process runs (designs are loaded once too); test_home_sheets.py's
    test_code_backgrounds_measured_in_the_worker_are_known_to_each_forked_build guards it.
    """
    for design in available.values():
        background(design)


# Every character a card code is made of (domain/envelopes.py's alphabet, counts, separators).
CODE_CHARACTERS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ ·/"


@lru_cache(maxsize=1)
def _code_face() -> object:
    """The code font's ReportLab font object (registered once per process)."""
    register_reportlab_fonts()
    return getFont(reportlab_font_name(CODE_FONT))


def code_fits(design: Design, routing: str, placement: CodePlacement) -> bool:
    """Whether `routing` fits the design's code box at the placement's size."""
    # The font's own stringWidth, what pdfmetrics.stringWidth calls after looking the font
    # up by name: the same width, without the look-up on each of a batch's cards.
    width = _code_face().stringWidth(routing, placement.size_pt)  # type: ignore[attr-defined]
    return bool(width <= design.card_code_box.w * mm)


def characters_that_always_fit(design: Design, placement: CodePlacement) -> int:
    """How many code characters fit the box at the placement's size, however wide each is:
    a code no longer than this needs no measuring (a batch prints thousands)."""
    face = reportlab_font_name(CODE_FONT)
    widest = max(stringWidth(c, face, placement.size_pt) for c in CODE_CHARACTERS)
    return int(design.card_code_box.w * mm // widest)


def place_code(design: Design, routing: str, scale: float = 1.0) -> CodePlacement:
    """Where and how the code of a card of `design` prints at `scale`."""
    register_reportlab_fonts()
    face = reportlab_font_name(CODE_FONT)
    box = design.card_code_box
    size = CODE_PT
    while size > MIN_CODE_PT and stringWidth(routing, face, size / scale) > box.w * mm:
        size -= 0.25
    size /= scale
    descent = -getFont(face).face.descent / 1000 * size / mm
    under = background(design)
    dark, light = contrast_ratio(DARK, under), contrast_ratio(LIGHT, under)
    colour = Color(*(DARK if dark >= light else LIGHT))
    baseline = design.height_mm - box.y - box.h + descent
    return CodePlacement(box.x, baseline, size, colour, max(dark, light))
