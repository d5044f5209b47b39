"""Preview benchmark: `python bench/preview.py [--design SLUG] [--runs N]`.

Renders a 600-character Cyrillic message into a ~1000 px JPEG preview and, in the same run,
times merely decoding, resizing and re-encoding the design's artwork at the same size. The last
line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from collections.abc import Callable

import psutil
from PIL import Image

from cardsapp.domain.text import grapheme_count, validate_message
from cardsapp.render.designs import designs
from cardsapp.render.fonts import preload_fonts
from cardsapp.render.preview import PREVIEW_QUALITY, _word_mask, compose_preview

WIDTH_PX = 1000
SENTENCES = (
    "Дарагая мама, мы думаем пра вас кожны дзень і вельмі чакаем добрых навін. ",
    "Дорогая мама, спасибо вам за силу, терпение и любовь, которые вы дарите всем вокруг. ",
    "Няхай кожная раніца прыносіць крыху цяпла, святла і спакою ў ваш дом. ",
    "Вы не одна: рядом много людей, которые помнят, поддерживают и ждут вместе с вами. ",
)


def cyrillic_message(length: int = 600) -> str:
    """A synthetic Belarusian and Russian message of exactly `length` characters."""
    text = ""
    i = 0
    while len(text) < length:
        text += SENTENCES[i % len(SENTENCES)]
        i += 1
    return text[:length].rstrip() + "."


def median_ms(action: Callable[[], object], runs: int) -> float:
    """Median wall time of `action()` in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--design", default="tulips")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    process = psutil.Process(os.getpid())
    rss_start = process.memory_info().rss
    design = designs()[args.design]
    preload_fonts()
    message = validate_message(cyrillic_message())
    signature = "З любоўю, Алеся"

    first_start = time.perf_counter()
    compose_preview(design, message, signature, WIDTH_PX)  # warm: decode artwork, load fonts
    first_ms = (time.perf_counter() - first_start) * 1000
    rss_warm = process.memory_info().rss

    def with_new_words() -> bytes:
        _word_mask.cache_clear()  # the worst case: no word drawn before
        return compose_preview(design, message, signature, WIDTH_PX)

    preview_ms = median_ms(with_new_words, args.runs)
    # A live preview, as a donor pauses while writing: the words of the last one are kept.
    remembered_ms = median_ms(
        lambda: compose_preview(design, message, signature, WIDTH_PX), args.runs
    )
    rss_after = process.memory_info().rss

    def decode_encode() -> bytes:
        with Image.open(design.artwork) as image:
            height = round(image.height * WIDTH_PX / image.width)
            small = image.convert("RGB").resize((WIDTH_PX, height), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=PREVIEW_QUALITY)
        return buffer.getvalue()

    baseline_ms = median_ms(decode_encode, max(20, args.runs // 4))
    size = len(compose_preview(design, message, signature, WIDTH_PX))
    result = {
        "design": design.slug,
        "message_graphemes": grapheme_count(message),
        "width_px": WIDTH_PX,
        "runs": args.runs,
        "first_preview_ms": round(first_ms, 1),
        "preview_ms_median": round(preview_ms, 2),
        "preview_ms_median_words_remembered": round(remembered_ms, 2),
        "decode_encode_ms_median": round(baseline_ms, 2),
        "ratio_vs_decode_encode": round(preview_ms / baseline_ms, 3),
        "preview_bytes": size,
        "rss_mb_start": round(rss_start / 2**20, 1),
        "rss_mb_after_first_preview": round(rss_warm / 2**20, 1),
        "rss_mb_growth_over_runs": round((rss_after - rss_warm) / 2**20, 2),
    }
    print(
        f"preview ({args.design}, {WIDTH_PX} px, {result['message_graphemes']} chars): "
        f"median {preview_ms:.2f} ms over {args.runs} runs (first {first_ms:.0f} ms); "
        f"{remembered_ms:.2f} ms with the words of the previous preview remembered"
    )
    print(f"decode + resize + encode the same artwork: median {baseline_ms:.2f} ms")
    print(
        f"memory: {result['rss_mb_after_first_preview']} MB after the first preview, "
        f"+{result['rss_mb_growth_over_runs']} MB over {args.runs} more"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
