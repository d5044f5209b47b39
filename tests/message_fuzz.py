"""Fuzzing the message pipeline: whole-Unicode text and a hand-made corpus of nasties.

Shared by the short run in the test suite and the long run in
`bench/fuzz_messages.py`. Every case goes through the same checks a donor's
draft goes through (normalise, validate, flag, glyph coverage, layout); the
outcome must be an accepted draft that lays out inside its box, or a refusal
with a code and a sentence in every language. Never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask
from flask_babel import force_locale
from hypothesis import strategies as st

from cardsapp.extensions import db
from cardsapp.models import Campaign
from cardsapp.render.card import layout_card
from cardsapp.render.designs import designs
from cardsapp.services.submissions import Draft, DraftRefused, check_draft
from cardsapp.web.donate.messages import error_sentence

CORPUS = [
    "",
    " ",
    "\n\n\n",
    "Hello\u202egnirts desrever",  # right-to-left override
    "a\u2066b\u2069c",  # isolates
    "zero\u200bwidth",
    "joiner\u200dhere",
    "e\u0301" * 50,  # combining acute on every letter
    "Z" + "\u0336\u0337\u0338" * 300,  # combining storm on one letter
    "x" * 10_000,  # a 10,000-character word
    "Ў" * 10_000,
    "nul\x00byte",
    "bell\x07",
    "lone \ud800 surrogate",
    "lone \udfff low surrogate",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }} {% raw %}",
    "%(num)d %s {0}",
    "שלום עולם, מה שלומך?",
    "مرحبا بالعالم",
    "Дарагая мама! ❤️🌷",
    "👨‍👩‍👧‍👦",
    "\ufeffBOM at start",
    "tab\tand\vvertical\ffeed",
    "\r\n".join(["line"] * 200),
    "ДОЛОЙ ВСЁ ЭТО НЕМЕДЛЕННО",
    "visit www.example.org or mail me at someone@example.org +375 29 000 00 00",
    "\U000f0000 private use",
    "\u0378 unassigned",
    "ﷺ ligature",
    "ǅ titlecase ﬀ",
    "a" * 599 + "ў",
]

whole_unicode = st.text(st.characters(codec=None, exclude_categories=()), max_size=700)
cyrillic_words = st.lists(
    st.text(st.characters(min_codepoint=0x400, max_codepoint=0x4FF), min_size=1, max_size=14),
    max_size=120,
).map(" ".join)
messages = st.one_of(whole_unicode, cyrillic_words, st.sampled_from(CORPUS))


@dataclass
class FuzzTally:
    cases: int = 0
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        codes = ", ".join(f"{code} {n}" for code, n in sorted(self.refused.items()))
        return f"{self.cases} cases: {self.accepted} accepted, refused: {codes or 'none'}"


def check_one(
    app: Flask, campaign: Campaign, message: str, signature: str, tally: FuzzTally
) -> None:
    """One case through the draft checks; raises AssertionError on any broken promise."""
    tally.cases += 1
    available = designs(app.extensions["cardsapp.config"].designs_dir)
    # The widest box and the smallest, so both "fits" and "too long for this design" occur.
    for slug in ("plain", "sunrise"):
        draft = Draft(design=slug, message=message, signature=signature)
        try:
            checked = check_draft(db.session, campaign, draft, available)
        except DraftRefused as refused:
            assert refused.errors, "a refusal must name at least one reason"
            for name, error in refused.errors.items():
                assert error.code, name
                for language in ("be", "ru", "en"):
                    with force_locale(language):
                        assert error_sentence(error).strip(), (error.code, language)
                tally.refused[error.code] = tally.refused.get(error.code, 0) + 1
            continue
        tally.accepted += 1
        layout = layout_card(checked.design, checked.message, checked.signature)
        box = checked.design.text_box
        for line in layout.lines:
            assert box.x - 0.01 <= line.x and line.x + line.width <= box.right + 0.01, line
            assert box.y <= line.baseline <= box.bottom + 0.01, line
