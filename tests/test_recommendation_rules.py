"""bot/rules/recommendations.py: the status machine (every status × action × level), who sees an item,
tracking codes, deadlines, the submission draft."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from bot.rules import recommendations as r
from bot.rules.recommendations import Decision, ItemPlace, Refusal, Viewer

# The whole machine, written out once more by hand: (level, action, from) -> to.
EXPECTED = {
    ("ward", "receive", "new"): "received",
    ("ward", "resolve", "new"): "resolved",
    ("ward", "resolve", "received"): "resolved",
    ("ward", "escalate", "new"): "escalated",
    ("ward", "escalate", "received"): "escalated",
    ("ward", "return", "new"): "returned",
    ("ward", "return", "received"): "returned",
    ("cell", "clarify", "returned"): "received",
    ("city", "resolve", "escalated"): "city_resolved",
    ("city", "return", "escalated"): "city_returned",
    ("cell", "clarify", "city_returned"): "escalated",
}


@pytest.mark.parametrize("level,action,status", list(itertools.product(r.LEVELS, r.ACTIONS, r.STATUSES)))
def test_every_single_level_action_and_status(level, action, status):
    decision = r.decide(status, action, [level], text="an answer")
    expected = EXPECTED.get((level, action, status))
    if expected is not None:
        assert decision == Decision(expected, level)
        return
    assert decision.to_status is None and not decision.allowed
    acts_at_all = any(lvl == level and act == action for lvl, act, _ in EXPECTED)
    if not acts_at_all:
        assert decision.refusal is Refusal.NOT_YOURS
    elif status in ("resolved", "city_resolved"):
        assert decision.refusal is Refusal.CLOSED
    else:
        assert decision.refusal is Refusal.WRONG_STATUS


def test_the_table_is_the_one_written_out():
    assert r.TRANSITIONS == EXPECTED


@pytest.mark.parametrize("levels", [set(c) for n in range(len(r.LEVELS) + 1)
                                    for c in itertools.combinations(r.LEVELS, n)])
def test_every_combination_of_levels(levels):
    for action, status in itertools.product(r.ACTIONS, r.STATUSES):
        decision = r.decide(status, action, levels, text="x")
        allowed = [EXPECTED[(lvl, action, status)] for lvl in r.LEVELS
                   if lvl in levels and (lvl, action, status) in EXPECTED]
        assert decision.allowed == bool(allowed)
        if allowed:
            assert decision.to_status == allowed[0]
        assert r.actions_for(status, levels).count(action) == (1 if allowed else 0)


@pytest.mark.parametrize("key", sorted(EXPECTED))
@pytest.mark.parametrize("text", [None, "", "   \n "])
def test_answer_question_and_clarification_need_a_text(key, text):
    level, action, status = key
    decision = r.decide(status, action, [level], text=text)
    if action in ("resolve", "return", "clarify"):
        assert decision.refusal is Refusal.NEEDS_TEXT
    else:
        assert decision.allowed


def test_closed_items_never_move_and_twice_is_refused():
    for status in ("resolved", "city_resolved"):
        assert r.actions_for(status, r.LEVELS) == []
        assert r.holder(status) is None
    # answering twice: the second finds it resolved
    first = r.decide("received", "resolve", ["ward"], "ok")
    assert r.decide(first.to_status, "resolve", ["ward"], "again").refusal is Refusal.CLOSED
    # escalating a resolved one, receiving an escalated one (a stale button)
    assert r.decide("resolved", "escalate", ["ward"]).refusal is Refusal.CLOSED
    assert r.decide("escalated", "receive", ["ward"]).refusal is Refusal.WRONG_STATUS


def test_unknown_actions_and_statuses_are_refused():
    assert r.decide("new", "delete", ["ward", "city", "cell"]).refusal is Refusal.UNKNOWN
    assert r.decide("lost", "receive", ["ward"]).refusal is Refusal.UNKNOWN
    assert r.decide("new", "receive", []).refusal is Refusal.NOT_YOURS


def test_every_status_is_reachable_from_new_and_every_open_one_can_close():
    reach, frontier = {"new"}, ["new"]
    while frontier:
        status = frontier.pop()
        for (_lvl, _act, src), dst in r.TRANSITIONS.items():
            if src == status and dst not in reach:
                reach.add(dst)
                frontier.append(dst)
    assert reach == set(r.STATUSES)
    for status in r.OPEN:
        seen, frontier = {status}, [status]
        while frontier:
            s = frontier.pop()
            for (_l, _a, src), dst in r.TRANSITIONS.items():
                if src == s and dst not in seen:
                    seen.add(dst)
                    frontier.append(dst)
        assert seen & r.CLOSED, status


def test_holder():
    assert [r.holder(s) for s in r.STATUSES] == ["ward", "ward", "cell", "city", "cell", None, None]


# --- who sees -----------------------------------------------------------------------------------------

PLACE = ItemPlace(cell_id=11, ward_id=1, escalated=False)


@pytest.mark.parametrize("viewer,place,levels", [
    (Viewer(cells=frozenset({11})), PLACE, {"cell"}),
    (Viewer(cells=frozenset({12})), PLACE, set()),                         # another cell
    (Viewer(wards=frozenset({1})), PLACE, {"ward"}),
    (Viewer(wards=frozenset({2})), PLACE, set()),                          # another ward
    (Viewer(city=True), PLACE, set()),                                     # the city: not escalated
    (Viewer(city=True), ItemPlace(11, 1, True), {"city"}),
    (Viewer(wards=frozenset({2}), city=True), ItemPlace(11, 1, True), {"city"}),
    (Viewer(cells=frozenset({11}), wards=frozenset({1})), PLACE, {"cell", "ward"}),
    (Viewer(wards=frozenset({1})), ItemPlace(11, None, False), set()),     # a cell with no ward now
    (Viewer(), ItemPlace(11, 1, True), set()),
])
def test_levels_of(viewer, place, levels):
    assert r.levels_of(viewer, place) == levels
    assert r.may_see(viewer, place) == bool(levels)


# --- codes --------------------------------------------------------------------------------------------


def test_tracking_code():
    assert r.tracking_code("2026-12", 42) == "KN-2612-0042"
    assert r.tracking_code("2027-01", 1) == "KN-2701-0001"
    assert r.tracking_code("2026-12", 12345) == "KN-2612-12345"
    with pytest.raises(ValueError):
        r.tracking_code("2026-12", 0)
    assert r.month_of(date(2026, 12, 31)) == "2026-12"


@pytest.mark.parametrize("typed,code", [
    ("KN-2612-0042", "KN-2612-0042"), ("kn-2612-42", "KN-2612-0042"), (" KN 2612 0042 ", "KN-2612-0042"),
    ("KN26120042", "KN-2612-0042"), ("KN-2612-12345", "KN-2612-12345"),
    ("KN-2613-0001", None), ("KN-2600-0001", None), ("KN-2612-0000", None), ("KN-2612", None),
    ("AB-2612-0001", None), ("KN-26a2-0001", None), ("", None), (None, None), ("KN-٢٦١٢-0001", None),
    ("<b>KN-2612-0001</b>", None),
])
def test_parse_code(typed, code):
    assert r.parse_code(typed) == code


@given(st.integers(2000, 2099), st.integers(1, 12), st.integers(1, 99999))
def test_codes_read_back(year, month, seq):
    code = r.tracking_code(f"{year}-{month:02d}", seq)
    assert r.parse_code(code) == code
    assert r.parse_code(code.lower().replace("-", " ")) == code


# --- deadlines ----------------------------------------------------------------------------------------

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("status", r.STATUSES)
@pytest.mark.parametrize("urgency,days", [("normal", 7), ("urgent", 2)])
def test_overdue(status, urgency, days):
    d = r.Deadlines(7, 2)
    before, at = T0 + timedelta(days=days) - timedelta(seconds=1), T0 + timedelta(days=days)
    assert not r.is_overdue(status, urgency, T0, before, d)
    assert r.is_overdue(status, urgency, T0, at, d) == (status in ("new", "received"))


def test_overdue_days_are_configurable():
    d = r.Deadlines(normal_days=3, urgent_days=1)
    assert r.is_overdue("new", "normal", T0, T0 + timedelta(days=3), d)
    assert r.is_overdue("received", "urgent", T0, T0 + timedelta(days=1), d)
    assert not r.is_overdue("new", "normal", T0, T0 + timedelta(days=2), d)


# --- the draft ----------------------------------------------------------------------------------------

CATS = ["An ninh trật tự", "Khác"]


def test_missing_field_in_order():
    data = {}
    assert r.missing_field(data, CATS) == "category"
    data["category"] = "Khác"
    assert r.missing_field(data, CATS) == "content"
    data["content"] = "   "
    assert r.missing_field(data, CATS) == "content"
    data["content"] = "<b>&*_"
    assert r.missing_field(data, CATS) == "source"
    data["source"] = "citizens"
    assert r.missing_field(data, CATS) == "urgency"
    data["urgency"] = "urgent"
    assert r.missing_field(data, CATS) is None
    data["category"] = "Removed from the config"
    assert r.missing_field(data, CATS) == "category"


@pytest.mark.parametrize("typed,count,index", [
    ("1", 3, 0), (" 3 ", 3, 2), ("(2)", 3, 1), ("2.", 3, 1), ("0", 3, None), ("4", 3, None),
    ("-1", 3, None), ("x", 3, None), ("", 3, None), ("٣", 3, None), ("1 2", 3, None),
])
def test_pick_numbered(typed, count, index):
    assert r.pick_numbered(typed, count) == index


# --- the time-based checks ----------------------------------------------------------------------------

from datetime import time as clock_time  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_digest_window():
    at = clock_time(17, 0)
    assert r.digest_window(datetime(2026, 12, 1, 16, 59, tzinfo=VN), at, VN) is None
    window = r.digest_window(datetime(2026, 12, 1, 17, 0, tzinfo=VN), at, VN)
    assert window == r.DigestWindow("2026-12-01", datetime(2026, 11, 30, 17, 0, tzinfo=VN),
                                    datetime(2026, 12, 1, 17, 0, tzinfo=VN))
    # the server's zone does not matter: 10:00 UTC is 17:00 in Vietnam
    assert r.digest_window(datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc), at, VN).period == "2026-12-01"
    late = r.digest_window(datetime(2026, 12, 1, 23, 59, tzinfo=VN), at, VN)
    assert late.period == "2026-12-01"
    assert r.digest_window(datetime(2026, 12, 2, 0, 1, tzinfo=VN), at, VN) is None


def test_newly_overdue_flags_each_item_once():
    d = r.Deadlines(7, 2)
    now = T0 + timedelta(days=7)
    items = [r.OpenItem(1, "new", "normal", T0), r.OpenItem(2, "received", "urgent", T0 + timedelta(days=5)),
             r.OpenItem(3, "received", "normal", T0 + timedelta(days=1)), r.OpenItem(4, "returned", "urgent", T0),
             r.OpenItem(5, "escalated", "urgent", T0)]
    assert r.newly_overdue(items, now, d, flagged=[]) == [1, 2]
    assert r.newly_overdue(items, now, d, flagged=[1]) == [2]
    assert r.newly_overdue(items, now + timedelta(days=1), d, flagged=[1, 2]) == [3]
