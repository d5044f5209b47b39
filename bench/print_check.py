"""Print check: `python bench/print_check.py [--out DIR]`.

Builds every layout and format from a fixed set of cards (long Belarusian, Russian and English
messages, a one-word message, every design including the portrait one) and labels and
envelopes for 120-character addresses, then measures what a prepress desk checks:
- min_mark_edge_mm: the least distance from any home sheet's edge to ink, on the pages as
  pdftoppm rasterises them at 300 dpi (flat and postcard, A4 and Letter);
- min_code_trim_mm: the least distance, as printed, from the card code's glyphs to the trim
  (fronts of every design at every scale, and the postcard back);
- pdfx_errors: what the PDF/X-4 check (tests/prepress.py) finds in the print-shop files
  (flat and postcard, sRGB and CMYK);
- label_overflows: addresses that import accepts yet whose fitted text runs outside a label
  or an envelope's address box;
- orientations_per_file: the most page orientations in one print-shop file.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth  # noqa: E402

from cardsapp.domain.envelopes import routing_code  # noqa: E402
from cardsapp.render.card_back import CODE_AT_MM, CardBack, code_size  # noqa: E402
from cardsapp.render.card_code import CODE_FONT, place_code  # noqa: E402
from cardsapp.render.cards_pdf import PrintCard, render_cards_pdf  # noqa: E402
from cardsapp.render.designs import designs  # noqa: E402
from cardsapp.render.envelopes_pdf import ENVELOPES, render_envelopes_pdf  # noqa: E402
from cardsapp.render.fonts import register_reportlab_fonts, reportlab_font_name  # noqa: E402
from cardsapp.render.imposition import home_scale  # noqa: E402
from cardsapp.render.labels_pdf import (  # noqa: E402
    LINE_SPACING,
    SHEETS,
    LabelItem,
    address_area,
    address_fits,
    fit_address,
    render_labels_pdf,
)
from cardsapp.render.pdfx import SRGB, cmyk_target  # noqa: E402
from tests.prepress import ink_margins_mm, pdfx_errors  # noqa: E402

MESSAGES = [
    (
        "Дарагая мама! Шчыра віншую вас з Днём маці. Няхай вясна прынясе ў ваш дом цяпло, "
        "спакой і надзею. Мы памятаем пра вас і пра вашага сына кожны дзень, і нас шмат.",
        "Алеся з Гродна",
    ),
    (
        "Здравствуйте! От всего сердца поздравляю вас с Днём матери. Желаю вам здоровья, "
        "терпения и добрых новостей. Вы не одна: о вас думают очень многие люди.",
        "Оля",
    ),
    (
        "Dear mum, thinking of you on Mother's Day. You are not alone: many of us remember "
        "your son and you, and we hope spring brings you warmth, rest and good news soon.",
        "Sam",
    ),
    ("Абдымаю!", ""),
]
BACK = CardBack(
    (
        "Гэтую паштоўку напісаў чалавек, які памятае пра вас. Вы не адны.",
        "Эту открытку написал человек, который помнит о вас. Вы не одни.",
        "This card was written by someone who remembers you. You are not alone.",
    ),
    "Паштоўкі да Дня маці",
)
STREET = ("Prykladnaja vulica, dom " * 6)[:120]
LONG = ("Testa Recipientova-Uzornaja " * 5)[:120]
ADDRESSES = [
    ("Testa Recipientova", STREET, "", "FX001 Fictionville", "Nowhereland"),
    (
        "Прыкладная Адрасатка",
        ("вуліца Узорная, дом 7, " * 6)[:120],
        "",
        "200001 Прыкладск",
        "Беларусь",
    ),
    # Five lines with a 120-character street: too much for an Avery 5160 label, refused.
    ("Прыкладная Адрасатка", "вул. " + STREET[:115], "кв. 7", "200001 Прыкладск", "Беларусь"),
    (LONG, STREET, STREET, "FX003 " + LONG[:100], LONG),  # refused at import
]
CMYK_PROFILE = ROOT / "tests" / "data" / "ps_cmyk.icc"


def print_cards() -> list[PrintCard]:
    """Every design with every message, codes as wide as codes get."""
    cards = []
    for slug in designs():
        for text, signature in MESSAGES:
            cards.append(PrintCard(slug, text, signature, ""))
    n = len(cards)
    return [
        PrintCard(c.design_slug, c.message, c.signature, routing_code("WWWWWWWW", "WWWWWW", i, n))
        for i, c in enumerate(cards, 1)
    ]


def code_trim_mm() -> float:
    """The least printed distance from a card code's glyphs to the trim."""
    register_reportlab_fonts()
    face = reportlab_font_name(CODE_FONT)
    font = getFont(face).face
    ascent, descent = font.ascent / 1000, -font.descent / 1000
    code = routing_code("WWWWWWWW", "WWWWWW", 99, 99)
    least = float("inf")
    for design in designs().values():
        for scale in (1.0, home_scale(design, "a4"), home_scale(design, "letter")):
            placed = place_code(design, code, scale)
            width = stringWidth(code, face, placed.size_pt) / mm
            left, right = placed.x_mm, design.width_mm - placed.x_mm - width
            bottom = placed.baseline_mm - descent * placed.size_pt / mm
            top = design.height_mm - placed.baseline_mm - ascent * placed.size_pt / mm
            least = min(least, min(left, right, bottom, top) * scale)
            back_size = code_size(scale)
            back_bottom = CODE_AT_MM[1] - descent * back_size / mm
            least = min(least, min(CODE_AT_MM[0], back_bottom) * scale)
    return least


def label_overflows() -> tuple[int, int]:
    """(labels or envelopes overflowing among accepted addresses, addresses refused)."""
    register_reportlab_fonts()
    overflows = refused = 0
    face = reportlab_font_name("noto-sans")
    for parts in ADDRESSES:
        lines = [p for p in parts if p]
        if not address_fits(lines):
            refused += 1
            continue
        areas = [address_area(sheet) for sheet in SHEETS.values()]
        areas += [(e.address[2], e.address[3]) for e in ENVELOPES.values()]
        for width, height in areas:
            fitted = fit_address(lines, width, height)
            wide = any(
                stringWidth(line, face, fitted.size_pt) > width * mm for line in fitted.lines
            )
            tall = len(fitted.lines) * fitted.size_pt * LINE_SPACING > height * mm
            overflows += wide or tall
    return overflows, refused


def main() -> None:
    """Build everything, measure, print the JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, help="also write every PDF into this folder")
    args = parser.parse_args()
    started = time.perf_counter()
    cards, available = print_cards(), designs()
    files: dict[str, bytes] = {}
    for layout in ("home_a4", "home_letter", "print_shop"):
        for name, back in (("flat", None), ("postcard", BACK)):
            buffer = io.BytesIO()
            render_cards_pdf(buffer, cards, available, layout, back=back)
            files[f"cards-{layout}-{name}"] = buffer.getvalue()
    buffer = io.BytesIO()
    output = cmyk_target(CMYK_PROFILE) if CMYK_PROFILE.is_file() else SRGB
    render_cards_pdf(buffer, cards, available, "print_shop", output=output)
    files["cards-print_shop-flat-cmyk"] = buffer.getvalue()
    items = [
        LabelItem(f"WWWWWWWW · W{n:05d} · 9", tuple(p for p in parts if p))
        for n, parts in enumerate(ADDRESSES[:2] * 8)  # what import accepts
    ]
    for sheet in SHEETS:
        buffer = io.BytesIO()
        render_labels_pdf(buffer, items, sheet)
        files[f"labels-{sheet}"] = buffer.getvalue()
    for size in ENVELOPES:
        buffer = io.BytesIO()
        render_envelopes_pdf(buffer, items[:2], size)
        files[f"envelopes-{size}"] = buffer.getvalue()
    built = time.perf_counter() - started

    margins = [
        min(page)
        for name, pdf in files.items()
        if name.startswith("cards-home")
        for page in ink_margins_mm(pdf)
    ]
    shop = {name: pdf for name, pdf in files.items() if "print_shop" in name}
    errors = {name: pdfx_errors(pdf) for name, pdf in shop.items()}
    orientations = max(_orientations(pdf) for pdf in shop.values())
    overflows, refused = label_overflows()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, pdf in files.items():
            (args.out / f"{name}.pdf").write_bytes(pdf)
    for name, found in errors.items():
        for error in found:
            print(f"{name}: {error}")
    print(
        json.dumps(
            {
                "min_mark_edge_mm": round(min(margins), 2),
                "min_code_trim_mm": round(code_trim_mm(), 2),
                "pdfx_errors": sum(len(e) for e in errors.values()),
                "label_overflows": overflows,
                "addresses_refused_at_import": refused,
                "orientations_per_file": orientations,
                "files": len(files),
                "cards_per_file": len(cards),
                "build_seconds": round(built, 2),
            }
        )
    )


def _orientations(pdf: bytes) -> int:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return len({page.mediabox.width > page.mediabox.height for page in reader.pages})


if __name__ == "__main__":
    main()
