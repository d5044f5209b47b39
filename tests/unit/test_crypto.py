import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from cardsapp.crypto import AddressBox, AddressKeyError, PostalAddress
from cardsapp.crypto.address import (
    is_sealed,
    new_key_pair,
    open_address,
    public_key_of,
    seal_address,
)
from cardsapp.crypto.memory import wipe, wipe_text
from cardsapp.crypto.wrapping import (
    TEST_COST,
    WrongSecret,
    new_recovery_code,
    normalise_recovery_code,
    unwrap_key,
    wrap_key,
)

ADDRESS = PostalAddress(
    "Testa Canary", "1 Nowhere Lane", "", "Fictionville", "FX001", "Nowhereland"
)


def test_an_address_sealed_to_a_public_key_opens_only_with_its_private_key():
    public, private = new_key_pair()
    token = seal_address(public, ADDRESS)
    assert is_sealed(token)
    assert open_address(public, bytes(private), token) == ADDRESS
    other_public, other_private = new_key_pair()
    with pytest.raises(AddressKeyError):
        open_address(other_public, bytes(other_private), token)


def test_a_sealed_address_does_not_contain_the_plain_text():
    public, _private = new_key_pair()
    token = seal_address(public, ADDRESS)
    assert b"Canary" not in token and b"Nowhere" not in token


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=120), st.text(max_size=120))
def test_any_text_survives_sealing_and_opening(name, line):
    public, private = new_key_pair()
    address = PostalAddress(name, line, "ў і ё", "Мінск", "220000", "Беларусь")
    assert open_address(public, bytes(private), seal_address(public, address)) == address


def test_the_public_key_is_derived_from_the_private_one():
    public, private = new_key_pair()
    assert public_key_of(private) == public


def test_a_wrapped_key_opens_only_with_its_password_and_its_label():
    _public, private = new_key_pair()
    wrapped = wrap_key(private, "correct horse battery staple", "user:1", TEST_COST)
    assert unwrap_key(wrapped, "correct horse battery staple", "user:1") == private
    with pytest.raises(WrongSecret):
        unwrap_key(wrapped, "correct horse battery stapler", "user:1")
    with pytest.raises(WrongSecret):  # copied into another account's row: refused
        unwrap_key(wrapped, "correct horse battery staple", "user:2")
    assert bytes(private) not in wrapped.blob


def test_a_recovery_code_is_long_random_and_forgiving_to_type():
    code = new_recovery_code()
    assert len(code.replace("-", "")) == 32 and code != new_recovery_code()
    assert normalise_recovery_code(code.lower().replace("-", " ")) == code


def test_wiping_overwrites_bytes_and_texts_in_place():
    secret = bytes(bytearray(b"an address to forget"))
    wipe(secret)
    assert secret == bytes(20)
    ascii_text = "".join(["Canary", " Lane 7"])
    cyrillic = "".join(["вуліца ", "Канарэечная"])
    cyrillic.encode()
    wipe_text(ascii_text)
    wipe_text(cyrillic)
    assert set(ascii_text) == {"\0"} and set(cyrillic) == {"\0"}


def test_wiping_leaves_shared_strings_alone():
    wipe_text("a")
    wipe_text("")
    interned = "keep_this_name"
    wipe_text(interned)
    assert interned == "keep_this_name" and chr(97) == "a"


def test_old_fernet_tokens_still_open_for_the_migration():
    key = Fernet.generate_key().decode()
    token = AddressBox([key]).seal(ADDRESS)
    assert not is_sealed(token)
    assert AddressBox([key]).open(token) == ADDRESS
    with pytest.raises(AddressKeyError):
        AddressBox([Fernet.generate_key().decode()]).open(token)
    with pytest.raises(AddressKeyError):
        AddressBox([])


def test_label_lines_leave_out_blank_parts():
    assert ADDRESS.lines() == [
        "Testa Canary",
        "1 Nowhere Lane",
        "FX001 Fictionville",
        "Nowhereland",
    ]
