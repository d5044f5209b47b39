"""Preview benchmark: `python bench/preview.py [--design SLUG] [--runs N]`.

Renders a 600-character Cyrillic message into a ~1000 px JPEG preview and, in the same run,
times merely decoding, resizing and re-encoding the design's artwork at the same size, and the
way previews were made before: drawing on a copy of the whole card and encoding all of it,
where compose_preview now re-encodes only the blocks with words and splices them into the bare
artwork's JPEG. A donor writing the message word by word, with a preview after each word, is
timed with the rows of blocks of her earlier previews kept and with them forgotten. It also
replays in this one process what the load test's donors write (bench/drafts.py: 270 donors,
one gunicorn process's share at 1,100 requests a second, each previewing every few words and
sometimes starting a new card), with the caches as a server process has them and, for the
same drafts, drawing on the whole card and encoding all of it. The last line printed is one
JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import time
from collections.abc import Callable

import psutil
from drafts import CardDraft
from PIL import Image

from cardsapp.domain.text import grapheme_count, validate_message
from cardsapp.render.card import layout_card
from cardsapp.render.designs import Design, designs
from cardsapp.render.fonts import preload_fonts
from cardsapp.render.preview import (
    PREVIEW_QUALITY,
    _encoded_rows,
    _place_layout,
    _word_mask,
    _words_by_row,
    artwork_at_width,
    compose_preview,
    forget_drawn,
    render_preview,
)

WIDTH_PX = 1000
LOAD_DONORS = 270  # one gunicorn process's share of the donors at 1,100 requests a second
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


def load_test_previews(count: int, seed: int) -> list[tuple[Design, str]]:
    """The next `count` previews of the load test's donors, in the order they come."""
    rng = random.Random(seed)
    donors = [CardDraft(random.Random(rng.random())) for _ in range(LOAD_DONORS)]
    available = designs()
    previews = []
    while len(previews) < count:
        card = rng.choice(donors)
        if rng.random() < 0.25:  # bench/harness.py: a send for every three previews
            card.begin()
            continue
        card.write_more()
        previews.append((available[card.design], validate_message(card.message)))
    return previews


def whole_card_jpeg(design: Design, message: str, signature: str) -> bytes:
    """A preview as it was made before splicing: the whole card drawn, then all of it encoded."""
    buffer = io.BytesIO()
    render_preview(design, message, signature, WIDTH_PX).save(
        buffer, "JPEG", quality=PREVIEW_QUALITY
    )
    return buffer.getvalue()


def median_ms(action: Callable[[], object], runs: int) -> float:
    """Median wall time of `action()` in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def median_ms_each(action: Callable[[str], object], drafts: list[str]) -> float:
    """Median wall time of `action(draft)` over the drafts, in milliseconds."""
    times = []
    for draft in drafts:
        start = time.perf_counter()
        action(draft)
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
        forget_drawn()  # the worst case: no word drawn and no row encoded before
        return compose_preview(design, message, signature, WIDTH_PX)

    preview_ms = median_ms(with_new_words, args.runs)

    def with_words_remembered() -> bytes:
        _encoded_rows.clear()  # the words of the last preview are kept, its rows are not
        return compose_preview(design, message, signature, WIDTH_PX)

    remembered_ms = median_ms(with_words_remembered, args.runs)
    # A live preview, as a donor writes: one more word each time, on the same card.
    words = message.split(" ")
    typed = [" ".join(words[:n]) for n in range(1, len(words) + 1)]
    forget_drawn()
    typing_rows_kept_ms = median_ms_each(
        lambda draft: compose_preview(design, draft, signature, WIDTH_PX), typed
    )
    forget_drawn()

    def rows_forgotten(draft: str) -> bytes:
        _encoded_rows.clear()
        return compose_preview(design, draft, signature, WIDTH_PX)

    typing_rows_forgotten_ms = median_ms_each(rows_forgotten, typed)
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
    whole_ms = median_ms(lambda: whole_card_jpeg(design, message, signature), args.runs)
    height = artwork_at_width(design, WIDTH_PX).height
    layout = layout_card(design, message, signature)
    rows_with_words = len(_words_by_row(_place_layout(design, layout, WIDTH_PX), height))
    rows = -(-height // 16)

    # The load test's donors: a first run fills the caches as a server process's are, then
    # the next previews are timed, spliced from kept words and rows as the server makes them,
    # and drawn on the whole card and encoded whole.
    forget_drawn()
    for card_design, draft in load_test_previews(6000, seed=1):
        compose_preview(card_design, draft, "Тэст", WIDTH_PX)
    previews = load_test_previews(args.runs * 10, seed=2)
    drawn_before = _word_mask.cache_info().misses
    load_spliced_ms = median_ms_each(
        lambda preview: compose_preview(*preview, "Тэст", WIDTH_PX), previews
    )
    words_drawn = (_word_mask.cache_info().misses - drawn_before) / len(previews)
    load_whole_ms = median_ms_each(lambda preview: whole_card_jpeg(*preview, "Тэст"), previews)

    result = {
        "design": design.slug,
        "message_graphemes": grapheme_count(message),
        "width_px": WIDTH_PX,
        "runs": args.runs,
        "first_preview_ms": round(first_ms, 1),
        "preview_ms_median": round(preview_ms, 2),
        "preview_ms_median_words_remembered": round(remembered_ms, 2),
        "typing_previews": len(typed),
        "typing_ms_median_rows_kept": round(typing_rows_kept_ms, 2),
        "typing_ms_median_rows_forgotten": round(typing_rows_forgotten_ms, 2),
        "decode_encode_ms_median": round(baseline_ms, 2),
        "ratio_vs_decode_encode": round(preview_ms / baseline_ms, 3),
        "preview_bytes": size,
        "whole_card_ms_median_words_remembered": round(whole_ms, 2),
        "whole_card_bytes": len(whole_card_jpeg(design, message, signature)),
        "mcu_rows_with_words": rows_with_words,
        "mcu_rows": rows,
        "load_previews": len(previews),
        "load_preview_ms_median": round(load_spliced_ms, 3),
        "load_preview_words_drawn_mean": round(words_drawn, 2),
        "load_whole_card_ms_median": round(load_whole_ms, 3),
        "rss_mb_start": round(rss_start / 2**20, 1),
        "rss_mb_after_first_preview": round(rss_warm / 2**20, 1),
        "rss_mb_growth_over_runs": round((rss_after - rss_warm) / 2**20, 2),
    }
    print(
        f"preview ({args.design}, {WIDTH_PX} px, {result['message_graphemes']} chars): "
        f"median {preview_ms:.2f} ms over {args.runs} runs (first {first_ms:.0f} ms); "
        f"{remembered_ms:.2f} ms with the words of the previous preview remembered"
    )
    print(
        f"writing word by word ({len(typed)} previews): median {typing_rows_kept_ms:.2f} ms "
        f"with the rows of blocks of earlier previews kept, "
        f"{typing_rows_forgotten_ms:.2f} ms with them forgotten"
    )
    print(
        f"before splicing (draw on the whole card, encode all of it): median {whole_ms:.2f} ms; "
        f"now only blocks with words are encoded, in {rows_with_words} of {rows} rows of 16 px"
    )
    print(
        f"the load test's donors ({len(previews)} previews): median {load_spliced_ms:.2f} ms, "
        f"{words_drawn:.1f} words drawn afresh a preview; "
        f"{load_whole_ms:.2f} ms drawing on the whole card and encoding all of it"
    )
    print(f"decode + resize + encode the same artwork: median {baseline_ms:.2f} ms")
    print(
        f"memory: {result['rss_mb_after_first_preview']} MB after the first preview, "
        f"+{result['rss_mb_growth_over_runs']} MB over {args.runs} more"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
