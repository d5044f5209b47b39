"""Canary: the private Pillow API behind cardsapp.render.pillow_core still behaves."""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw

from cardsapp.render.fonts import load_font
from cardsapp.render.pillow_core import wrap_core_image


def test_a_wrapped_word_mask_is_the_very_bitmap_imagedraw_draws():
    font = load_font("caveat").pil_font(48)
    core, (x0, y0) = font.getmask2("Дзякуй", "L", anchor="ls")
    mask = wrap_core_image(core)
    assert isinstance(mask, Image.Image) and mask.mode == "L"
    assert mask.size == core.size and mask.getbbox() is not None

    canvas = Image.new("L", (mask.width + 40, mask.height + 40))
    ImageDraw.Draw(canvas).text((20, 20 + mask.height), "Дзякуй", fill=255, font=font, anchor="ls")
    placed = Image.new("L", canvas.size)
    placed.paste(mask, (20 + x0, 20 + mask.height + y0))
    assert ImageChops.difference(canvas, placed).getbbox() is None
