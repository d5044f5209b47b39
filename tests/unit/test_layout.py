"""Fitting a message into a design's text box."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardsapp.domain.layout import (
    MM_PER_PT,
    Box,
    FontMetrics,
    Layout,
    MessageTooLongForDesign,
    TextStyle,
    _Setter,
    _sizes,
    _Words,
    guess_language,
    lay_out,
    width_mm,
)
from cardsapp.render.designs import designs
from cardsapp.render.fonts import load_font

BOX = Box(10, 10, 80, 60)
STYLE = TextStyle(min_pt=10, max_pt=20, line_spacing=1.2, ascent=0.9, descent=0.3)


class CountingMetrics:
    """Monospaced: every character is 0.5 em wide; counts the calls."""

    units_per_em = 1000

    def __init__(self) -> None:
        self.calls: list[str] = []

    def width_units(self, text: str) -> float:
        self.calls.append(text)
        return len(text) * 500


def assert_inside(layout: Layout, box: Box, style: TextStyle, metrics: FontMetrics) -> None:
    for line in layout.lines:
        width = width_mm(metrics.width_units(line.text), layout.size_pt, metrics.units_per_em)
        assert line.x >= box.x - 1e-6
        assert line.x + width <= box.right + 1e-6
        assert line.baseline - style.ascent * layout.size_pt * MM_PER_PT >= box.y - 1e-6
        assert line.baseline + style.descent * layout.size_pt * MM_PER_PT <= box.bottom + 1e-6


def test_a_short_message_is_set_at_the_largest_size() -> None:
    layout = lay_out("Мама, дзякуй!", BOX, STYLE, CountingMetrics())
    assert layout.size_pt == 20
    assert [line.text for line in layout.lines] == ["Мама, дзякуй!"]


def test_a_longer_message_shrinks_in_half_point_steps_and_wraps_on_words() -> None:
    metrics = CountingMetrics()
    text = " ".join(["слова"] * 60)
    layout = lay_out(text, BOX, STYLE, metrics)
    assert 10 <= layout.size_pt < 20
    assert (layout.size_pt * 2).is_integer()
    assert all(line.text.replace(" ", "").replace("слова", "") == "" for line in layout.lines)
    assert_inside(layout, BOX, STYLE, metrics)
    bigger = TextStyle(layout.size_pt + 0.5, layout.size_pt + 0.5, 1.2, 0.9, 0.3)
    with pytest.raises(MessageTooLongForDesign):
        lay_out(text, BOX, bigger, metrics)


def test_each_word_is_measured_once_whatever_the_sizes_tried() -> None:
    metrics = CountingMetrics()
    words = ["мама", "тата", "дом"] * 40
    lay_out(" ".join(words), BOX, STYLE, metrics)
    assert sorted(metrics.calls) == sorted([*words, " "])


def test_paragraphs_and_blank_lines_are_kept() -> None:
    layout = lay_out("Прывітанне!\n\nЯк вы?", BOX, STYLE, CountingMetrics())
    assert [line.text for line in layout.lines] == ["Прывітанне!", "", "Як вы?"]
    assert layout.lines[2].baseline - layout.lines[0].baseline == pytest.approx(
        2 * layout.line_height_mm
    )


def test_a_word_longer_than_the_line_is_hyphenated() -> None:
    style = TextStyle(min_pt=20, max_pt=20)
    layout = lay_out("Дарагая беларускамоўная мама", Box(0, 0, 45, 80), style, CountingMetrics())
    texts = [line.text for line in layout.lines]
    assert any(text.endswith("-") for text in texts)
    assert "".join(t.removesuffix("-") for t in texts).replace(" ", "") == (
        "Дарагаябеларускамоўнаямама"
    )


@pytest.mark.parametrize("word", ["ж" * 80, "1234567890" * 8])
def test_a_single_80_character_word_is_broken_to_fit(word: str) -> None:
    metrics = CountingMetrics()
    layout = lay_out(word, BOX, STYLE, metrics)
    assert "".join(line.text.removesuffix("-") for line in layout.lines) == word
    assert len(layout.lines) > 1
    assert_inside(layout, BOX, STYLE, metrics)


def test_a_word_with_no_hyphenation_point_is_broken_without_a_hyphen() -> None:
    layout = lay_out("1234567890" * 8, BOX, STYLE, CountingMetrics())
    assert "".join(line.text for line in layout.lines) == "1234567890" * 8


def test_an_existing_hyphen_is_a_break_point() -> None:
    style = TextStyle(min_pt=20, max_pt=20)
    layout = lay_out("кто-нибудь-когда-нибудь", Box(0, 0, 40, 80), style, CountingMetrics())
    assert layout.lines[0].text.endswith("-")
    assert "--" not in "".join(line.text for line in layout.lines)


def test_text_that_cannot_fit_reports_how_much_to_cut() -> None:
    text = " ".join(["слова"] * 300)
    with pytest.raises(MessageTooLongForDesign) as caught:
        lay_out(text, BOX, STYLE, CountingMetrics())
    assert caught.value.code == "too_long_for_design"
    assert caught.value.cut > 0
    # Cutting that many characters (from the end) makes it fit.
    lay_out(text[: len(text) - caught.value.cut].rstrip(), BOX, STYLE, CountingMetrics())


def test_many_short_lines_either_fit_or_report_a_cut() -> None:
    text = "\n".join(["Так."] * 25)
    with pytest.raises(MessageTooLongForDesign) as caught:
        lay_out(text, BOX, STYLE, CountingMetrics())
    assert caught.value.cut > 0
    layout = lay_out("\n".join(["Так."] * 8), BOX, STYLE, CountingMetrics())
    assert len(layout.lines) == 8


def test_centred_text_is_centred_and_middle_aligned_text_is_centred_vertically() -> None:
    style = TextStyle(min_pt=10, max_pt=10, align="center", valign="middle")
    metrics = CountingMetrics()
    layout = lay_out("Мама", BOX, style, metrics)
    (line,) = layout.lines
    assert line.x + line.width / 2 == pytest.approx(BOX.x + BOX.w / 2)
    top = line.baseline - style.ascent * 10 * MM_PER_PT
    bottom = line.baseline + style.descent * 10 * MM_PER_PT
    assert top - BOX.y == pytest.approx(BOX.bottom - bottom)


def test_the_signature_is_right_aligned_in_its_box_and_no_bigger_than_the_message() -> None:
    sig_box = Box(40, 75, 50, 10)
    layout = lay_out("Мама", BOX, STYLE, CountingMetrics(), "З любоўю, Алеся", sig_box)
    assert layout.signature is not None
    assert layout.signature.x + layout.signature.width == pytest.approx(sig_box.right)
    assert layout.signature_size_pt <= layout.size_pt


def test_a_signature_too_long_for_its_box_names_the_signature() -> None:
    with pytest.raises(MessageTooLongForDesign) as caught:
        lay_out("Мама", BOX, STYLE, CountingMetrics(), "Я" * 60, Box(40, 75, 20, 10))
    assert caught.value.field == "signature"
    assert caught.value.cut > 0


@pytest.mark.parametrize(
    ("text", "language"),
    [("Дарагая мама, ўсё добра", "be"), ("Дорогая мама, всё хорошо", "ru"), ("Dear Mum", "en")],
)
def test_the_hyphenation_language_is_guessed_from_the_script(text: str, language: str) -> None:
    assert guess_language(text) == language


def test_a_600_character_message_fits_every_shipped_design_with_the_real_font() -> None:
    text = ("Дарагая мама, мы думаем пра вас кожны дзень і чакаем добрых навін. " * 9)[:600]
    for design in designs().values():
        font = load_font(design.font)
        style = design.text_style(font.ascent, font.descent)
        try:
            layout = lay_out(text, design.text_box, style, font)
        except MessageTooLongForDesign as error:
            assert error.cut > 0
            continue
        assert_inside(layout, design.text_box, style, font)


def test_the_line_counts_that_spare_wrapping_always_hold_the_count_wrapping_gives() -> None:
    # `lay_out` decides some sizes from these bounds alone; were one ever wrong, a card would
    # get another size than wrapping gives. Real fonts, every design, every size.
    sentences = ["Дарагая мама, мы думаем пра вас кожны дзень.", "Dear mum, you are not alone."]
    texts = [" ".join(sentences * n) for n in (1, 3, 6, 12)] + [
        "Прывітанне!\n\nЯк вы?\n   \nДобра.",
        "Беларускамоўная " * 9,
        "ж" * 70 + " мама",
        "а б в г д е ж з і й к л м н о п р с т у ў ф х ц ч ш ы ь э ю я " * 6,
    ]
    checked = 0
    for design in designs().values():
        font = load_font(design.font)
        style = design.text_style(font.ascent, font.descent)
        for text in texts:
            words = _Words(text, font)
            for size in _sizes(style):
                fewest, most = words.line_bounds(size, design.text_box.w)
                wrapped = _Setter(words, size, design.text_box.w, "be").wrap()
                assert wrapped is not None
                assert fewest <= len(wrapped)
                assert most is None or len(wrapped) <= most
                checked += most is not None
    assert checked > 100  # the bounds were there to be checked


# Words that fit a line of their own (10 characters are 21.2 mm at 12 pt), as most words do.
_WORD = st.text(alphabet="абвгдеёжзійклмнопрстуўфхцчшыьэюяabcdefghij’", min_size=1, max_size=10)
_PARAGRAPH = st.lists(_WORD, min_size=1, max_size=40).map(" ".join)


@given(paragraphs=st.lists(_PARAGRAPH, min_size=1, max_size=4), width=st.floats(25, 90))
@settings(max_examples=300, deadline=None)
def test_no_word_ends_a_paragraph_alone_when_the_line_before_can_spare_one(
    paragraphs: list[str], width: float
) -> None:
    metrics = CountingMetrics()
    setter = _Setter(_Words("\n".join(paragraphs), metrics), 12, width)
    lines = setter.wrap()
    assert lines is not None
    position = 0
    for paragraph in paragraphs:
        words = paragraph.split(" ")
        greedy_count = _greedy_line_count(words, setter)
        own = lines[position : position + greedy_count]
        position += greedy_count
        # The same words in the same order, on as many lines as plain wrapping makes.
        assert " ".join(text for text, _ in own).split(" ") == words
        for text, used in own:
            assert used <= width + 1e-6
            assert used == pytest.approx(
                setter.width_of(text.replace(" ", "")) + setter.space * text.count(" ")
            )
        if len(own) >= 2 and len(own[-1][0].split(" ")) == 1:
            before = own[-2][0].split(" ")
            both = setter.width_of(before[-1]) + setter.space + setter.width_of(own[-1][0])
            # A lone last word stays only when the line before cannot spare one that fits.
            assert len(before) < 3 or both > width + 1e-6
    assert position == len(lines)


def _greedy_line_count(words: list[str], setter: _Setter) -> int:
    count, used = 1, -setter.space
    for word in words:
        needed = used + setter.space + setter.width_of(word)
        if needed <= setter.width + 1e-6 or used < 0:
            used = needed
        else:
            count, used = count + 1, setter.width_of(word)
    return count


def test_a_lone_last_word_takes_a_companion_from_the_line_before() -> None:
    metrics = CountingMetrics()
    # 12 pt, 0.5 em a character: about 2.1 mm a character, 10 characters a 21.5 mm line.
    setter = _Setter(_Words("aa bb cc dd", metrics), 12, 23)
    assert [text for text, _ in setter.wrap() or []] == ["aa bb", "cc dd"]
