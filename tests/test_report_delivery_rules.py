"""When the monthly ward report goes out on its own (bot/rules/report_delivery.py): at its minute, once,
late after downtime the same day, skipped on a later day, waiting on its day for someone to join."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from bot.rules import report_delivery as rd
from bot.rules.schedule import LATE, NOBODY, ON_TIME, SEND, SKIP

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WARDS = {1: (101, 102), 2: ()}


def due(now, decided=(), wards=WARDS, day=10):
    return rd.due(now, wards, decided, day=day, at=time(7, 0), tz=VN)


def test_nothing_before_its_minute():
    assert due(datetime(2026, 12, 10, 6, 59, tzinfo=VN)) == []


def test_sent_at_its_minute_to_the_staff_who_joined_and_waits_for_the_others():
    found = due(datetime(2026, 12, 10, 7, 0, tzinfo=VN))
    assert [(d.ward_id, d.period, d.action, d.reason, d.recipients) for d in found] == [
        (1, "2026-12", SEND, ON_TIME, (101, 102))]


def test_once_decided_never_again():
    assert due(datetime(2026, 12, 10, 9, 0, tzinfo=VN), decided={(1, "2026-12")}) == []


def test_after_downtime_the_same_day_it_is_still_sent_a_later_day_skipped():
    assert due(datetime(2026, 12, 10, 23, 59, tzinfo=VN))[0].action == SEND
    later = due(datetime(2026, 12, 11, 0, 1, tzinfo=VN))
    assert [(d.ward_id, d.action, d.reason) for d in later] == [(1, SKIP, LATE), (2, SKIP, NOBODY)]


def test_any_zone_and_a_day_past_the_months_end():
    assert due(datetime(2026, 12, 10, 0, 0, tzinfo=timezone.utc))[0].reason == ON_TIME   # 07:00 in Vietnam
    assert due(datetime(2027, 2, 28, 7, 0, tzinfo=VN), day=31)[0].period == "2027-02"
