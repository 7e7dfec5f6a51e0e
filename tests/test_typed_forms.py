"""bot/rules/typed_forms.py: what typed lines mean in the roll call and the record, in vi (with or without
diacritics, any case) and en."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from bot.rules import typed_forms as f


@pytest.mark.parametrize("text, form, numbers", [
    ("vắng 3 7", f.ABSENT, (3, 7)), ("VANG 3, 7", f.ABSENT, (3, 7)), ("absent 3 7", f.ABSENT, (3, 7)),
    ("không lý do 4", f.UNEXCUSED, (4,)), ("vang khong ly do 4 5", f.UNEXCUSED, (4, 5)), ("no reason 4", f.UNEXCUSED, (4,)),
    ("bỏ vắng 2", f.PRESENT, (2,)), ("not absent 2", f.PRESENT, (2,)),
    ("có mặt 27", f.COUNT, (27,)), ("co mat 27", f.COUNT, (27,)), ("Present 27", f.COUNT, (27,)),
    ("khách 2", f.GUESTS, (2,)), ("guests 2", f.GUESTS, (2,)),
    ("xong", f.DONE, ()), ("Done", f.DONE, ()), ("bỏ qua", f.SKIP, ()), ("skip", f.SKIP, ()),
    ("5", f.NUMBER, (5,)), (" 12 ", f.NUMBER, (12,)), ("tất cả có mặt", f.ALL_PRESENT, ()),
])
def test_forms(text, form, numbers):
    typed = f.parse(text)
    assert (typed.form, typed.numbers) == (form, numbers)


def test_reason_keeps_what_was_typed():
    assert f.parse("lý do 3 Ốm nặng, nằm viện") == f.Typed(f.REASON, (3,), text="Ốm nặng, nằm viện")
    assert f.parse("ly do 3: di cong tac").text == "di cong tac"
    assert f.parse("reason 12 - ill").numbers == (12,) and f.parse("reason 12 - ill").text == "ill"


@pytest.mark.parametrize("text, at, day", [
    ("giờ 19:30", (19, 30), None), ("gio 19h30 3/12", (19, 30), (3, 12, None)),
    ("time 19:30 3/12/2026", (19, 30), (3, 12, 2026)), ("19:30", (19, 30), None), ("lúc 7.05", (7, 5), None),
])
def test_times(text, at, day):
    typed = f.parse(text)
    assert (typed.form, typed.time, typed.day) == (f.TIME, at, day)


@pytest.mark.parametrize("text", ["giờ 25", "giờ abc", "time"])
def test_a_time_that_cannot_be_read_is_still_a_time(text):
    assert f.parse(text) == f.Typed(f.TIME)


@pytest.mark.parametrize("text", ["", "   ", "hello", "vắng ba", "có mặt", "có mặt 3 4", "vắng", "x" * 600])
def test_not_a_form(text):
    assert f.parse(text) is None


@given(st.text(max_size=80))
def test_any_text_parses_or_not_without_error(text):
    typed = f.parse(text)
    assert typed is None or typed.form in (f.ABSENT, f.UNEXCUSED, f.REASON, f.PRESENT, f.COUNT, f.GUESTS, f.TIME,
                                           f.DONE, f.NUMBER, f.SKIP, f.ALL_PRESENT)


@given(st.lists(st.integers(1, 200), min_size=1, max_size=10))
def test_absent_numbers_round_trip(numbers):
    assert f.parse("vắng " + " ".join(map(str, numbers))).numbers == tuple(numbers)
