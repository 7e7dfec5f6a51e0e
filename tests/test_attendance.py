"""bot/rules/attendance.py: the counting of a roll call, the target, the length, the corrections window."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from bot.rules import attendance as a
from bot.rules.attendance import (ABSENT_EXCUSED, ABSENT_UNEXCUSED, EXEMPT_ABSENT, EXEMPT_PRESENT, PRESENT,
                                  UNNAMED)


def test_thirty_members_two_absent():
    c = a.count([PRESENT] * 28 + [ABSENT_EXCUSED, ABSENT_UNEXCUSED])
    assert (c.eligible, c.present, c.absent, c.absent_excused, c.absent_unexcused) == (30, 28, 2, 1, 1)
    assert c.rate == Fraction(28, 30) and c.meets_target


def test_exempt_absent_are_left_out_and_exempt_present_count():
    # 294-QĐ/TW: an exempt member absent is not counted; present, they count as present and eligible
    c = a.count([PRESENT] * 9 + [EXEMPT_ABSENT, EXEMPT_ABSENT, EXEMPT_PRESENT])
    assert (c.eligible, c.present, c.exempt_absent, c.exempt_present) == (10, 10, 2, 1)
    assert c.rate == 1


def test_the_target_is_compared_exactly():
    # 9 of 10 is exactly 90 %: meets; 26 of 29 (89.65 %) does not; the float 0.9 is read as 9/10
    assert a.count([PRESENT] * 9 + [ABSENT_EXCUSED]).meets_target
    assert not a.count([PRESENT] * 26 + [ABSENT_EXCUSED] * 3).meets_target
    assert a.count([PRESENT] * 17 + [ABSENT_EXCUSED] * 3, target=0.85).meets_target
    assert not a.count([PRESENT] * 16 + [ABSENT_EXCUSED] * 4, target=Fraction(17, 20)).meets_target


def test_by_count():
    c = a.count([UNNAMED] * 30 + [EXEMPT_PRESENT, EXEMPT_ABSENT], counted_present=27)
    assert (c.eligible, c.present, c.absent_unnamed) == (31, 28, 3)
    with pytest.raises(a.CountError):
        a.count([UNNAMED] * 30, counted_present=31)
    with pytest.raises(a.CountError):
        a.count([UNNAMED] * 30, counted_present=-1)
    with pytest.raises(a.CountError):
        a.count([UNNAMED] * 3)          # unnamed members without a count


def test_nobody_eligible_and_bad_input():
    c = a.count([EXEMPT_ABSENT, EXEMPT_ABSENT])
    assert c.eligible == 0 and c.rate is None and c.meets_target
    with pytest.raises(a.CountError):
        a.count(["late"])
    with pytest.raises(a.CountError):
        a.count([PRESENT], guests=-1)


def test_guests_are_counted_apart():
    c = a.count([PRESENT, ABSENT_EXCUSED], guests=3)
    assert (c.eligible, c.present, c.guests) == (2, 1, 3)


statuses = st.lists(st.sampled_from([PRESENT, ABSENT_EXCUSED, ABSENT_UNEXCUSED, EXEMPT_ABSENT, EXEMPT_PRESENT]),
                    max_size=120)


@given(statuses, st.integers(0, 5))
def test_counting_properties(marks, guests):
    c = a.count(marks, guests=guests)
    assert 0 <= c.present <= c.eligible <= len(marks)
    assert c.eligible == len(marks) - marks.count(EXEMPT_ABSENT)
    assert c.present == marks.count(PRESENT) + marks.count(EXEMPT_PRESENT)
    assert c.absent == c.absent_excused + c.absent_unexcused
    assert c.guests == guests
    if c.eligible:
        assert c.meets_target == (c.present * 10 >= c.eligible * 9)
    # marking one more member present never lowers the rate
    if ABSENT_EXCUSED in marks:
        better = list(marks)
        better[better.index(ABSENT_EXCUSED)] = PRESENT
        assert a.count(better).rate >= c.rate


@given(st.integers(0, 100), st.integers(0, 100), st.integers(0, 5), st.integers(0, 5))
def test_by_count_properties(regular, present, exempt_in, exempt_out):
    marks = [UNNAMED] * regular + [EXEMPT_PRESENT] * exempt_in + [EXEMPT_ABSENT] * exempt_out
    if present > regular:
        with pytest.raises(a.CountError):
            a.count(marks, counted_present=present)
        return
    c = a.count(marks, counted_present=present)
    assert (c.eligible, c.present, c.absent_unnamed) == (regular + exempt_in, present + exempt_in, regular - present)


def test_toggle_cycles_through_one_tap_each():
    assert a.toggle(PRESENT) == ABSENT_EXCUSED          # default: with a reason
    assert a.toggle(ABSENT_EXCUSED) == ABSENT_UNEXCUSED
    assert a.toggle(ABSENT_UNEXCUSED) == PRESENT
    assert a.toggle(EXEMPT_ABSENT) == EXEMPT_PRESENT and a.toggle(EXEMPT_PRESENT) == EXEMPT_ABSENT
    assert a.initial_status(False) == PRESENT and a.initial_status(True) == EXEMPT_ABSENT
    assert a.mark_absent(PRESENT) == ABSENT_EXCUSED and a.mark_absent(PRESENT, excused=False) == ABSENT_UNEXCUSED
    assert a.mark_absent(EXEMPT_PRESENT) == EXEMPT_ABSENT
    assert a.mark_present(ABSENT_UNEXCUSED) == PRESENT and a.mark_present(EXEMPT_ABSENT) == EXEMPT_PRESENT


START = datetime(2026, 12, 3, 19, 0)


@pytest.mark.parametrize("kind, minutes, ok", [
    (None, 90, True), ("regular", 89, False), ("thematic", 95, True), ("both", 119, False), ("both", 120, True),
])
def test_length(kind, minutes, ok):
    found = a.length(START, START + timedelta(minutes=minutes, seconds=30), kind)
    assert found.minutes == minutes and found.meets_minimum is ok
    assert found.minimum == (120 if kind == "both" else 90)


def test_length_end_before_start_and_configured_minimums():
    assert a.length(START, START - timedelta(minutes=5), None) == a.Length(None, 90, False)
    assert a.length(START, START + timedelta(minutes=100), "both", minimum=60, minimum_both=100).meets_minimum


@given(st.integers(-600, 600), st.sampled_from([None, "regular", "thematic", "both"]))
def test_length_properties(minutes, kind):
    found = a.length(START, START + timedelta(minutes=minutes), kind)
    assert found.meets_minimum == (minutes >= found.minimum)


def test_corrections_window():
    assert a.corrections_deadline("2026-12") == date(2027, 1, 10)
    assert a.corrections_deadline("2027-01", 31) == date(2027, 2, 28)
    assert a.may_correct("2026-12", date(2026, 12, 3))
    assert a.may_correct("2026-12", date(2027, 1, 10))
    assert not a.may_correct("2026-12", date(2027, 1, 11))
    assert a.may_correct("2026-12", date(2027, 1, 11), reopened_until=date(2027, 1, 18))
    assert not a.may_correct("2026-12", date(2027, 1, 19), reopened_until=date(2027, 1, 18))
    assert not a.may_correct("2026-12", date(2026, 11, 30))
    assert a.may_correct("2026-12", date(2027, 1, 3), deadline_day=5) and \
        not a.may_correct("2026-12", date(2027, 1, 6), deadline_day=5)


def test_quarters_and_kinds():
    assert a.quarter_months("2026-11") == ("2026-10", "2026-11", "2026-12")
    assert a.quarter_months("2027-01") == ("2027-01", "2027-02", "2027-03")
    assert a.is_thematic("both") and a.is_thematic("thematic") and not a.is_thematic("regular")
    assert not a.is_thematic(None)
