"""Preview rendering, and the promise that every accepted message is either laid out or refused."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from cardsapp.domain.layout import MM_PER_PT, MessageTooLongForDesign
from cardsapp.domain.text import MessageError, MissingGlyphs, validate_message, validate_signature
from cardsapp.render.card import layout_card
from cardsapp.render.designs import designs
from cardsapp.render.fonts import load_font, register_reportlab_fonts
from cardsapp.render.preview import (
    PREVIEW_QUALITY,
    compose_preview,
    compose_thumbnail,
    jpeg_options,
    render_preview,
    restart_interval,
)

DESIGNS = designs()
BELARUSIAN = "Дарагая мама! Мы ўсе памятаем пра вас, думаем і чакаем. Беражыце сябе."
RUSSIAN = "Дорогая мама! Мы все помним о вас, думаем и ждём. Берегите себя."
ENGLISH = "Dear Mum, we remember you, think of you and wait with you. Take care."


@pytest.mark.parametrize("slug", list(DESIGNS))
@pytest.mark.parametrize("text", [BELARUSIAN, RUSSIAN, ENGLISH])
def test_a_preview_is_a_jpeg_of_the_card_at_trim_size(slug: str, text: str) -> None:
    design = DESIGNS[slug]
    data = compose_preview(design, text, "З любоўю, Алеся", width_px=500)
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert image.width == 500
    assert image.height == round(500 * design.height_mm / design.width_mm)


def test_the_preview_draws_text_inside_the_text_box_only() -> None:
    design = DESIGNS["plain"]
    bare = render_preview(design, "x", "", 600).convert("L")
    card = render_preview(design, RUSSIAN * 3, "", 600).convert("L")
    px = 600 / design.width_mm
    box = design.text_box
    diff = [abs(a - b) for a, b in zip(bare.tobytes(), card.tobytes(), strict=True)]
    width = bare.width
    for index, delta in enumerate(diff):
        if delta > 40:
            x, y = index % width, index // width
            assert box.x * px - 2 <= x <= box.right * px + 2
            assert box.y * px - 2 <= y <= box.bottom * px + 2
    assert max(diff) > 40  # something was drawn


def test_emoji_are_refused_naming_them_rather_than_drawn_as_boxes() -> None:
    message = validate_message("Мама, я цябе люблю \u2764\ufe0f і \U0001f339!")
    with pytest.raises(MissingGlyphs) as caught:
        compose_preview(DESIGNS["tulips"], message, "")
    assert caught.value.chars == ("\u2764\ufe0f", "\U0001f339")
    assert caught.value.code == "missing_glyphs"


def test_a_signature_with_an_emoji_names_the_signature() -> None:
    with pytest.raises(MissingGlyphs) as caught:
        layout_card(DESIGNS["tulips"], "Мама", "Алеся \U0001f33b")
    assert caught.value.field == "signature"


def test_a_600_character_message_renders_or_says_how_much_to_cut_on_every_design() -> None:
    text = validate_message(("Дорогая мама, мы с вами и ждём хороших вестей. " * 14)[:600])
    for design in DESIGNS.values():
        try:
            compose_preview(design, text, "Алеся", 400)
        except MessageTooLongForDesign as error:
            assert error.cut > 0


def test_the_thumbnail_is_the_bare_design() -> None:
    image = Image.open(io.BytesIO(compose_thumbnail(DESIGNS["meadow"])))
    assert image.width == 320
    assert image.height > image.width  # the portrait design


def test_the_preview_and_reportlab_measure_the_same_widths() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    names = register_reportlab_fonts()
    for name, face in names.items():
        font = load_font(name)
        text = "Дарагая мама, ўсё будзе добра! Hello, world."
        assert font.measure(text, 12) == pytest.approx(stringWidth(text, face, 12) * MM_PER_PT)


def test_pillow_draws_lines_exactly_as_wide_as_the_layout_measures() -> None:
    font = load_font("caveat")
    text = "Дарагая мама, ўсё будзе добра! Hello, world."
    for size_px in (13.5, 20.25, 33.75):
        pil = font.pil_font(size_px)
        expected = font.width_units(text) * size_px / font.units_per_em
        from cardsapp.render.fonts import PIL_FEATURES, exact_positioning

        if exact_positioning():
            assert pil.getlength(text, features=PIL_FEATURES) == pytest.approx(expected, abs=0.5)


# --- the property: accepted messages lay out (or ask for a cut); refused ones say why -------------

WORDS = [
    "мама",
    "дарагая",
    "ўсё",
    "будзе",
    "добра",
    "і",
    "мы",
    "вас",
    "любім",
    "Дорогая",
    "ждём",
    "спасибо",
    "всё",
    "хорошо",
    "Mum",
    "love",
    "you",
    "беларускамоўнаму",
    "достопримечательности",
    "кто-нибудь",
    "—",
    "«Прывітанне»",
    "12.05.2025",
    "+375 29 123-45-67",
    "example.org",
    "ВЕЛЬМІ",
    "ж" * 45,
    "\u00a0",
    "й",
    "ё",
]
ODD = ["\u200b", "\u202e", "\x07", "\ue000", "\U0001f339", "\u2764\ufe0f", "\t", "\r\n", "\n\n\n"]

clean = st.one_of(
    st.sampled_from(WORDS),
    st.text(alphabet="абвгдеёжзійклмнопрстуўфхцчшщыьэюя ,.!?\n", max_size=40),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABC,.'", max_size=30),
)
noisy = st.one_of(clean, st.sampled_from(ODD), st.text(st.characters(codec="utf-8"), max_size=6))
messages = st.one_of(
    st.lists(clean, max_size=90).map(" ".join),
    st.lists(noisy, max_size=30).map(" ".join),
)


@settings(
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    message=messages,
    signature=st.sampled_from(["", "Алеся", "З любоўю 🌻", "A" * 40]),
    slug=st.sampled_from(list(DESIGNS)),
)
def test_every_message_is_laid_out_inside_the_box_or_refused_with_a_reason(
    message: str, signature: str, slug: str
) -> None:
    design = DESIGNS[slug]
    try:
        text = validate_message(message)
        sig = validate_signature(signature)
        layout = layout_card(design, text, sig)
    except MessageTooLongForDesign as error:
        event("too long for the design")
        assert error.cut > 0
        return
    except MessageError as error:
        event(f"refused: {error.code}")
        assert error.code
        assert error.data["field"] in {"message", "signature"}
        assert len(error.data) > 1 or error.code == "empty"
        return
    event("laid out")
    font = load_font(design.font)
    box = design.text_box
    size = layout.size_pt
    for line in layout.lines:
        assert line.x >= box.x - 1e-6
        assert line.x + font.measure(line.text, size) <= box.right + 1e-6
        assert line.baseline - font.ascent * size * MM_PER_PT >= box.y - 1e-6
        assert line.baseline + font.descent * size * MM_PER_PT <= box.bottom + 1e-6
    if layout.signature:
        assert layout.signature.x >= design.signature_box.x - 1e-6
    image = render_preview(design, text, sig, width_px=120)
    assert image.width == 120


def test_a_preview_drawn_from_remembered_words_is_the_same_picture() -> None:
    from cardsapp.render.preview import forget_drawn

    design = DESIGNS["tulips"]
    first = compose_preview(design, BELARUSIAN, "Алеся")
    again = compose_preview(design, BELARUSIAN, "Алеся")
    forget_drawn()
    fresh = compose_preview(design, BELARUSIAN, "Алеся")
    assert first == again == fresh


@settings(max_examples=60, deadline=None)
@given(
    word=st.text(alphabet="абвгдеёжзійклмнопрстуўфхцчшыьэюяABCxyz!?,.", min_size=1, max_size=12),
    x=st.floats(min_value=5, max_value=200),
    y=st.floats(min_value=40, max_value=80),
)
def test_a_remembered_word_lands_where_pillow_would_draw_it(word: str, x: float, y: float) -> None:
    """A word's kept mask, pasted, gives Pillow's own drawing at the quarter-pixel position."""
    from PIL import ImageChops, ImageDraw

    from cardsapp.render.fonts import PIL_FEATURES, exact_positioning
    from cardsapp.render.preview import _place_word

    pil_font = load_font("caveat").pil_font(32)
    features = PIL_FEATURES if exact_positioning() else None
    quarter_x, quarter_y = round(x * 4) / 4, round(y * 4) / 4
    expected = Image.new("RGB", (260, 120), "white")
    ImageDraw.Draw(expected).text(
        (quarter_x, quarter_y),
        word,
        font=pil_font,
        fill=(40, 30, 20),
        anchor="ls",
        features=features,
    )
    drawn = Image.new("RGB", (260, 120), "white")
    mask, left, top, _key = _place_word(pil_font, word, x, y)
    drawn.paste((40, 30, 20), (left, top), mask)
    difference = ImageChops.difference(expected, drawn).convert("L")
    assert difference.getextrema()[1] <= 2


# --- the spliced preview: only the runs of blocks with words are re-encoded ----------------------


@pytest.mark.parametrize("width_px", [1000, 640, 360, 320, 144, 16, 2400])
def test_restart_runs_cut_every_row_of_blocks_into_equal_parts(width_px: int) -> None:
    per_row = -(-width_px // 16)
    interval = restart_interval(width_px)
    assert per_row % interval == 0
    assert 4 <= interval <= 16 or interval == per_row


def encode_whole(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **{"quality": PREVIEW_QUALITY, **options})
    return buffer.getvalue()


def assert_spliced_preview_is_the_whole_card_encoded(
    slug: str, message: str, signature: str, width_px: int
) -> None:
    design = DESIGNS[slug]
    card = render_preview(design, message, signature, width_px)
    whole = encode_whole(card, **jpeg_options(width_px))
    spliced = compose_preview(design, message, signature, width_px)
    assert spliced == whole
    decoded = Image.open(io.BytesIO(spliced))
    assert decoded.size == card.size
    assert decoded.tobytes() == Image.open(io.BytesIO(whole)).tobytes()


LONG = validate_message(("Дорогая мама, мы с вами и ждём хороших вестей. " * 14)[:520])


@pytest.mark.parametrize("slug", list(DESIGNS))
@pytest.mark.parametrize("text", [BELARUSIAN, RUSSIAN, ENGLISH, "Мама", LONG])
@pytest.mark.parametrize("signature", ["З любоўю, Алеся", ""])
def test_a_preview_is_byte_for_byte_the_whole_card_encoded_in_one_go(
    slug: str, text: str, signature: str
) -> None:
    assert_spliced_preview_is_the_whole_card_encoded(slug, text, signature, 1000)


@pytest.mark.parametrize("slug", list(DESIGNS))
def test_a_preview_decodes_to_the_same_pixels_as_a_jpeg_without_restart_markers(
    slug: str,
) -> None:
    """Restart markers change how the rows are packed, not the picture the donor sees."""
    design = DESIGNS[slug]
    plain = encode_whole(render_preview(design, RUSSIAN, "Алеся"))
    spliced = compose_preview(design, RUSSIAN, "Алеся")
    assert Image.open(io.BytesIO(spliced)).tobytes() == Image.open(io.BytesIO(plain)).tobytes()


def test_a_signature_in_the_bottom_row_of_blocks_is_spliced_with_the_image_bottom_edge() -> None:
    # At 360 px "birds" is 255 px tall: its last row of 16-px blocks is cut short at 15 px.
    design, width, signature = DESIGNS["birds"], 360, "З любоўю, Алеся, Ярослав і Юля"
    card = render_preview(design, LONG[:300], signature, width)
    bare = render_preview(design, "x", "", width)
    last_row = (0, card.height // 16 * 16, width, card.height)
    assert card.height % 16 and card.crop(last_row).tobytes() != bare.crop(last_row).tobytes()
    assert_spliced_preview_is_the_whole_card_encoded("birds", LONG[:300], signature, width)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=st.lists(clean, min_size=1, max_size=60).map(" ".join),
    signature=st.sampled_from(["", "Алеся", "З любоўю, Алеся, Ярослав і Юля", "Jg, gypsy queue"]),
    slug=st.sampled_from(list(DESIGNS)),
    width_px=st.sampled_from([1000, 640, 360, 144]),
)
def test_every_spliced_preview_is_the_whole_card_encoded(
    message: str, signature: str, slug: str, width_px: int
) -> None:
    try:
        text = validate_message(message)
        layout_card(DESIGNS[slug], text, signature)
    except MessageError:
        assume(False)
    assert_spliced_preview_is_the_whole_card_encoded(slug, text, signature, width_px)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(clean, min_size=2, max_size=40),
    edit=st.sampled_from(["append", "change", "insert"]),
    where=st.floats(min_value=0, max_value=1),
    replacement=clean,
    slug=st.sampled_from(list(DESIGNS)),
    width_px=st.sampled_from([1000, 360]),
)
def test_a_preview_after_an_edit_keeps_only_rows_that_are_still_the_same(
    words: list[str], edit: str, where: float, replacement: str, slug: str, width_px: int
) -> None:
    """A donor's next preview reuses the rows of blocks her last one encoded; whatever she
    changed (a word added at the end, one changed or one inserted, moving every line after
    it), the picture is still exactly the card encoded whole."""
    from cardsapp.render.preview import forget_drawn

    at = round(where * (len(words) - 1))
    edited = list(words)
    if edit == "append":
        edited.append(replacement)
    elif edit == "change":
        edited[at] = replacement
    else:
        edited.insert(at, replacement)
    try:
        before, after = validate_message(" ".join(words)), validate_message(" ".join(edited))
        layout_card(DESIGNS[slug], before, "Алеся")
        layout_card(DESIGNS[slug], after, "Алеся")
    except MessageError:
        assume(False)
    forget_drawn()
    compose_preview(DESIGNS[slug], before, "Алеся", width_px)
    assert_spliced_preview_is_the_whole_card_encoded(slug, after, "Алеся", width_px)
