"""Render example cards for the docs: `python docs/cards/render_examples.py`.

Synthetic messages only. Each example is the same preview a donor sees, saved as a JPEG.
"""

from __future__ import annotations

from pathlib import Path

from cardsapp.domain.text import validate_message, validate_signature
from cardsapp.render.designs import designs
from cardsapp.render.preview import compose_preview

HERE = Path(__file__).resolve().parent
EXAMPLES = [
    (
        "tulips",
        "be",
        "Дарагая мама!\n\nВіншуем вас са святам. Мы думаем пра вас кожны дзень і ганарымся "
        "вашай сілай. Няхай гэтыя цюльпаны прынясуць у ваш дом крыху вясны і цяпла. "
        "Вы не адна: побач шмат людзей, якія памятаюць і чакаюць разам з вамі.",
        "З любоўю, Алеся",
    ),
    (
        "sunrise",
        "ru",
        "Дорогая мама, пусть каждое утро приносит вам немного света и надежды. "
        "Мы помним, ждём и верим, что скоро всё изменится к лучшему.",
        "Ваша Марина",
    ),
    (
        "birds",
        "en",
        "Dear Mum,\nwe are thinking of you today and every day. You are not alone: "
        "many people remember you and wait with you. Sending you warmth, strength "
        "and a little spring from far away.",
        "With love, Anna",
    ),
    (
        "meadow",
        "be",
        "Мілая мама!\n\nДзякуй вам за цярпенне, за пяшчоту і за тое, што вы заўсёды "
        "верыце. Мы з вамі. Кожная кветачка на гэтай паштоўцы — ад чалавека, які "
        "памятае пра вас.\n\nБеражыце сябе, калі ласка.",
        "Абдымаю, Святлана",
    ),
    (
        "plain",
        "ru",
        "Дорогая Ольга Ивановна!\nОт всего сердца желаем вам здоровья, терпения и сил. "
        "Мы рядом, даже если далеко.",
        "Друзья из Минска",
    ),
    (
        "window",
        "en",
        "A small light in the window, for you. Somewhere tonight a lot of people are "
        "thinking of you and your family. We hope this card brings a moment of peace.",
        "A friend",
    ),
]


def main() -> None:
    """Write one JPEG per example next to this script."""
    catalogue = designs()
    for slug, language, message, signature in EXAMPLES:
        design = catalogue[slug]
        data = compose_preview(
            design, validate_message(message), validate_signature(signature), width_px=900
        )
        target = HERE / f"{slug}-{language}.jpg"
        target.write_bytes(data)
        print(f"{target.name}: {len(data) // 1024} KiB")


if __name__ == "__main__":
    main()
