from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.phone import display_phone, mask_phone, national_phone, normalize_phone

STORED = re.compile(r"84(?:[35789]\d{8}|2\d{9})")


@pytest.mark.parametrize("text", [
    "0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678", "0912-345-678", "(+84) 912 345 678",
    "+84 0912 345 678", "0084 912 345 678", " 0912345678 ", "912345678",  # a spreadsheet dropped the 0
])
def test_one_mobile_written_many_ways(text):
    assert normalize_phone(text) == "84912345678"


@pytest.mark.parametrize("text, stored", [
    ("0237 3852 123", "842373852123"),      # Thanh Hóa landline
    ("+84 237 3852 123", "842373852123"),
    ("024 3825 1234", "842438251234"),      # Hà Nội
    ("0399 900 001", "84399900001"),
    ("0562 111 222", "84562111222"),
    ("0702 111 222", "84702111222"),
    ("0812 111 222", "84812111222"),
])
def test_mobiles_and_landlines(text, stored):
    assert normalize_phone(text) == stored


@pytest.mark.parametrize("text", [
    None, "", "abc", "0912 345 67", "0912 345 6789", "0123 456 789",  # old 11-digit prefix, gone since 2018
    "0612 345 678", "0412 345 678", "+1 912 345 678", "+33 612 345 678", "0237 385 212",  # landline too short
    "0912 345 67x", "09１2345678", "٠٩١٢٣٤٥٦٧٨", "++84912345678", "84 84 912 345 678",
])
def test_rejects_what_is_not_a_vietnamese_number(text):
    assert normalize_phone(text) is None


def test_mask_and_display():
    assert mask_phone("84912345678") == "0912***678"
    assert mask_phone("842373852123") == "0237****123"
    assert mask_phone(None) == ""
    assert display_phone("84912345678") == "0912 345 678"
    assert display_phone("842373852123") == "0237 3852 123"
    assert national_phone("84912345678") == "0912345678"


mobiles = st.builds(lambda first, rest: f"0{first}{rest}", st.sampled_from("35789"),
                    st.text("0123456789", min_size=8, max_size=8))
landlines = st.builds(lambda rest: f"02{rest}", st.text("0123456789", min_size=9, max_size=9))


@given(national=st.one_of(mobiles, landlines),
       prefix=st.sampled_from(["0", "+84", "+84 ", "84", "0084", "+84 0", "(+84) ", ""]),
       separators=st.lists(st.sampled_from(["", " ", ".", "-"]), min_size=12, max_size=12))
def test_any_writing_of_a_number_gives_the_same_stored_form(national, prefix, separators):
    digits = national[1:]
    written = prefix + "".join(d + s for d, s in zip(digits, separators))
    stored = "84" + digits
    assert normalize_phone(written) == stored
    assert normalize_phone(display_phone(stored)) == stored
    assert normalize_phone(national_phone(stored)) == stored
    masked = mask_phone(stored)
    assert masked.startswith(national[:4]) and masked.endswith(national[-3:]) and "*" in masked


@given(st.text(max_size=20))
def test_whatever_it_returns_is_a_stored_form(text):
    result = normalize_phone(text)
    assert result is None or STORED.fullmatch(result)
