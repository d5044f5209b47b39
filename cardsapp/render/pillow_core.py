"""The one place cardsapp reaches into Pillow's private API.

`FreeTypeFont.getmask2` hands back Pillow's internal (core) image, as it does to ImageDraw;
drawing a word that way shapes it once instead of twice (measure, then draw). Wrapping that
core image needs `Image.Image()._new`, which is private: it is used here only, Pillow is
pinned to the minor version tested (pyproject.toml), and tests/unit/test_pillow_core.py fails
on the day Pillow changes it.
"""

from __future__ import annotations

from typing import Any

from PIL import Image


def wrap_core_image(core: Any) -> Image.Image:
    """A public Image around the core image Pillow's font code returned."""
    return Image.Image()._new(core)
