"""Regenerate the PDF pictures in docs/pdf: `python docs/pdf/regenerate.py`.

Synthetic cards and addresses, the real renderers; the first page of each PDF is drawn to
PNG by poppler's pdftoppm.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"  # poppler-utils
sys.path.insert(0, str(HERE.parents[1]))

from cardsapp.domain.envelopes import routing_code  # noqa: E402
from cardsapp.render.card_back import CardBack  # noqa: E402
from cardsapp.render.cards_pdf import PrintCard, render_cards_pdf  # noqa: E402
from cardsapp.render.designs import designs  # noqa: E402
from cardsapp.render.duplex_test import render_duplex_test  # noqa: E402
from cardsapp.render.envelopes_pdf import render_envelopes_pdf  # noqa: E402
from cardsapp.render.labels_pdf import LabelItem, render_labels_pdf  # noqa: E402
from cardsapp.render.packing_pdf import PackingHeader, PackingRow, render_packing_pdf  # noqa: E402

MESSAGES = [
    ("Дарагая мама! Шчыра віншую з Днём маці. Няхай вясна прынясе цяпло і надзею.", "Алеся"),
    ("Dear mum, thinking of you on Mother's Day. You are not alone; many of us care.", "Sam"),
    ("Здравствуйте! Желаю вам здоровья, терпения и добрых новостей. Обнимаю.", "Оля"),
    ("Добры дзень! Жадаю вам здароўя, спакою і сонечных дзён. Мы памятаем пра вас.", ""),
]
ADDRESSES = [
    ("Прыкладная Адрасатка 1", "вул. Узорная, 1", "", "200001 Прыкладск", "Узорная краіна"),
    ("Demo Recipient 02", "2 Example Street", "Flat 6", "SX02 0AA Sampleton", "Testland"),
    (
        "Testa Recipientova-Prykladnaja Uzornaja",
        "Very Long Example Boulevard 1234, Block B",
        "Entrance 3, Flat 117",
        "FX003 Fictionville",
        "Nowhereland",
    ),
]


BACK = CardBack(
    (
        "Гэтую паштоўку напісаў чалавек, які памятае пра вас. Вы не адны.",
        "Эту открытку написал человек, который помнит о вас. Вы не одни.",
        "This card was written by someone who remembers you. You are not alone.",
    ),
    "Паштоўкі да Дня маці",
)


def picture(pdf: bytes, name: str, dpi: int = 60, page: int = 1) -> None:
    """Page `page` of `pdf` as docs/pdf/<name>.png."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(  # noqa: S603 - fixed argv, our own temporary file
            [
                PDFTOPPM,
                "-f",
                str(page),
                "-l",
                str(page),
                "-r",
                str(dpi),
                "-png",
                "-singlefile",
                str(source),
                str(HERE / name),
            ],
            check=True,
        )


def main() -> None:
    """Write one PNG per kind of PDF."""
    available = designs()
    slugs = list(available)
    cards = [
        PrintCard(
            slugs[i % len(slugs)],
            text,
            signature,
            routing_code("K7QX2M9P", f"Q4X7K{i // 2 + 2}", i % 2 + 1, 2),
        )
        for i, (text, signature) in enumerate(MESSAGES * 2)
    ]
    for layout in ("home_a4", "home_letter", "print_shop"):
        buffer = io.BytesIO()
        render_cards_pdf(buffer, cards, available, layout)
        picture(
            buffer.getvalue(),
            f"cards-{layout.replace('_', '-')}",
            90 if layout == "print_shop" else 60,
        )
    buffer = io.BytesIO()
    render_cards_pdf(buffer, cards, available, "home_a4", back=BACK)
    picture(buffer.getvalue(), "postcards-home-a4-backs", 60, page=2)
    buffer = io.BytesIO()
    render_cards_pdf(buffer, cards[:1], available, "print_shop", back=BACK)
    picture(buffer.getvalue(), "postcard-print-shop-back", 90, page=2)
    for page in (1, 2):
        buffer = io.BytesIO()
        render_duplex_test(buffer, "a4")
        picture(buffer.getvalue(), f"duplex-test-a4-{page}", 60, page=page)
    items = [
        LabelItem(f"K7QX2M9P · Q4X7K{n + 2} · 2", tuple(p for p in ADDRESSES[n % 3] if p))
        for n in range(9)
    ]
    for sheet in ("L7163", "5160"):
        buffer = io.BytesIO()
        render_labels_pdf(buffer, items, sheet)
        picture(buffer.getvalue(), f"labels-{sheet}")
    for size in ("C6", "DL"):
        buffer = io.BytesIO()
        render_envelopes_pdf(buffer, items[2:3], size)
        picture(buffer.getvalue(), f"envelope-{size}", 90)
    buffer = io.BytesIO()
    rows = [PackingRow(n, f"Q4X7K{n + 1}", 2, n, n) for n in range(1, 5)]
    render_packing_pdf(buffer, PackingHeader("K7QX2M9P", "home_a4", 8, 4, "2026-05-01"), rows)
    picture(buffer.getvalue(), "packing-list")


if __name__ == "__main__":
    main()
