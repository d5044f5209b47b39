"""One layout of a card's text, used by both the preview and the printed PDF."""

from __future__ import annotations

from cardsapp.domain.layout import Layout, lay_out
from cardsapp.domain.text import MissingGlyphs
from cardsapp.render.designs import Design
from cardsapp.render.fonts import load_font, missing_glyphs


def check_glyphs(design: Design, message: str, signature: str = "") -> None:
    """Raise `MissingGlyphs` (naming the characters) if the design's font cannot draw the text."""
    for field, text in (("message", message), ("signature", signature)):
        missing = missing_glyphs(text, [design.font])
        if missing:
            raise MissingGlyphs(missing, field=field)


def layout_card(design: Design, message: str, signature: str = "") -> Layout:
    """Check glyph coverage, then fit a validated message and signature into the design."""
    check_glyphs(design, message, signature)
    return fit_card(design, message, signature)


def fit_card(design: Design, message: str, signature: str = "") -> Layout:
    """Fit text already checked for glyphs into the design: the one layout of a card.

    Printing calls this directly: every printed card passed the glyph check when it was
    written, and checking each character again would cost a third of a batch's build.
    """
    font = load_font(design.font)
    return lay_out(
        message,
        design.text_box,
        design.text_style(font.ascent, font.descent),
        font,
        signature=signature,
        signature_box=design.signature_box,
    )
