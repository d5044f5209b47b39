"""Postcards: a back behind every front (home duplex and print shop), the code on the back."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from cardsapp.render.card_back import CardBack
from cardsapp.render.cards_pdf import render_cards_pdf
from tests.prepress import ink_margins_mm, pdfx_errors
from tests.unit.test_cards_pdf import DESIGNS, MM, cards, drawing, near

BACK = CardBack(("Вы не адны.", "Вы не одни.", "You are not alone."), "Тэставыя паштоўкі")


def postcards(n: int, layout: str) -> bytes:
    buffer = io.BytesIO()
    render_cards_pdf(buffer, cards(n, list(DESIGNS)), DESIGNS, layout, back=BACK)
    return buffer.getvalue()


@pytest.mark.parametrize("layout", ["home_a4", "home_letter"])
def test_each_back_prints_behind_its_front_when_the_sheet_is_flipped_on_the_short_edge(layout):
    reader = PdfReader(io.BytesIO(postcards(4, layout)))
    assert len(reader.pages) == 2
    width = float(reader.pages[0].mediabox.width) / MM
    fronts, _, _ = drawing(reader, 0)
    backs, _, _ = drawing(reader, 1)
    assert len(fronts) == len(backs) == 4
    front_text = reader.pages[0].extract_text()
    back_text = reader.pages[1].extract_text()
    for k in range(1, 5):
        assert f"E3E3E3 · {k}/4" in back_text and f"{k}/4" not in front_text
    # A front's trim runs from x to x + w; its back, seen from the other side, from
    # width - x - w to width - x, at the same height.
    for (name, front), (_, back) in zip(fronts, backs, strict=True):
        if front[0] == 0:  # a portrait card turned a quarter: its trim starts at x - w
            continue
        w = DESIGNS[name.split("-")[1]].width_mm * front[0] if "art" in name else 0
        assert near(back[4] / MM, width - front[4] / MM - w)
        assert near(back[5] / MM, front[5] / MM)


@pytest.mark.parametrize("layout", ["home_a4", "home_letter"])
def test_postcard_sheets_keep_5_mm_clear_of_every_edge_on_both_sides(layout):
    for page in ink_margins_mm(postcards(8, layout)):
        assert min(page) >= 5.0


def test_print_shop_postcards_are_pdfx4_front_then_back_one_orientation():
    pdf = postcards(3, "print_shop")
    assert pdfx_errors(pdf) == []
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 6
    assert {p.mediabox.width > p.mediabox.height for p in reader.pages} == {True}
    for k in range(3):
        assert f"{k + 1}/3" not in reader.pages[2 * k].extract_text()
        assert f"{k + 1}/3" in reader.pages[2 * k + 1].extract_text()
        assert "You are not alone." in reader.pages[2 * k + 1].extract_text()
