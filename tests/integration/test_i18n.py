"""Three languages: the first visit follows the browser, the switcher remembers, all translated."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, ngettext, refresh

from cardsapp.extensions import db
from tests.factories import compile_catalogues, make_campaign

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "cardsapp" / "translations"
# What donors and the public can see; staff pages are translated as their owners add them.
DONOR_SOURCES = (
    "cardsapp/templates/base.html",
    "cardsapp/templates/error.html",
    "cardsapp/templates/donate/",
    "cardsapp/web/donate/",
    "cardsapp/errors.py",
)


@pytest.fixture(autouse=True, scope="module")
def _catalogues() -> None:
    compile_catalogues()


def test_the_first_visit_follows_the_browsers_language(client, app):
    make_campaign(db.session)
    db.session.commit()
    page = client.get("/", headers={"Accept-Language": "be-BY,be;q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert '<html lang="be">' in text and "Напісаць паштоўку" in text
    refresh()  # the test's outer app context caches the locale between requests
    ru = client.get("/write", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Написать открытку" in ru and "Текст открытки" in ru


def test_the_switcher_remembers_the_choice_over_the_browsers_language(client, app):
    make_campaign(db.session)
    db.session.commit()
    switched = client.get("/language/ru?next=/write")
    assert switched.status_code == 302 and switched.headers["Location"] == "/write"
    refresh()
    page = client.get("/write", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru">' in page and "Выберите рисунок" in page
    # The writing page switches by sending the form, so that the draft comes along.
    assert 'name="switch_language" value="be"' in page
    assert 'form="write-form"' in page and 'name="switch_language" value="en"' in page
    # Other pages offer the switch as a link back to themselves.
    refresh()
    landing = client.get("/").get_data(as_text=True)
    assert "/language/be?next=/" in landing and "/language/en?next=/" in landing


def test_an_unknown_language_falls_back_to_english(client, app):
    make_campaign(db.session)
    db.session.commit()
    page = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Write a card" in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {1: "1 card written", 2: "2 cards written", 21: "21 cards written"},
        ),
        (
            "be",
            {
                1: "1 паштоўка",
                2: "2 паштоўкі",
                4: "4 паштоўкі",
                5: "5 паштовак",
                11: "11 паштовак",
                12: "12 паштовак",
                21: "21 паштоўка",
                22: "22 паштоўкі",
                25: "25 паштовак",
                101: "101 паштоўка",
                111: "111 паштовак",
                0: "0 паштовак",
            },
        ),
        (
            "ru",
            {
                1: "1 открытка",
                3: "3 открытки",
                5: "5 открыток",
                11: "11 открыток",
                14: "14 открыток",
                21: "21 открытка",
                24: "24 открытки",
                100: "100 открыток",
                0: "0 открыток",
            },
        ),
    ],
)
def test_plural_forms_are_right_in_every_language(app, language, expected):
    with force_locale(language):
        for n, text in expected.items():
            assert ngettext("%(num)d card written", "%(num)d cards written", n) == text


@pytest.mark.parametrize(
    ("language", "n", "expected"),
    [
        ("be", 1, "Застаўся 1 знак"),
        ("be", 3, "Засталося 3 знакі"),
        ("be", 600, "Засталося 600 знакаў"),
        ("ru", 1, "Остался 1 символ"),
        ("ru", 42, "Осталось 42 символа"),
        ("ru", 11, "Осталось 11 символов"),
        ("en", 1, "1 character left"),
        ("en", 0, "0 characters left"),
    ],
)
def test_the_character_count_is_said_right(client, app, language, n, expected):
    make_campaign(db.session, max_message_length=600)
    db.session.commit()
    client.set_cookie("lang", language)
    # The count shown before any script runs (write.js uses the same sentences).
    from tests.factories import csrf_token

    token = csrf_token(client.get("/write").get_data(as_text=True))
    page = client.post(
        "/write",
        data={
            "csrf_token": token,
            "design": "birds",
            "message": "ы" * (600 - n),
            "recipient": "any",
            "preview": "1",
        },
    ).get_data(as_text=True)
    assert expected in page


def _translated(message: object) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and "fuzzy" not in message.flags


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("language", ["be", "ru"])
def test_translations_keep_every_placeholder_and_have_three_plural_forms(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    assert catalogue.num_plurals == 3
    wrong = []
    for message in catalogue:
        if not message.id or not _translated(message):
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(strings) == (3 if len(ids) == 2 else 1), message.id
        wrong += [(ids[0], s) for s in strings if set(PLACEHOLDER.findall(s)) != wanted]
    assert wrong == []


def test_every_string_a_donor_can_see_is_in_both_catalogues(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        wanted = {
            m.id if isinstance(m.id, str) else m.id[0]
            for m in read_po(handle)
            if m.id and any(path.startswith(DONOR_SOURCES) for path, _line in m.locations)
        }
    assert len(wanted) > 50
    for language in ("be", "ru"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalogue = read_po(handle)
        have = {
            m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id and _translated(m)
        }
        assert sorted(wanted - have) == [], language


def _entries(catalogue: object) -> dict[str, object]:
    """The catalogue's messages by their (singular) id, the header left out."""
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): m
        for m in catalogue  # type: ignore[attr-defined]
        if m.id
    }


@pytest.mark.parametrize("language", ["be", "ru"])
def test_every_entry_of_the_catalogue_is_translated_and_none_is_fuzzy(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    assert not catalogue.fuzzy, "the catalogue's header is marked fuzzy"
    untranslated, fuzzy = [], []
    for key, message in _entries(catalogue).items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = catalogue.num_plurals if message.pluralizable else 1
        if len(strings) != wanted or not all(s and s.strip() for s in strings):
            untranslated.append(key)
        if "fuzzy" in message.flags:
            fuzzy.append(key)
    assert untranslated == [], f"{language}: not translated (or a plural form missing)"
    assert fuzzy == [], f"{language}: marked fuzzy; check the translation, then clear the flag"


def test_the_catalogues_hold_every_message_the_source_has():
    """In-process `pybabel extract` with babel.cfg: a new string in the code fails here until
    the template and both catalogues are updated (and the test above, until it is translated)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)

    def only_the_app(path: str) -> bool:
        relative = Path(path).relative_to(ROOT)
        return relative.parts[:1] in ((), ("cardsapp",)) and not relative.name.startswith(
            (".", "_")
        )

    extracted = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None},
        directory_filter=only_the_app,
    ):
        extracted.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    wanted = _entries(extracted)
    assert len(wanted) > 200  # the extraction found the templates and the code
    for name in ("messages.pot", "be/LC_MESSAGES/messages.po", "ru/LC_MESSAGES/messages.po"):
        with (TRANSLATIONS / name).open("rb") as handle:
            have = _entries(read_po(handle))
        missing = sorted(key for key in wanted if key not in have)
        plural_changed = sorted(
            key for key in wanted if key in have and wanted[key].id != have[key].id
        )
        assert missing == [], f"{name}: run pybabel extract and update (see babel.cfg)"
        assert plural_changed == [], f"{name}: the plural form changed in the source"
