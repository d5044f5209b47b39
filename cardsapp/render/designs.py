"""Card designs: `card_designs/<slug>/design.toml` plus artwork, validated at start-up."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from PIL import Image, UnidentifiedImageError

from cardsapp.domain.languages import LANGUAGES
from cardsapp.domain.layout import Box, TextStyle
from cardsapp.render.fonts import FONT_SPECS

DESIGNS_DIR = Path(__file__).resolve().parents[2] / "card_designs"
MIN_DPI = 300
SAFE_MARGIN_MM = 3.0  # volunteers cut with scissors: keep text this far inside the trim
_MM_PER_INCH = 25.4
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_REQUIRED = {
    "title",
    "artwork",
    "size_mm",
    "bleed_mm",
    "text_box",
    "signature_box",
    "font",
    "colour",
    "size_pt",
    "line_spacing",
}
_OPTIONAL = {"align", "valign", "occasions", "order", "code_box"}
# Where the card code goes when the card has no back: a clear area of the artwork, inside the
# safe margin, wide enough for "BATCHCOD · ENVCOD · 12/12" at 6.5 pt. The default is the
# bottom-left corner of the safe zone; each built-in design declares its own.
CODE_BOX_MM = (46.0, 5.0)
CODE_MARGIN_MM = 4.0  # from the trim: a cut 1 mm off still leaves the code 3 mm clear


class DesignError(ValueError):
    """A design folder that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Design:
    """One card design, with sizes in mm measured from the trim's top-left corner."""

    slug: str
    titles: Mapping[str, str] = field(compare=False, hash=False)
    artwork: Path
    width_mm: float
    height_mm: float
    bleed_mm: float
    text_box: Box
    signature_box: Box
    font: str
    colour: str
    min_pt: float
    max_pt: float
    line_spacing: float
    align: str = "left"
    valign: str = "top"
    occasions: tuple[str, ...] = ()
    order: int = 100
    code_box: Box | None = None  # None: the default corner (see `card_code_box`)

    @property
    def card_code_box(self) -> Box:
        """Where the card code is printed on the front, in mm from the trim's top-left."""
        if self.code_box is not None:
            return self.code_box
        w, h = CODE_BOX_MM
        return Box(CODE_MARGIN_MM, self.height_mm - CODE_MARGIN_MM - h, w, h)

    def title(self, language: str) -> str:
        """The title in `language`, falling back to English."""
        return self.titles.get(language) or self.titles["en"]

    @property
    def orientation(self) -> str:
        """'portrait' or 'landscape'."""
        return "portrait" if self.height_mm > self.width_mm else "landscape"

    def text_style(self, ascent: float, descent: float) -> TextStyle:
        """The layout style for this design with the font's vertical metrics."""
        return TextStyle(
            self.min_pt,
            self.max_pt,
            self.line_spacing,
            ascent,
            descent,
            self.align,
            self.valign,
        )


def load_designs(directory: Path) -> dict[str, Design]:
    """Load and validate every `<slug>/design.toml` under `directory` (ordered for display)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DesignError(f"{directory}: designs directory not found")
    found = []
    for folder in sorted(directory.iterdir()):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        found.append(load_design(folder))
    if not found:
        raise DesignError(f"{directory}: no designs (expected <slug>/design.toml)")
    found.sort(key=lambda d: (d.order, d.slug))
    return {design.slug: design for design in found}


def load_design(folder: Path) -> Design:
    """Load and validate one design folder."""
    path = folder / "design.toml"
    if not path.is_file():
        raise DesignError(f"{path}: file not found")
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise DesignError(f"{path}: not valid TOML: {error}") from None
    return _DesignReader(path, data).read()


class _DesignReader:
    def __init__(self, path: Path, data: dict[str, object]) -> None:
        self.path = path
        self.data = data

    def fail(self, problem: str) -> DesignError:
        return DesignError(f"{self.path}: {problem}")

    def read(self) -> Design:
        missing = sorted(_REQUIRED - self.data.keys())
        if missing:
            raise self.fail(f"missing key(s): {', '.join(missing)}")
        unknown = sorted(self.data.keys() - _REQUIRED - _OPTIONAL)
        if unknown:
            raise self.fail(f"unknown key(s): {', '.join(unknown)}")

        slug = self.path.parent.name
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
            raise self.fail(f"folder name {slug!r} is not a slug (a-z, 0-9, -)")
        titles = self._titles()
        width, height = self._pair("size_mm", 50, 300)
        bleed = self._number("bleed_mm", 3, 10)
        text_box = self._box("text_box", width, height)
        signature_box = self._box("signature_box", width, height)
        if _overlap(text_box, signature_box):
            raise self.fail("text_box and signature_box overlap")
        font = self.data["font"]
        if not isinstance(font, str) or font not in FONT_SPECS:
            raise self.fail(f"unknown font {font!r} (known: {', '.join(sorted(FONT_SPECS))})")
        colour = self.data["colour"]
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            raise self.fail(f"bad colour {colour!r} (expected #rrggbb)")
        min_pt, max_pt = self._pair("size_pt", 6, 48)
        if min_pt > max_pt:
            raise self.fail(f"size_pt: min {min_pt:g} is larger than max {max_pt:g}")
        line_spacing = self._number("line_spacing", 0.9, 2.0)
        align = self._choice("align", ("left", "center"), "left")
        valign = self._choice("valign", ("top", "middle"), "top")
        occasions = self.data.get("occasions", [])
        if not isinstance(occasions, list) or not all(isinstance(o, str) for o in occasions):
            raise self.fail("occasions must be a list of strings")
        order = self.data.get("order", 100)
        if not isinstance(order, int):
            raise self.fail("order must be an integer")
        code_box = self._code_box(width, height, (text_box, signature_box))
        artwork = self._artwork(width, height, bleed)
        return Design(
            slug=slug,
            titles=MappingProxyType(titles),
            artwork=artwork,
            width_mm=width,
            height_mm=height,
            bleed_mm=bleed,
            text_box=text_box,
            signature_box=signature_box,
            font=font,
            colour=colour.lower(),
            min_pt=min_pt,
            max_pt=max_pt,
            line_spacing=line_spacing,
            align=align,
            valign=valign,
            occasions=tuple(occasions),
            order=order,
            code_box=code_box,
        )

    def _code_box(self, width: float, height: float, taken: tuple[Box, ...]) -> Box | None:
        if "code_box" not in self.data:
            return None
        box = self._box("code_box", width, height, CODE_MARGIN_MM)
        if box.w < CODE_BOX_MM[0] or box.h < CODE_BOX_MM[1]:
            raise self.fail(
                f"code_box is {box.w:g} x {box.h:g} mm; the card code needs "
                f"{CODE_BOX_MM[0]:g} x {CODE_BOX_MM[1]:g} mm"
            )
        if any(_overlap(box, other) for other in taken):
            raise self.fail("code_box overlaps the text_box or the signature_box")
        return box

    def _titles(self) -> dict[str, str]:
        titles = self.data["title"]
        if not isinstance(titles, dict):
            raise self.fail("title must be a table with en, be and ru")
        for language in LANGUAGES:
            value = titles.get(language)
            if not isinstance(value, str) or not value.strip():
                raise self.fail(f"title.{language} is missing or empty")
        return {language: titles[language].strip() for language in LANGUAGES}

    def _number(self, key: str, low: float, high: float, value: object = None) -> float:
        value = self.data.get(key) if value is None else value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{key} must be a number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(f"bad {key} {value!r} (expected {low:g} to {high:g})")
        return float(value)

    def _pair(self, key: str, low: float, high: float) -> tuple[float, float]:
        value = self.data[key]
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(f"bad {key} {value!r} (expected [a, b])")
        return self._number(key, low, high, value[0]), self._number(key, low, high, value[1])

    def _choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            raise self.fail(f"bad {key} {value!r} (expected one of {', '.join(choices)})")
        return str(value)

    def _box(self, key: str, width: float, height: float, margin: float = SAFE_MARGIN_MM) -> Box:
        value = self.data[key]
        if not isinstance(value, dict) or set(value) != {"x", "y", "w", "h"}:
            raise self.fail(f"{key} must be a table with exactly x, y, w, h (mm)")
        x, y, w, h = (self._number(f"{key}.{k}", -1e6, 1e6, value[k]) for k in "xywh")
        if w <= 0 or h <= 0:
            raise self.fail(f"{key} has no area (w={w:g}, h={h:g})")
        box = Box(x, y, w, h)
        if x < margin or y < margin or box.right > width - margin or box.bottom > height - margin:
            raise self.fail(
                f"{key} ({x:g}, {y:g}, {w:g} x {h:g} mm) is outside the card "
                f"({width:g} x {height:g} mm less a {margin:g} mm safe margin)"
            )
        return box

    def _artwork(self, width: float, height: float, bleed: float) -> Path:
        name = self.data["artwork"]
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            raise self.fail(f"artwork must be a file name in the design folder, not {name!r}")
        path = self.path.parent / name
        if not path.is_file():
            raise self.fail(f"artwork {name!r} not found")
        try:
            with Image.open(path) as image:  # reads the header only
                pixels = image.size
                kind = image.format
        except (UnidentifiedImageError, OSError) as error:
            raise self.fail(f"artwork {name!r} is not a readable image ({error})") from None
        if kind not in {"JPEG", "PNG"}:
            raise self.fail(f"artwork {name!r} is {kind}, expected JPEG or PNG")
        full_w, full_h = width + 2 * bleed, height + 2 * bleed
        need = (full_w * MIN_DPI / _MM_PER_INCH, full_h * MIN_DPI / _MM_PER_INCH)
        # Half a pixel of tolerance: 154 mm at 300 DPI is 1818.9 px.
        if pixels[0] < need[0] - 0.5 or pixels[1] < need[1] - 0.5:
            dpi = min(pixels[0] / full_w, pixels[1] / full_h) * _MM_PER_INCH
            raise self.fail(
                f"artwork {name!r} is {pixels[0]} x {pixels[1]} px, {dpi:.0f} DPI at "
                f"{full_w:g} x {full_h:g} mm (card plus bleed); at least {MIN_DPI} DPI needed "
                f"({need[0]:.0f} x {need[1]:.0f} px)"
            )
        if abs(pixels[0] / pixels[1] - full_w / full_h) > 0.01 * full_w / full_h:
            raise self.fail(
                f"artwork {name!r} is {pixels[0]} x {pixels[1]} px, not the shape of the card "
                f"plus bleed ({full_w:g} x {full_h:g} mm)"
            )
        return path


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


@lru_cache(maxsize=4)
def _cached(directory: Path) -> dict[str, Design]:
    return load_designs(directory)


@lru_cache(maxsize=16)
def _resolved(directory: Path) -> Path:
    return directory.resolve()  # a system call per part of the path: once is enough


def designs(directory: Path | None = None) -> dict[str, Design]:
    """The shipped designs (or those under `directory`), loaded once per process."""
    return dict(_cached(_resolved(Path(directory or DESIGNS_DIR))))


def readable_designs(directory: Path | None = None) -> dict[str, Design]:
    """The designs, or none when the folder cannot be read: a staff page or command still
    answers, and says there is nothing to offer."""
    try:
        return designs(directory)
    except (DesignError, OSError):
        return {}
