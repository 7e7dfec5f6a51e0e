"""The reports' figures from a real database (storage/reports.py + bot/reports/facts.py), against a fixture
computed by hand: exempt members absent and present, a roll call taken by count, a moved meeting, cells
that did not report, months of 30 and 31 days, a roster change after the month — and one query for the
cells' months of a report."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.config import Config
from bot.reports import facts
from storage import meetings, org, roll_calls
from storage import recommendations as recs
from storage.roll_calls import MemberMark

CONFIG = Config()


def marks(members, statuses):
    return [MemberMark(person.id, number, person.full_name, membership.role, status.startswith("exempt"), status,
                       "ốm" if status == "absent_excused" else None)
            for number, ((person, membership), status) in enumerate(zip(members, statuses), start=1)]


async def take(db, cell_id, month, phase, at, members, *, counted_present=None, held_on=None):
    from bot.rules import attendance

    counted = attendance.count([m.status for m in members], counted_present=counted_present)
    await roll_calls.record(db, cell_id=cell_id, month=month, phase=phase, taken_at=at, taken_by=None,
                            members=members, eligible=counted.eligible, present=counted.present,
                            counted_present=counted_present, held_on=held_on)


async def set_record(db, cell_id, month, **fields):
    meeting = await meetings.get_record(db, cell_id, month)
    async with db.transaction() as conn:
        await meetings.save_record(conn, meeting_id=meeting.meeting_id, fields=fields, by=None, at="2026-12-31T15:00:00+00:00")


@pytest.fixture
async def fixture(roster_db):
    """Ward W, cells A, B, C (by name); A meets in November (moved to the 30th) and December (the 31st), C
    in December only, by count; B never."""
    db = roster_db
    ward = (await org.units_of_kind(db, "ward"))[0]
    a, b, c = sorted((await org.cells_under(db, ward.id)), key=lambda u: u.name)[:3]
    a_members = await org.current_members(db, [a.id], ["secretary", "deputy", "member"])
    a_members = a_members[:10]
    # November (30 days): moved from the 3rd to the 30th. Start: 7 present, 1 absent with a reason, 1
    # exempt absent (left out), 1 exempt present (counts) -> 8 of 9 = 88.9 %, below 90 %. End the same.
    # 19:00-20:40 Vietnam time: 100 minutes, regular: at the minimum.
    async with db.transaction() as conn:
        await meetings.move(conn, cell_id=a.id, month="2026-11", from_day=date(2026, 11, 3), to_day=date(2026, 11, 30),
                            by=None, at="2026-11-02T01:00:00+00:00")
    november = ["present"] * 7 + ["absent_excused", "exempt_absent", "exempt_present"]
    await take(db, a.id, "2026-11", "start", "2026-11-30T12:00:00+00:00", marks(a_members, november),
               held_on=date(2026, 11, 30))
    await take(db, a.id, "2026-11", "end", "2026-11-30T13:40:00+00:00", marks(a_members, november))
    await set_record(db, a.id, "2026-11", kind="regular", speakers=4, ward_member_attended=False)
    # December (31 days), on the 31st: start 10/10; end 9/10 (one left, without a reason) = 90 %: at target.
    # Both kinds together, 110 minutes: under the 120 minimum.
    await take(db, a.id, "2026-12", "start", "2026-12-31T11:00:00+00:00", marks(a_members, ["present"] * 10),
               held_on=date(2026, 12, 31))
    await take(db, a.id, "2026-12", "end", "2026-12-31T12:50:00+00:00",
               marks(a_members, ["present"] * 9 + ["absent_unexcused"]))
    await set_record(db, a.id, "2026-12", kind="both", speakers=6, ward_member_attended=True, answers_reported=True)
    # C, December: by count, 20 members unnamed, 18 present = 90 %; no end roll call.
    c_members = (await org.current_members(db, [c.id], ["secretary", "deputy", "member"]))[:20]
    await take(db, c.id, "2026-12", "start", "2026-12-03T12:00:00+00:00", marks(c_members, ["unnamed"] * 20),
               counted_present=18, held_on=date(2026, 12, 3))
    # Recommendations of December: two from A (one escalated), one from C.
    secretary = a_members[0][0].id
    for cell, text in ((a, "Đèn đường hỏng"), (a, "Rác thải <b>&</b>"), (c, "Ngập úng")):
        await recs.submit(db, recs.NewRecommendation("Môi trường – vệ sinh", text, "member", "normal", cell.id,
                                                     ward.id, secretary), month="2026-12",
                          at="2026-12-05T01:00:00+00:00", make_code=lambda month, seq: f"KN-2612-{seq:04d}")
    async with db.transaction() as conn:
        await conn.execute("UPDATE recommendations SET status = 'escalated', escalated_at = '2026-12-06T01:00:00+00:00'"
                           " WHERE code = 'KN-2612-0002'")
    return db, ward, a, b, c, a_members


def row_of(report, cell):
    return next(row for row in report.rows if row.cell_id == cell.id)


async def test_december_by_hand(fixture):
    db, ward, a, b, c, a_members = fixture
    report = await facts.ward_report(db, CONFIG, ward, "2026-12")
    ra, rb, rc = row_of(report, a), row_of(report, b), row_of(report, c)
    assert (ra.start.present, ra.start.eligible, ra.start.meets_target) == (10, 10, True)
    assert (ra.end.present, ra.end.eligible, ra.end.meets_target) == (9, 10, True)
    assert (ra.length_minutes, ra.minimum_minutes, ra.length_ok) == (110, 120, False)
    assert ra.meeting_day == "2026-12-31" and ra.kind == "both" and ra.speakers == 6
    assert [(x.name, x.phase, x.excused) for x in ra.absent] == [(a_members[9][0].full_name, "end", False)]
    assert ra.recommendations == {"new": 1, "escalated": 1}
    assert not rb.reported and rb.start is None
    assert (rc.start.present, rc.start.eligible, rc.start.meets_target) == (18, 20, True)
    assert rc.end is None and rc.length_ok is False
    cells = len(await org.cells_under(db, ward.id))
    t = report.totals
    assert (t.cells, t.reported, t.not_reported) == (cells, 2, cells - 2)
    assert (t.start_present, t.start_eligible) == (28, 30)
    assert t.under_target == 0 and t.thematic == 1 and t.recommendations == {"new": 2, "escalated": 1}
    assert [r.code for r in report.recommendations] == ["KN-2612-0001", "KN-2612-0002", "KN-2612-0003"]


async def test_november_moved_meeting_with_exempt_members(fixture):
    db, ward, a, b, c, _ = fixture
    report = await facts.ward_report(db, CONFIG, ward, "2026-11")
    ra = row_of(report, a)
    assert (ra.start.present, ra.start.eligible, ra.start.meets_target) == (8, 9, False)
    assert ra.under_target and [row.cell_id for row in report.under_target] == [a.id]
    assert (ra.length_minutes, ra.minimum_minutes, ra.length_ok) == (100, 90, True)
    assert ra.meeting_day == "2026-11-30"
    assert [x.name for x in ra.absent] == [ra.absent[0].name, ra.absent[1].name] and len(ra.absent) == 2
    assert report.totals.reported == 1 and report.recommendations == ()


async def test_a_roster_change_after_the_month_changes_nothing(fixture):
    db, ward, a, b, c, a_members = fixture
    before = await facts.ward_report(db, CONFIG, ward, "2026-11")
    async with db.transaction() as conn:   # a later import: one member gone, one now exempt, one renamed
        await conn.execute("UPDATE people SET active = 0 WHERE id = ?", (a_members[1][0].id,))
        await conn.execute("UPDATE memberships SET valid_to = '2027-01-05' WHERE person_id = ?", (a_members[1][0].id,))
        await conn.execute("UPDATE people SET exempt = 1 WHERE id = ?", (a_members[2][0].id,))
        await conn.execute("UPDATE people SET full_name = 'Tên Mới' WHERE id = ?", (a_members[7][0].id,))
    after = await facts.ward_report(db, CONFIG, ward, "2026-11")
    assert after == before


async def test_city_report_and_trend(fixture):
    db, ward, a, b, c, _ = fixture
    city = await facts.city_report(db, CONFIG, "2026-12")
    assert city.report.totals.cells == 311 and city.report.totals.reported == 2
    assert [r.code for r in city.report.escalated] == ["KN-2612-0002"]
    assert len(city.report.wards) == 34
    assert city.report.most_missing(1)[0].totals.not_reported >= 1
    points = {p.month: p for p in city.trend}
    assert len(city.trend) == 12
    assert points["2026-11"].attendance_rate == pytest.approx(8 / 9)
    assert points["2026-11"].reporting_rate == pytest.approx(1 / 311)
    assert points["2026-12"].attendance_rate == pytest.approx(28 / 30)
    assert points["2026-01"].attendance_rate is None


async def test_one_query_for_the_cells_months(fixture):
    db, ward, *_ = fixture
    statements = []
    async with db.traced(statements.append):
        await facts.ward_report(db, CONFIG, ward, "2026-12")
        ward_statements = len(statements)
        statements.clear()
        await facts.city_report(db, CONFIG, "2026-12")
    assert ward_statements == 2           # the cells' month, the recommendations
    assert len(statements) == 3           # the cells' twelve months, the recommendations, the wards' names


async def test_the_quarter_rows(fixture):
    db, ward, a, b, c, _ = fixture
    rows = await facts.quarter_rows(db, CONFIG, "2026-Q4", ward_id=ward.id)
    mine = sorted((r.month, r.reported) for r in rows if r.cell_id == a.id)
    assert mine == [("2026-10", False), ("2026-11", True), ("2026-12", True)]
