"""Envelopes printed directly: page sizes, the address inside its box, the code, no overflow."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from cardsapp.render.envelopes_pdf import ENVELOPES, render_envelopes_pdf
from cardsapp.render.labels_pdf import SHEETS, LabelItem, address_area
from tests.prepress import ink_margins_mm

MM = 72 / 25.4
LONG = ("Testa Recipientova " * 7)[:120]


def envelopes() -> list[LabelItem]:
    return [
        LabelItem("B2B2B2B2 · E00001 · 2", ("Testa Recipientova", "1 Nowhere Lane", "FX1 Town")),
        LabelItem("B2B2B2B2 · E00002 · 1", ("Прыкладная Адрасатка", LONG, LONG, "Узорная краіна")),
    ]


@pytest.mark.parametrize(("name", "size_mm"), [("C6", (162, 114)), ("DL", (220, 110))])
def test_one_envelope_a_page_with_its_code_and_address(name, size_mm):
    buffer = io.BytesIO()
    assert render_envelopes_pdf(buffer, envelopes(), name) == 2
    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    page = reader.pages[0]
    assert abs(float(page.mediabox.width) / MM - size_mm[0]) < 0.5
    assert abs(float(page.mediabox.height) / MM - size_mm[1]) < 0.5
    text = page.extract_text()
    assert "E00001" in text and "1 Nowhere Lane" in text
    assert "Прыкладная Адрасатка" in reader.pages[1].extract_text()
    # Nothing prints in the 10 mm an envelope printer cannot reach.
    for margins in ink_margins_mm(buffer.getvalue()):
        assert min(margins) >= 10.0


def test_every_envelopes_address_box_holds_whatever_a_label_holds():
    for envelope in ENVELOPES.values():
        _, _, w, h = envelope.address
        for sheet in SHEETS.values():
            width, height = address_area(sheet)
            assert w >= width and h >= height
