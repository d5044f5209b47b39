"""Recipient files: what a spreadsheet writes is what the import reads, whatever the text."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from cardsapp.services.recipient_files import COLUMNS, parse_recipient_file

# Letters of the three languages, digits, and the characters that need quoting in a CSV.
ALPHABET = "abcxyzABCXYZабвгдеёжўіщъьэюяАБВЎІЁЪЬ0123456789 ,;\"'-./№"
field = st.text(alphabet=ALPHABET, min_size=1, max_size=20).filter(lambda v: v.strip())
row = st.tuples(field, field, field, st.text(alphabet=ALPHABET, max_size=10), field, field, field)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        row, min_size=1, max_size=5, unique_by=lambda r: " ".join(r[0].split()).casefold()
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    bom=st.booleans(),
)
def test_every_csv_a_spreadsheet_writes_reads_back_the_same(rows, delimiter, bom):
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8-sig" if bom else "utf-8")
    parsed = parse_recipient_file(data)
    assert [label for label, _ in parsed] == [" ".join(r[0].split()) for r in rows]
    for (_, address), written in zip(parsed, rows, strict=True):
        assert address.name == " ".join(written[1].split())
        assert address.address_line2 == " ".join(written[3].split())
        assert address.country == " ".join(written[6].split())
