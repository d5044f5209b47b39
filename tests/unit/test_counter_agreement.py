"""The writing page's live counter (write.js) and the server count the same characters.

write.js is run by Node (the JavaScript engine of the browsers' family, with the same
Intl.Segmenter) on messages Hypothesis makes: combining marks, Belarusian letters, every
kind of line break and space. Each must count what cardsapp.domain.text counts after
normalising, so "N characters too many" on the page is the number the error says.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cardsapp.domain.text import grapheme_count, normalise_text

WRITE_JS = Path(__file__).resolve().parents[2] / "cardsapp" / "static" / "js" / "write.js"
NODE = shutil.which("node")
# Loads write.js as a page would (no writing form on this "page"), then counts each line of
# standard input (a JSON string) with the page's own function.
RUNNER = """
const fs = require("fs"), vm = require("vm"), readline = require("readline");
const page = { Intl, document: { getElementById: () => null } };
page.window = page; page.globalThis = page;
vm.createContext(page);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"), page);
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  process.stdout.write(JSON.stringify(page.cardsappText.characters(JSON.parse(line))) + "\\n");
});
"""

LETTERS = "aeoxyzAEOЎўІіЁёЙйЖжШшЧчЦцЭэЮюЯяьЬ’'.,!?-—«»0123456789"
MARKS = "".join(chr(c) for c in [*range(0x0300, 0x0370), *range(0x0483, 0x048A)])
SPACES = " \t\u00a0\u2002\u2009\u202f\u3000\u00ad"
BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\n\n\n"]
pieces = st.one_of(
    st.text(alphabet=LETTERS, min_size=1, max_size=6),
    st.text(alphabet=MARKS, min_size=1, max_size=4),
    st.text(alphabet=SPACES, min_size=1, max_size=3),
    st.sampled_from(BREAKS),
    st.sampled_from(["й", "и\u0306", "ў", "у\u0306", "ё", "е\u0308", "а́", "🇧🇾", "👩🏽‍🍼"]),
)
messages = st.lists(pieces, max_size=40).map("".join)


class Counter:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def count(self, text: str) -> int:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(text) + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())


@pytest.fixture(scope="module")
def page_counter() -> Iterator[Counter]:
    if NODE is None:
        pytest.skip("node is not installed")
    process = subprocess.Popen(
        [NODE, "-e", RUNNER, str(WRITE_JS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield Counter(process)
    process.kill()
    process.wait()


def server_count(text: str) -> int:
    return grapheme_count(normalise_text(text))


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=messages)
@example(text="Мама,\n\n\n\nтрымайся!  \n")
@example(text="  a\u0301\u0301  \r\n\r\nй ")
@example(text="\u00adсяброўка\u2028\u2028\u2028")
def test_the_live_counter_counts_what_the_server_counts(page_counter, text):
    assert page_counter.count(text) == server_count(text)


def test_a_trailing_blank_line_is_not_counted_on_the_page(page_counter):
    # The "210 too many" against "209 too long" of issue 15: the page counted what the
    # server strips.
    text = "б" * 609 + "\n"
    assert page_counter.count(text) == server_count(text) == 609
