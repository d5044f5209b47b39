"""Normalising, validating and flagging donors' messages."""

from __future__ import annotations

import pytest

from cardsapp.domain.flags import Flag, FlagKind, flag_message
from cardsapp.domain.text import (
    EmptyMessage,
    ForbiddenCharacters,
    MessageError,
    MessageRules,
    MessageTooLong,
    TooManyLines,
    WordTooLong,
    grapheme_count,
    normalise_text,
    validate_message,
    validate_signature,
)

BELARUSIAN = "Дарагая мама! Мы ўсе памятаем пра вас і чакаем добрых навін."
RUSSIAN = "Дорогая мама! Мы все помним о вас и ждём хороших новостей."
ENGLISH = "Dear Mum, we think of you every day and wait for good news."


@pytest.mark.parametrize("text", [BELARUSIAN, RUSSIAN, ENGLISH])
def test_ordinary_messages_in_each_language_are_accepted_unchanged(text: str) -> None:
    assert validate_message(text) == text


def test_decomposed_letters_are_composed_to_nfc() -> None:
    decomposed = "у\u0306се и\u0306"  # ў and й typed as letter + combining breve
    assert validate_message(decomposed) == "ўсе й"


def test_newlines_of_every_kind_become_one_newline_and_spaces_are_tidied() -> None:
    raw = "  Прывітанне,\r\nмама!  \rЯк\tвы?\u2028\n\n\n\nЦалую  моцна.  "
    assert normalise_text(raw) == "Прывітанне,\nмама!\nЯк вы?\n\nЦалую моцна."


def test_a_no_break_space_is_kept_and_a_soft_hyphen_is_dropped() -> None:
    assert normalise_text("мама\u00a0— лепшая сло\u00adва") == "мама\u00a0— лепшая слова"


@pytest.mark.parametrize(
    "char",
    [
        "\x00",
        "\x07",
        "\x1b",
        "\u202e",
        "\u2066",
        "\u2069",
        "\u200b",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\ue000",
        "\U000f0000",
        "\u0378",
        "\ud800",
        "\ufdd0",
    ],
)
def test_invisible_control_bidi_private_and_unassigned_characters_are_refused(char: str) -> None:
    with pytest.raises(ForbiddenCharacters) as caught:
        validate_message(f"Мама{char} дарагая")
    assert caught.value.code == "forbidden_characters"
    assert caught.value.chars == (char,)
    assert caught.value.data["names"][0].startswith(f"U+{ord(char):04X}")


def test_joiners_inside_an_emoji_are_left_for_the_glyph_check_to_name() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert validate_message(f"Мы з вамі {family}") == f"Мы з вамі {family}"


@pytest.mark.parametrize("text", ["", "   ", "\n\n \n", "\u00a0"])
def test_an_empty_message_is_refused(text: str) -> None:
    with pytest.raises(EmptyMessage) as caught:
        validate_message(text)
    assert caught.value.code == "empty"


def test_length_counts_graphemes_not_code_points() -> None:
    assert grapheme_count("й" * 10 + "\U0001f1e7\U0001f1fe") == 11
    text = ("ўсё " * 150)[:-1] + "!"  # 600 characters
    assert grapheme_count(validate_message(text)) == 600
    with pytest.raises(MessageTooLong) as caught:
        validate_message(text + "!")
    assert caught.value.data == {"field": "message", "limit": 600, "length": 601}


def test_the_campaign_limit_applies() -> None:
    with pytest.raises(MessageTooLong) as caught:
        validate_message("а" * 101, MessageRules(max_graphemes=100))
    assert caught.value.limit == 100


def test_many_short_lines_are_refused_past_the_line_limit() -> None:
    assert validate_message("\n".join(["Так."] * 25))
    with pytest.raises(TooManyLines) as caught:
        validate_message("\n".join(["Так."] * 26))
    assert caught.value.data["limit"] == 25


def test_a_single_80_character_word_is_refused_as_too_long() -> None:
    word = "а" * 80
    with pytest.raises(WordTooLong) as caught:
        validate_message(f"Мама {word}")
    assert caught.value.code == "word_too_long"
    assert caught.value.word == word


def test_a_signature_is_one_line_and_may_be_empty() -> None:
    assert validate_signature("  З любоўю,\nАлеся ") == "З любоўю, Алеся"
    assert validate_signature("   ") == ""
    with pytest.raises(MessageTooLong) as caught:
        validate_signature("я" * 61)
    assert caught.value.field == "signature"


def test_every_message_error_has_a_stable_code_and_data_naming_the_field() -> None:
    for error in (EmptyMessage(), MessageTooLong(1, 2), TooManyLines(1, 2), WordTooLong(1, "x")):
        assert isinstance(error, MessageError)
        assert error.code and error.data["field"] == "message"


def kinds(text: str, watch: tuple[str, ...] = ()) -> list[tuple[FlagKind, str]]:
    return [(flag.kind, flag.text) for flag in flag_message(text, watch)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("глядзі https://example.org/path.", [(FlagKind.LINK, "https://example.org/path")]),
        ("зайдзі на www.example.net", [(FlagKind.LINK, "www.example.net")]),
        ("пиши на example.org, мама", [(FlagKind.LINK, "example.org")]),
        ("сайт прыклад.бел", [(FlagKind.LINK, "прыклад.бел")]),
        ("mail me: someone@example.com", [(FlagKind.EMAIL, "someone@example.com")]),
        ("звані +375 29 123-45-67", [(FlagKind.PHONE, "+375 29 123-45-67")]),
        ("тэлеграм @some_handle", [(FlagKind.HANDLE, "@some_handle")]),
    ],
)
def test_links_contacts_and_phone_numbers_are_flagged(text: str, expected: list) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Сустрэнемся 15.03.2025 у 10:30.",
        "Мы разам з 2020-2024 і далей.",
        "Канец сказа.Пачатак новага.",
        "Мама, дзякуй! Усё будзе добра.",
        "Тут 3 яблыкі і 12 груш.",
    ],
)
def test_ordinary_sentences_dates_and_numbers_are_not_flagged(text: str) -> None:
    assert flag_message(text) == []


def test_watch_words_match_other_forms_in_belarusian_russian_and_english() -> None:
    watch = ("свабода", "свобода", "prison", "голодовка")
    text = "Мы марым пра свабоду. Верим в свободу! Prisoners are brave. Про голодовку не пиши."
    found = [(f.text, f.detail) for f in flag_message(text, watch)]
    assert found == [
        ("свабоду", "свабода"),
        ("свободу", "свобода"),
        ("Prisoners", "prison"),
        ("голодовку", "голодовка"),
    ]


def test_a_watch_phrase_matches_consecutive_words() -> None:
    flags = flag_message("Лісты для палітычных вязняў і іх сем'яў.", ["палітычныя вязні"])
    assert [(f.kind, f.text) for f in flags] == [(FlagKind.WATCH_WORD, "палітычных вязняў")]


def test_watch_words_do_not_match_unrelated_short_words() -> None:
    assert flag_message("Мама, мы вас любім.", ["мак"]) == []


def test_shouting_in_capitals_is_flagged_but_an_acronym_is_not() -> None:
    assert kinds("МЫ ВАС ВЕЛЬМІ ЛЮБІМ, мама") == [(FlagKind.SHOUTING, "МЫ ВАС ВЕЛЬМІ ЛЮБІМ")]
    assert flag_message("Прывітанне з ЗША і ЕС.") == []


def test_flag_spans_point_at_the_highlighted_text() -> None:
    text = "Пиши: someone@example.com"
    (flag,) = flag_message(text)
    assert isinstance(flag, Flag)
    assert text[flag.start : flag.end] == flag.text
