"""Prepress checks shared by the tests and bench/print_check.py.

- `ink_margins_mm`: how near each sheet edge anything prints, measured on the page as
  poppler's pdftoppm rasterises it (not from our own arithmetic).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"  # poppler-utils
MM_PER_INCH = 25.4
INK_BELOW = 250  # a grey level darker than this is ink (paper is 255)


def rasterise(pdf: bytes, dpi: int = 300, gray: bool = True) -> list[Image.Image]:
    """Every page of `pdf` as a Pillow image at `dpi`."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        mode = ["-gray"] if gray else []
        # Netpbm, not PNG: encoding a 300 dpi PNG takes fifty times as long as drawing it.
        subprocess.run(
            [PDFTOPPM, "-r", str(dpi), *mode, str(source), str(Path(tmp) / "page")],
            check=True,
        )
        pages = []
        found = Path(tmp).glob("page*.p[gp]m")
        for path in sorted(found, key=lambda p: int(p.stem.split("-")[-1])):
            with Image.open(path) as image:
                pages.append(image.copy())
        return pages


def ink_margins_mm(pdf: bytes, dpi: int = 300) -> list[tuple[float, float, float, float]]:
    """For each page: the distance in mm from the left, top, right and bottom sheet edges to
    the nearest ink."""
    margins = []
    for page in rasterise(pdf, dpi):
        ink = ImageOps.invert(page.convert("L")).point(lambda v: 255 if v > 255 - INK_BELOW else 0)
        box = ink.getbbox()
        if box is None:
            continue
        left, top, right, bottom = box
        per_mm = dpi / MM_PER_INCH
        margins.append(
            (
                left / per_mm,
                top / per_mm,
                (page.width - right) / per_mm,
                (page.height - bottom) / per_mm,
            )
        )
    return margins
