"""The cards PDF: page sizes, card positions, crop marks and boxes, text, artwork once."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from pypdf.generic import ByteStringObject, ContentStream, TextStringObject
from reportlab.lib.colors import Color, HexColor
from reportlab.pdfgen.canvas import Canvas

from cardsapp.domain.envelopes import routing_code
from cardsapp.render.card import layout_card
from cardsapp.render.cards_pdf import PrintCard, render_cards_pdf
from cardsapp.render.designs import designs
from cardsapp.render.fonts import register_reportlab_fonts
from cardsapp.render.pdf_text import SubsetText, TextBlock

MM = 72 / 25.4
TOLERANCE_MM = 0.5
ROUTING_COLOUR = Color(0.25, 0.25, 0.25)
MARGIN_MM = 10.5  # sheet edge to the nearest trim: 5.5 clear, 2.5 to the mark, 2.5 of mark
DESIGNS = designs()
LANDSCAPE = [d for d in DESIGNS.values() if d.orientation == "landscape"]
MESSAGES = [
    "Дарагая мама! Шчыра віншую з Днём маці. Няхай вясна прынясе цяпло і надзею.",
    "Dear mum, thinking of you on Mother's Day. You are not alone.",
    "Здравствуйте! Желаю вам здоровья, терпения и добрых новостей.",
]


def cards(n: int, slugs: list[str]) -> list[PrintCard]:
    return [
        PrintCard(
            slugs[i % len(slugs)],
            MESSAGES[i % 3],
            "Sam",
            routing_code("B2B2B2B2", "E3E3E3", i + 1, n),
        )
        for i in range(n)
    ]


def render(items: list[PrintCard], layout: str) -> PdfReader:
    buffer = io.BytesIO()
    render_cards_pdf(buffer, items, DESIGNS, layout)
    return PdfReader(io.BytesIO(buffer.getvalue()))


def multiply(m, n):
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def drawing(reader: PdfReader, page_index: int):
    """Forms drawn (name, matrix in pt), line segments (mm) and text origins (page pt)."""
    page = reader.pages[page_index]
    operations = ContentStream(page.get_contents(), reader).operations
    ctm = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    stack = []
    forms, lines, texts = [], [], []
    start = None
    for operands, operator in operations:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop()
        elif operator == b"cm":
            ctm = multiply(tuple(float(v) for v in operands), ctm)
        elif operator == b"Do":
            forms.append((str(operands[0]), ctm))
        elif operator == b"m":
            start = (float(operands[0]) / MM, float(operands[1]) / MM)
        elif operator == b"l":
            end = (float(operands[0]) / MM, float(operands[1]) / MM)
            lines.append((*start, *end))
        elif operator == b"Tm":
            x, y = float(operands[4]), float(operands[5])
            texts.append((ctm[0] * x + ctm[2] * y + ctm[4], ctm[1] * x + ctm[3] * y + ctm[5]))
    return forms, lines, texts


def near(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE_MM


@pytest.mark.parametrize(
    ("layout", "sheet_mm"), [("home_a4", (297.0, 210.0)), ("home_letter", (279.4, 215.9))]
)
def test_home_sheets_hold_four_equal_cards_centred_with_crop_marks(layout, sheet_mm):
    design = LANDSCAPE[0]
    reader = render(cards(4, [design.slug]), layout)
    page = reader.pages[0]
    assert near(float(page.mediabox.width) / MM, sheet_mm[0])
    assert near(float(page.mediabox.height) / MM, sheet_mm[1])

    forms, lines, _ = drawing(reader, 0)
    assert len(forms) == 4
    # The specification: 10.5 mm margins at least, a 4 mm gap, the card scaled to its cell.
    cell_w = (sheet_mm[0] - 2 * MARGIN_MM - 4) / 2
    cell_h = (sheet_mm[1] - 2 * MARGIN_MM - 4) / 2
    scale = min(1.0, cell_w / design.width_mm, cell_h / design.height_mm)
    w, h = design.width_mm * scale, design.height_mm * scale
    expected = []
    for row in range(2):
        for column in range(2):
            x = MARGIN_MM + column * (cell_w + 4) + (cell_w - w) / 2
            y = sheet_mm[1] - MARGIN_MM - (row + 1) * cell_h - row * 4 + (cell_h - h) / 2
            expected.append((x, y))
    for (_, matrix), (x, y) in zip(forms, expected, strict=True):
        assert near(matrix[0], scale) and near(matrix[3], scale)  # uniform scale, no skew
        assert near(matrix[4] / MM, x) and near(matrix[5] / MM, y)
    # The grid is centred: equal outer margins left and right, top and bottom.
    left = expected[0][0]
    right = sheet_mm[0] - (expected[1][0] + w)
    assert near(left, right) and left >= MARGIN_MM - TOLERANCE_MM

    # Every trim line of every card has a crop mark on its extension, outside the card.
    for x, y in expected:
        for edge_x in (x, x + w):
            assert any(
                near(seg[0], edge_x)
                and near(seg[2], edge_x)
                and (min(seg[1], seg[3]) >= y + h or max(seg[1], seg[3]) <= y)
                for seg in lines
            ), f"no crop mark for the vertical trim line at {edge_x:.1f} mm"
        for edge_y in (y, y + h):
            assert any(
                near(seg[1], edge_y)
                and near(seg[3], edge_y)
                and (min(seg[0], seg[2]) >= x + w or max(seg[0], seg[2]) <= x)
                for seg in lines
            ), f"no crop mark for the horizontal trim line at {edge_y:.1f} mm"
    # Marks stay on the sheet and off the cards.
    for x1, y1, x2, y2 in lines:
        assert min(x1, x2) >= -TOLERANCE_MM and max(x1, x2) <= sheet_mm[0] + TOLERANCE_MM
        assert min(y1, y2) >= -TOLERANCE_MM and max(y1, y2) <= sheet_mm[1] + TOLERANCE_MM


def test_print_shop_pages_are_one_card_with_bleed_trim_and_bleed_boxes():
    design = LANDSCAPE[0]
    reader = render(cards(2, [design.slug]), "print_shop")
    assert len(reader.pages) == 2
    page = reader.pages[0]
    width, height = design.width_mm + 18, design.height_mm + 18
    assert near(float(page.mediabox.width) / MM, width)
    assert near(float(page.mediabox.height) / MM, height)
    trim = [float(v) / MM for v in page.trimbox]
    bleed = [float(v) / MM for v in page.bleedbox]
    for got, want in zip(trim, (9, 9, 9 + design.width_mm, 9 + design.height_mm), strict=True):
        assert near(got, want)
    for got, want in zip(bleed, (6, 6, 12 + design.width_mm, 12 + design.height_mm), strict=True):
        assert near(got, want)

    forms, lines, _ = drawing(reader, 0)
    ((_, matrix),) = forms
    assert near(matrix[4] / MM, 9) and near(matrix[5] / MM, 9) and near(matrix[0], 1)
    # The artwork form covers the bleed: its bounding box reaches 3 mm past the trim.
    form = reader.pages[0]["/Resources"]["/XObject"][forms[0][0]].get_object()
    box = [float(v) / MM for v in form["/BBox"]]
    assert near(box[0], -3) and near(box[2], design.width_mm + 3)
    # Crop marks extend the four trim lines and stay outside the bleed.
    for edge_x in (9, 9 + design.width_mm):
        marks = [seg for seg in lines if near(seg[0], edge_x) and near(seg[2], edge_x)]
        assert len(marks) == 2
        top, bottom = 12 + design.height_mm, 6
        assert all(min(s[1], s[3]) >= top or max(s[1], s[3]) <= bottom for s in marks)
    for edge_y in (9, 9 + design.height_mm):
        marks = [seg for seg in lines if near(seg[1], edge_y) and near(seg[3], edge_y)]
        assert len(marks) == 2
        right, left = 12 + design.width_mm, 6
        assert all(min(s[0], s[2]) >= right or max(s[0], s[2]) <= left for s in marks)


def test_text_sits_where_the_preview_layout_puts_it():
    design = LANDSCAPE[0]
    reader = render(cards(1, [design.slug]), "print_shop")
    _, _, texts = drawing(reader, 0)
    layout = layout_card(design, MESSAGES[0], "Sam")
    placed = [line for line in layout.lines if line.text] + [layout.signature]
    # texts[0] is where ReportLab opens the text object (the card's origin); then the lines,
    # the signature and last the routing code.
    assert len(texts) == len(placed) + 2
    for line, (x, y) in zip(placed, texts[1:-1], strict=True):
        assert near(x / MM, 9 + line.x)
        assert near(y / MM, 9 + design.height_mm - line.baseline)


def test_each_designs_artwork_is_embedded_once_however_many_cards_use_it():
    slugs = [d.slug for d in LANDSCAPE[:2]]
    buffer = io.BytesIO()
    render_cards_pdf(buffer, cards(40, slugs), DESIGNS, "home_a4")
    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    images = _images(reader)
    assert len(images) == 2
    artwork = sum(DESIGNS[s].artwork.stat().st_size for s in slugs)
    # Artwork bytes plus a little per card: the images are not repeated.
    assert len(buffer.getvalue()) <= artwork + 40 * 3000


def _images(reader: PdfReader) -> set[int]:
    """Object numbers of every image drawn, directly or inside forms."""
    found: set[int] = set()

    def walk(resources) -> None:
        for ref in (resources or {}).get("/XObject", {}).values():
            obj = ref.get_object()
            if obj["/Subtype"] == "/Image":
                found.add(ref.idnum)
            elif "/Resources" in obj:
                walk(obj["/Resources"])

    for page in reader.pages:
        walk(page["/Resources"])
    return found


def test_text_is_vector_in_embedded_subset_fonts_and_the_routing_code_is_on_every_card():
    reader = render(cards(4, [LANDSCAPE[0].slug]), "home_a4")
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        assert "+" in font["/BaseFont"]  # a subset
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
    text = reader.pages[0].extract_text()
    for k in range(1, 5):
        assert f"E3E3E3 · {k}/4" in text
    assert "Дарагая мама!" in text and "Dear mum" in text


def test_a_portrait_design_is_turned_to_fit_the_landscape_cell():
    portrait = [d for d in DESIGNS.values() if d.orientation == "portrait"]
    if not portrait:
        pytest.skip("no portrait design shipped")
    reader = render(cards(1, [portrait[0].slug]), "home_a4")
    ((_, matrix),) = drawing(reader, 0)[0]
    assert near(matrix[0], 0) and matrix[1] > 0  # a quarter turn


def test_card_text_is_written_as_reportlabs_text_object_writes_it():
    # The same operators with the same font subsets and the same codes (the strings are hex
    # where ReportLab escapes them), and the file marked with the same PDF version.
    faces = register_reportlab_fonts()
    # Over 256 distinct characters, so that lines cross from one font subset to the next;
    # escapes, runs of spaces, a no-break space and a character the font does not have.
    alphabet = "".join(chr(c) for c in [*range(0x391, 0x3AA), *range(0x400, 0x4FF)])
    lines = [
        "Дарагая мама, (дужкі) і \\ знак",
        *[alphabet[i : i + 23] + " " + alphabet[i + 40 : i + 47] for i in range(0, 250, 9)],
        "  два  прабелы ",
        "no\u00a0break 🙂 end",
        "",
        "Ω",
    ]
    blocks = [("noto-sans", 12.5, lines), ("caveat", 17.0, lines[::-1]), ("noto-sans", 5.0, ["B1"])]

    def ours() -> bytes:
        canvas = Canvas(io.BytesIO(), invariant=1)
        text = SubsetText(canvas._doc)
        for name, size, block in blocks:
            writer = TextBlock(canvas, text)
            writer.fill(HexColor("#1F3A5F"))
            writer.font(faces[name], size)
            for i, line in enumerate(block):
                writer.show(10.25 * i, 500 - 11.5 * i, line)
            writer.fill(ROUTING_COLOUR)
            writer.font(faces["noto-sans"], 5.0)
            writer.show(7.087, 5.1, "B1 · E2 · 3/4")
            writer.draw()
        return canvas.getpdfdata()

    def reportlabs() -> bytes:
        canvas = Canvas(io.BytesIO(), invariant=1)
        for name, size, block in blocks:
            text = canvas.beginText()
            text.setFillColor(HexColor("#1F3A5F"))
            text.setFont(faces[name], size)
            for i, line in enumerate(block):
                text.setTextOrigin(10.25 * i, 500 - 11.5 * i)
                text.textOut(line)
            text.setFillColor(ROUTING_COLOUR)
            text.setFont(faces["noto-sans"], 5.0)
            text.setTextOrigin(7.087, 5.1)
            text.textOut("B1 · E2 · 3/4")
            canvas.drawText(text)
        return canvas.getpdfdata()

    ours_pdf, reportlabs_pdf = ours(), reportlabs()
    assert ours_pdf[:9] == reportlabs_pdf[:9]  # %PDF-1.4
    assert operations(ours_pdf) == operations(reportlabs_pdf)


def operations(pdf: bytes) -> list[tuple[bytes, list[object]]]:
    """The first page's operators, each string operand as the bytes it stands for."""
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for operands, operator in ContentStream(reader.pages[0].get_contents(), reader).operations:
        found.append(
            (
                operator,
                [
                    ("string", value.original_bytes)
                    if isinstance(value, TextStringObject | ByteStringObject)
                    else value
                    for value in operands
                ],
            )
        )
    return found
