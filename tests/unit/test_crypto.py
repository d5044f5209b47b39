import pytest
from cryptography.fernet import Fernet

from cardsapp.crypto import AddressBox, AddressKeyError, PostalAddress

ADDRESS = PostalAddress(
    "Testa Canary", "1 Nowhere Lane", "", "Fictionville", "FX001", "Nowhereland"
)


def test_a_sealed_address_opens_to_the_same_address():
    box = AddressBox([Fernet.generate_key().decode()])
    assert box.open(box.seal(ADDRESS)) == ADDRESS


def test_a_sealed_address_does_not_contain_the_plain_text():
    box = AddressBox([Fernet.generate_key().decode()])
    token = box.seal(ADDRESS)
    assert b"Canary" not in token and b"Nowhere" not in token


def test_after_rotation_the_old_key_can_be_dropped():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = AddressBox([old]).seal(ADDRESS)
    rotated = AddressBox([new, old]).rotate(token)
    assert AddressBox([new]).open(rotated) == ADDRESS
    with pytest.raises(AddressKeyError):
        AddressBox([new]).open(token)


def test_a_box_without_keys_refuses_to_exist():
    with pytest.raises(AddressKeyError):
        AddressBox([])
    with pytest.raises(AddressKeyError):
        AddressBox(["not a key"])


def test_label_lines_leave_out_blank_parts():
    assert ADDRESS.lines() == [
        "Testa Canary",
        "1 Nowhere Lane",
        "FX001 Fictionville",
        "Nowhereland",
    ]
