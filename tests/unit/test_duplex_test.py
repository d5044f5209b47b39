"""The duplex test page: a scale behind every front cross, where the card backs go."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from cardsapp.render.duplex_test import render_duplex_test
from cardsapp.render.imposition import home_sheet
from tests.unit.test_cards_pdf import drawing, near


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_each_scale_sits_behind_its_cross_when_flipped_on_the_short_edge(paper):
    buffer = io.BytesIO()
    assert render_duplex_test(buffer, paper) == 2
    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    sheet = home_sheet(paper)
    _, crosses, _ = drawing(reader, 0)
    _, ticks, _ = drawing(reader, 1)
    vertical_ticks = {round(seg[0], 1) for seg in ticks if near(seg[0], seg[2])}
    for cell in sheet.slots:
        x = cell.x + cell.w / 2
        assert any(near(seg[0], x) and near(seg[2], x) for seg in crosses)
        behind = sheet.width - x  # the same spot seen from the other side
        assert any(near(t, behind) for t in vertical_ticks)
    assert "flip on short edge" in reader.pages[0].extract_text()
