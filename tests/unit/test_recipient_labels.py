"""An address that cannot fit on a label is refused at import, naming recipient and field."""

from __future__ import annotations

import pytest

from cardsapp.services.recipient_files import ImportRefused
from cardsapp.services.recipient_files import parse_recipient_file as parse_recipients_csv

HEADER = "public_label,name,address_line1,address_line2,city,postcode,country\n"


def test_an_address_too_long_for_any_label_is_refused_naming_the_recipient_and_the_field():
    street = ("Prykladnaja vulica " * 7)[:120]
    long_name = ("Testa Recipientova-Uzornaja " * 5)[:120]
    good = f"Mother A,Testa Recipientova,{street},,Fictionville,FX001,Nowhereland\n"
    bad = f"Mother B,{long_name},{street},{street},{street},FX002,{street}\n"
    with pytest.raises(ImportRefused) as refused:
        parse_recipients_csv((HEADER + good + bad).encode())
    (error,) = refused.value.errors
    assert (error.line, error.code, error.recipient) == (3, "label_overflow", "Mother B")
    assert error.column in {"name", "address_line1", "address_line2", "city", "country"}
    assert "Mother B" in error.describe() and f"shorten {error.column}" in error.describe()


def test_a_long_but_printable_address_imports():
    street = ("Prykladnaja vulica " * 7)[:120]
    row = f"Mother A,Testa Recipientova,{street},,Fictionville,FX001,Nowhereland\n"
    ((label, address),) = parse_recipients_csv((HEADER + row).encode())
    assert label == "Mother A" and address.address_line1 == street
