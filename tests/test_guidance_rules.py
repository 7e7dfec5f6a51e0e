"""The guidance rules (bot/rules/guidance.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.clock import VN_TZ
from bot.rules import guidance as rules
from bot.rules.guidance import Member


@pytest.mark.parametrize("today, month", [
    (date(2026, 11, 1), "2026-11"), (date(2026, 11, 20), "2026-11"), (date(2026, 11, 21), "2026-12"),
    (date(2026, 12, 27), "2027-01"), (date(2027, 1, 5), "2027-01"),
])
def test_default_month_is_next_month_after_the_20th(today, month):
    assert rules.default_month(today) == month


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)))
def test_default_month_is_this_or_the_next(today):
    assert rules.default_month(today) in rules.month_choices(today)


@pytest.mark.parametrize("text, month", [
    ("2026-12", "2026-12"), ("12/2026", "2026-12"), ("T1/2027", "2027-01"), (" 3-2027 ", "2027-03"),
    ("13/2026", None), ("tháng mười", None), ("", None),
])
def test_parse_month(text, month):
    assert rules.parse_month(text) == month


def test_month_to_show_prefers_next_month_once_it_has_come():
    assert rules.month_to_show(date(2026, 11, 27), ["2026-11", "2026-12"]) == "2026-12"
    assert rules.month_to_show(date(2026, 11, 27), ["2026-11"]) == "2026-11"
    assert rules.month_to_show(date(2026, 11, 10), ["2026-11", "2026-12"]) == "2026-11"
    assert rules.month_to_show(date(2026, 11, 10), ["2026-10"]) is None


MEMBERS = [
    Member(1, 10, "secretary"), Member(2, 10, "deputy"), Member(3, 10, "member"),
    Member(4, 11, "secretary"), Member(5, 11, "deputy"), Member(1, 11, "deputy"),  # 1 leads two cells
    Member(6, 12, "secretary"),
]


def test_recipients_by_audience_and_cells_each_person_once():
    assert [m.person_id for m in rules.recipients(MEMBERS, [10, 11], rules.LEADERS)] == [1, 2, 4, 5]
    assert [m.person_id for m in rules.recipients(MEMBERS, [10, 11, 12], rules.SECRETARIES)] == [1, 4, 6]
    assert rules.recipients(MEMBERS, [], rules.LEADERS) == []


def test_who_may_send_to_a_cell():
    cell_in_ward_7 = [100, 7, 1]   # the cell, its ward, the city
    assert rules.may_send_to([("ward_staff", 7)], cell_in_ward_7)
    assert rules.may_send_to([("city_staff", 1)], cell_in_ward_7)
    assert not rules.may_send_to([("ward_staff", 8)], cell_in_ward_7)
    assert not rules.may_send_to([("secretary", 100)], cell_in_ward_7)
    assert rules.sender_units([("ward_staff", 8), ("secretary", 3), ("ward_staff", 7)]) == [7, 8]


NOW = datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ)


@pytest.mark.parametrize("text, expected", [
    ("30/11/2026 07:00", datetime(2026, 11, 30, 7, 0, tzinfo=VN_TZ)),
    ("30/11 7h30", datetime(2026, 11, 30, 7, 30, tzinfo=VN_TZ)),
    ("7:00 30/11/2026", datetime(2026, 11, 30, 7, 0, tzinfo=VN_TZ)),
    ("2026-11-30 07:00", datetime(2026, 11, 30, 7, 0, tzinfo=VN_TZ)),
    ("1/1 8 giờ", datetime(2027, 1, 1, 8, 0, tzinfo=VN_TZ)),
    ("20/11 8:00", datetime(2027, 11, 20, 8, 0, tzinfo=VN_TZ)),   # no year: the next 20 November
])
def test_parse_schedule_reads_vietnam_time(text, expected):
    assert rules.parse_schedule(text, NOW) == (expected, None)


@pytest.mark.parametrize("text, error", [
    ("ngày mai", rules.SCHEDULE_BAD_FORMAT), ("31/11/2026 07:00", rules.SCHEDULE_BAD_FORMAT),
    ("25:00 30/11/2026", rules.SCHEDULE_BAD_FORMAT), ("20/11/2026 07:00", rules.SCHEDULE_IN_PAST),
    ("27/11/2026 09:00", rules.SCHEDULE_IN_PAST),
])
def test_parse_schedule_refuses_bad_or_past_times(text, error):
    assert rules.parse_schedule(text, NOW) == (None, error)


@pytest.mark.parametrize("statuses, status", [
    ([], rules.NOT_JOINED), (["sent"], rules.SENT), (["pending"], rules.PENDING), (["sending"], rules.PENDING),
    (["unreachable"], rules.UNREACHABLE), (["failed"], rules.FAILED), (["sent", "failed"], rules.SENT),
    (["unreachable", "pending"], rules.PENDING), (["failed", "unreachable"], rules.UNREACHABLE),
    (["failed", "cancelled"], rules.FAILED),
])
def test_copy_status(statuses, status):
    assert rules.copy_status(statuses) == status


def test_progress_per_cell_and_in_total():
    recipients = rules.recipients(MEMBERS, [10, 11, 12], rules.LEADERS)   # 1, 2 | 4, 5 | 6
    statuses = {1: rules.SENT, 2: rules.SENT, 4: rules.UNREACHABLE, 5: rules.PENDING}   # 6 not joined
    result = rules.progress(recipients, statuses, received=[1, 4])
    by_cell = {cell.cell_id: cell for cell in result.cells}
    assert [c.cell_id for c in result.cells] == [10, 11, 12]
    assert (by_cell[10].sent, by_cell[10].received, by_cell[10].not_confirmed) == (2, 1, [2])
    assert by_cell[11].not_delivered == [(4, "unreachable"), (5, "pending")]
    assert (by_cell[12].not_joined, by_cell[12].not_delivered) == (1, [(6, "not_joined")])
    total = result.total
    assert (total.recipients, total.sent, total.received, total.pending, total.unreachable, total.not_joined) == \
        (5, 2, 1, 1, 1, 1)
    assert not result.finished
    assert rules.progress(recipients, {**statuses, 5: rules.FAILED}, []).finished


def test_resend_goes_to_everyone_who_has_not_confirmed():
    recipients = rules.recipients(MEMBERS, [10, 11], rules.LEADERS)
    assert [m.person_id for m in rules.resend_targets(recipients, received=[2, 5])] == [1, 4]


@pytest.mark.parametrize("now", [NOW, datetime(2026, 12, 31, 23, 59, tzinfo=VN_TZ), datetime(2027, 2, 28, 6, 0, tzinfo=VN_TZ)])
def test_the_prompts_example_send_time_is_ahead_and_readable(now):
    example = rules.schedule_example(now)
    when, problem = rules.parse_schedule(example, now)
    assert problem is None and when > now and when - now <= timedelta(days=2)
