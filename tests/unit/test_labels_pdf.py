"""Address labels and the packing list: sheet geometry, fitting, calibration, no leaks."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.pdfbase.pdfmetrics import stringWidth

from cardsapp.render.fonts import reportlab_font_name
from cardsapp.render.labels_pdf import (
    LINE_SPACING,
    MIN_PT,
    SHEETS,
    LabelItem,
    address_area,
    address_fits,
    fit_address,
    render_labels_pdf,
)
from cardsapp.render.packing_pdf import PackingHeader, PackingRow, render_packing_pdf

MM = 72 / 25.4
INCH = 25.4
TOLERANCE_MM = 0.5

# The manufacturers' specifications, written out independently of the code.
SPEC = {
    "L7163": {
        "page": (210.0, 297.0),
        "grid": (2, 7),
        "label": (99.1, 38.1),
        "first": (4.65, 15.15),  # left edge and top edge of the first label
        "pitch": (101.6, 38.1),
    },
    "5160": {
        "page": (8.5 * INCH, 11 * INCH),
        "grid": (3, 10),
        "label": (2.625 * INCH, 1.0 * INCH),
        "first": (0.1875 * INCH, 0.5 * INCH),
        "pitch": (2.75 * INCH, 1.0 * INCH),
    },
}


def near(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE_MM


def spec_rect(name: str, index: int) -> tuple[float, float, float, float]:
    spec = SPEC[name]
    columns = spec["grid"][0]
    row, column = divmod(index, columns)
    x = spec["first"][0] + column * spec["pitch"][0]
    top = spec["first"][1] + row * spec["pitch"][1]
    return x, spec["page"][1] - top - spec["label"][1], *spec["label"]


def labels(n: int) -> list[LabelItem]:
    return [
        LabelItem(
            f"B2B2B2B2 · E{i:05d} · 3",
            (
                f"Testa Recipientova {i}",
                f"{i} Nowhere Lane",
                "Прыкладная вул., 7",
                "FX001 Fictionville",
            ),
        )
        for i in range(n)
    ]


def text_origins(reader: PdfReader, page_index: int) -> list[tuple[float, float]]:
    operations = ContentStream(reader.pages[page_index].get_contents(), reader).operations
    return [
        (float(ops[4]) / MM, float(ops[5]) / MM)
        for ops, operator in operations
        if operator == b"Tm" and (ops[4], ops[5]) != (0, 0)
    ]


@pytest.mark.parametrize("name", ["L7163", "5160"])
def test_the_label_grid_matches_the_sheet_specification(name):
    sheet = SHEETS[name]
    spec = SPEC[name]
    assert near(sheet.page_w, spec["page"][0]) and near(sheet.page_h, spec["page"][1])
    assert sheet.per_page == spec["grid"][0] * spec["grid"][1]
    for index in range(sheet.per_page):
        for got, want in zip(sheet.label_rect(index), spec_rect(name, index), strict=True):
            assert near(got, want)
    # The grid fills the sheet symmetrically, as the real sheets do.
    last = sheet.label_rect(sheet.per_page - 1)
    assert near(spec["page"][0] - (last[0] + last[2]), spec["first"][0])
    assert near(last[1], spec["first"][1])


@pytest.mark.parametrize("name", ["L7163", "5160"])
def test_every_label_is_printed_inside_its_sticker_on_the_right_sheet(name):
    sheet = SHEETS[name]
    buffer = io.BytesIO()
    pages = render_labels_pdf(buffer, labels(sheet.per_page + 3), name)
    reader = PdfReader(buffer)
    assert pages == len(reader.pages) == 2
    page = reader.pages[0]
    assert near(float(page.mediabox.width) / MM, SPEC[name]["page"][0])
    assert near(float(page.mediabox.height) / MM, SPEC[name]["page"][1])
    origins = text_origins(reader, 0)
    per_label = len(origins) // sheet.per_page
    assert per_label == 5  # routing code and four address lines
    for index in range(sheet.per_page):
        x, y, w, h = spec_rect(name, index)
        for tx, ty in origins[index * per_label : (index + 1) * per_label]:
            assert x + 1 <= tx <= x + w - 1
            assert y + 1 <= ty <= y + h - 1
    assert len(text_origins(reader, 1)) == 3 * per_label


def test_the_calibration_offset_moves_every_label_by_exactly_that_much():
    plain, moved = io.BytesIO(), io.BytesIO()
    render_labels_pdf(plain, labels(3))
    render_labels_pdf(moved, labels(3), offset_mm=(1.5, -2.0))
    for (x1, y1), (x2, y2) in zip(
        text_origins(PdfReader(plain), 0), text_origins(PdfReader(moved), 0), strict=True
    ):
        assert abs((x2 - x1) - 1.5) < 0.01
        assert abs((y2 - y1) - 2.0) < 0.01  # down is negative in PDF: 2 mm up


def test_long_addresses_shrink_to_seven_points_and_then_wrap_to_fit_the_label():
    face = reportlab_font_name("noto-sans")
    short = fit_address(["Testa Recipientova", "1 Nowhere Lane"], 91, 25)
    medium = fit_address(["Testa Recipientova-Prykladnaja-Uzornaja Uzornaja 12", "1 Lane"], 91, 25)
    long = fit_address(
        ["Testa Recipientova-Prykladnaja-Uzornaja " * 2, "вуліца Вельмі Доўгая Назва, дом 1"],
        91,
        25,
    )
    assert short.size_pt == 11
    # Shrunk, not wrapped, while shrinking to 7 pt is enough.
    assert MIN_PT == 7 and MIN_PT <= medium.size_pt < 11 and len(medium.lines) == 2
    # Too wide even at 7 pt: wrapped, at the largest size at which the wrapped lines fit.
    assert long.fits and len(long.lines) > 2 and long.size_pt >= MIN_PT
    assert all(stringWidth(line, face, long.size_pt) <= 91 * MM for line in long.lines)
    assert len(long.lines) * long.size_pt * LINE_SPACING <= 25 * MM


ADDRESS_TEXT = st.text(
    st.sampled_from("Testa Recipientova вуліца Прыкладная ўзорная 0123456789-,./"), max_size=120
)


@settings(max_examples=60, deadline=None)
@given(st.lists(ADDRESS_TEXT.filter(str.strip), min_size=1, max_size=5))
def test_a_fitted_address_stays_inside_its_label_or_says_it_does_not_fit(lines):
    face = reportlab_font_name("noto-sans")
    for sheet in SHEETS.values():
        width, height = address_area(sheet)
        fitted = fit_address(lines, width, height)
        assert fitted.size_pt >= MIN_PT
        inside = all(stringWidth(line, face, fitted.size_pt) <= width * MM for line in fitted.lines)
        tall = len(fitted.lines) * fitted.size_pt * LINE_SPACING <= height * MM
        assert fitted.fits == (inside and tall)
    assert address_fits(lines) == all(
        fit_address(lines, *address_area(sheet)).fits for sheet in SHEETS.values()
    )


def test_a_120_character_street_fits_every_sheet_but_a_label_of_long_fields_does_not():
    street = ("Prykladnaja vulica " * 7)[:120]
    assert address_fits(["Testa Recipientova", street, "FX001 Fictionville", "Nowhereland"])
    assert not address_fits([("Testa Recipientova " * 7)[:120]] * 5)


def test_labels_carry_codes_and_addresses_in_latin_and_cyrillic():
    buffer = io.BytesIO()
    render_labels_pdf(buffer, labels(2))
    text = PdfReader(buffer).pages[0].extract_text()
    assert "E00001" in text and "Testa Recipientova 1" in text and "Прыкладная вул., 7" in text


def test_the_packing_list_names_envelopes_and_counts_only():
    buffer = io.BytesIO()
    rows = [PackingRow(i, f"E{i:05d}", 3, i, i + 1) for i in range(1, 80)]
    pages = render_packing_pdf(
        buffer, PackingHeader("B2B2B2B2", "home_a4", 237, 79, "2026-05-01"), rows
    )
    reader = PdfReader(buffer)
    assert pages == len(reader.pages) > 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "B2B2B2B2" in text and "E00001" in text and "E00079" in text
