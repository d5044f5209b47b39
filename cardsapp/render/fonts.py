"""The card fonts: static instances of the fontpkg variable fonts, shared by Pillow and ReportLab.

Both the preview and the PDF draw with the same static TTF and the layout measures with its
advance widths (no kerning, no contextual alternates: ReportLab applies neither), so the
preview is what will be printed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import fontpkg
import regex
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from PIL import ImageFont, features

from cardsapp.domain.layout import width_mm

_GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True)
class FontSpec:
    """A font a design may name: a fontpkg family, a style and fixed axis values."""

    family: str
    style: str = "normal"
    axes: tuple[tuple[str, float], ...] = ()


FONT_SPECS: Mapping[str, FontSpec] = {
    "caveat": FontSpec("caveat", axes=(("wght", 400),)),
    "caveat-bold": FontSpec("caveat", axes=(("wght", 700),)),
    "noto-sans": FontSpec("noto-sans", axes=(("wght", 400), ("wdth", 100))),
    "noto-sans-light": FontSpec("noto-sans", axes=(("wght", 300), ("wdth", 100))),
    "noto-sans-italic": FontSpec("noto-sans", "italic", axes=(("wght", 400), ("wdth", 100))),
}

# Pillow's basic layout rounds each advance to whole pixels (hinting); Raqm with shaping
# features switched off positions glyphs exactly by their advance widths, like ReportLab.
_HAVE_RAQM = bool(features.check("raqm"))
PIL_FEATURES = ["-kern", "-liga", "-clig", "-calt", "-dlig", "-rlig"]


def default_cache_dir() -> Path:
    """Where static font instances are kept unless the caller says otherwise."""
    return Path.home() / ".cache" / "cardsapp" / "fonts"


# Bump when the way instances are made changes, so that old cached files are not reused.
_INSTANCE_VERSION = "v2"
_configured_cache_dir: Path | None = None
_lock = threading.Lock()


def configure_font_cache(cache_dir: Path | None) -> None:
    """Set the directory for static font instances (e.g. the Flask instance folder's fonts/)."""
    global _configured_cache_dir
    _configured_cache_dir = Path(cache_dir) if cache_dir is not None else None


WIDTHS_KEPT = 100_000


class _Widths(dict[str, int]):
    """Advance widths by string, summed once, then looked up by `dict` itself."""

    def __init__(self, advances: Mapping[int, int]) -> None:
        super().__init__()
        self.advances = advances

    def __missing__(self, text: str) -> int:
        if len(self) > WIDTHS_KEPT:
            self.clear()  # donors' words are endless: memory stays bounded
        advances = self.advances
        width = self[text] = sum(advances.get(ord(c), 0) for c in text)
        return width


@dataclass(eq=False)
class CardFont:
    """A loaded static font: metrics for layout, coverage, and Pillow fonts per pixel size."""

    name: str
    path: Path
    units_per_em: int
    ascent: float  # fraction of the font size above the baseline
    descent: float  # fraction of the font size below the baseline (positive)
    advances: Mapping[int, int] = field(repr=False)  # code point -> advance in font units
    # width_units(text): the advance width of `text` in font units, measured once per string.
    # The layout asks it for every word of every card: the lookup of a dict, in C, rather
    # than a Python call a word made a batch's layout a tenth faster.
    width_units: Callable[[str], int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.width_units = _Widths(self.advances).__getitem__

    def covers(self, char: str) -> bool:
        """True if the font has a glyph for this code point."""
        return ord(char) in self.advances

    def measure(self, text: str, size_pt: float) -> float:
        """Width of `text` in mm at `size_pt`, exactly as the layout engine computes it."""
        return width_mm(self.width_units(text), size_pt, self.units_per_em)

    def pil_font(self, size_px: float) -> ImageFont.FreeTypeFont:
        """A Pillow font at `size_px` (quarter-pixel steps), cached per process."""
        return _pil_font(str(self.path), round(size_px * 4) / 4)


@lru_cache(maxsize=256)
def _pil_font(path: str, size_px: float) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if _HAVE_RAQM else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size_px, layout_engine=engine)


def exact_positioning() -> bool:
    """True if Pillow can place glyphs exactly by advance width (Raqm is available)."""
    return _HAVE_RAQM


def static_font_path(name: str, cache_dir: Path | None = None) -> Path:
    """Path of the static TTF for a font name, instancing the variable font on first use."""
    spec = _spec(name)
    source = fontpkg.path(spec.family, style=spec.style)
    digest = _digest(Path(source))
    axes = "-".join(f"{tag}{value:g}" for tag, value in spec.axes)
    directory = Path(cache_dir or _configured_cache_dir or default_cache_dir())
    target = directory / f"{spec.family}-{spec.style}-{axes}-{digest}-{_INSTANCE_VERSION}.ttf"
    if target.exists():
        return target
    with _lock:
        if not target.exists():
            _write_instance(Path(source), dict(spec.axes), target)
    return target


@lru_cache(maxsize=16)
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _write_instance(source: Path, axes: dict[str, float], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with TTFont(source) as variable:
        # Merge overlapping contours. Kept with the overlap flag set, they make FreeType
        # supersample every glyph, which makes preview text about 2.5 times slower to draw.
        static = instancer.instantiateVariableFont(
            variable, axes, inplace=False, overlap=instancer.OverlapMode.REMOVE
        )
    # Every instance keeps the variable font's names ("Caveat-Regular"); ReportLab and PDF
    # viewers tell embedded fonts apart by name, so give each instance its own.
    _rename(static, target.stem)
    # Another process may be writing the same file: write to a private name, then rename.
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(handle)
    try:
        static.save(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _rename(font: TTFont, unique: str) -> None:
    postscript = regex.sub(r"[^A-Za-z0-9-]", "", unique)[:63]
    table = font["name"]
    for record in list(table.names):
        if record.nameID in (1, 3, 4, 6, 16, 17, 21, 22):
            table.removeNames(nameID=record.nameID)
    table.setName(unique, 1, 3, 1, 0x409)
    table.setName("Regular", 2, 3, 1, 0x409)
    table.setName(unique, 3, 3, 1, 0x409)
    table.setName(unique, 4, 3, 1, 0x409)
    table.setName(postscript, 6, 3, 1, 0x409)


def _spec(name: str) -> FontSpec:
    try:
        return FONT_SPECS[name]
    except KeyError:
        raise KeyError(f"unknown font {name!r}; known: {', '.join(sorted(FONT_SPECS))}") from None


_loaded: dict[str, CardFont] = {}


def load_font(name: str, cache_dir: Path | None = None) -> CardFont:
    """The `CardFont` for a name, loaded once per process."""
    font = _loaded.get(name)
    if font is not None:
        return font
    path = static_font_path(name, cache_dir)
    with TTFont(path, lazy=True) as ttf:
        cmap = ttf.getBestCmap()
        metrics = ttf["hmtx"].metrics
        units = ttf["head"].unitsPerEm
        hhea = ttf["hhea"]
        advances = {code: metrics[glyph][0] for code, glyph in cmap.items()}
        ascent, descent = hhea.ascent / units, -hhea.descent / units
    font = CardFont(name, path, units, ascent, descent, advances)
    _loaded[name] = font
    return font


def missing_glyphs(
    text: str, font_names: Iterable[str], cache_dir: Path | None = None
) -> list[str]:
    """Distinct grapheme clusters (e.g. an emoji) that any of the named fonts cannot draw."""
    fonts = [load_font(name, cache_dir) for name in font_names]
    missing: dict[str, None] = {}
    for cluster in _GRAPHEME.findall(text):
        if cluster == "\n" or cluster in missing:
            continue
        if not all(font.covers(char) for font in fonts for char in cluster):
            missing[cluster] = None
    return list(missing)


def reportlab_font_name(name: str) -> str:
    """The name under which `register_reportlab_fonts` registers a font."""
    return f"cardsapp-{name}"


def register_reportlab_fonts(cache_dir: Path | None = None) -> dict[str, str]:
    """Register every card font with ReportLab (once); return font name -> ReportLab name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont as ReportLabTTFont

    registered = set(pdfmetrics.getRegisteredFontNames())
    names = {}
    for name in FONT_SPECS:
        face = reportlab_font_name(name)
        if face not in registered:
            pdfmetrics.registerFont(ReportLabTTFont(face, str(static_font_path(name, cache_dir))))
        names[name] = face
    return names


def preload_fonts(cache_dir: Path | None = None) -> None:
    """Instance and load every font now (at start-up) rather than on the first request."""
    for name in FONT_SPECS:
        load_font(name, cache_dir)
