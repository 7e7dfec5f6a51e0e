"""storage/roll_calls.py and the record in storage/meetings.py: member rows frozen per roll call, the
figures beside them, the month of every cell in one query, the record's revisions and its reopening."""

from __future__ import annotations

from datetime import date

import pytest

from storage import meetings, org, roll_calls
from storage.roll_calls import MemberMark

AT = "2026-12-03T12:00:00+00:00"
LATER = "2026-12-03T14:00:00+00:00"


async def _cells(db, n=2):
    return [row["id"] for row in await db.fetchall("SELECT id FROM units WHERE kind = 'cell' ORDER BY id LIMIT ?",
                                                   (n,))]


async def _marks(db, cell_id, statuses):
    members = await org.current_members(db, [cell_id])
    return [MemberMark(person.id, number, person.full_name, membership.role, status.startswith("exempt"), status,
                       "ốm" if status == "absent_excused" else None)
            for number, ((person, membership), status) in enumerate(zip(members, statuses), start=1)]


async def test_a_roll_call_is_one_row_per_member_and_a_correction_replaces_them(roster_db):
    db = roster_db
    cell, other = await _cells(db)
    assert not await meetings.has_roll_call(db, cell, "2026-12")
    marks = await _marks(db, cell, ["present", "absent_excused", "absent_unexcused", "present"])
    first = await roll_calls.record(db, cell_id=cell, month="2026-12", phase="start", taken_at=AT, taken_by=None,
                                    members=marks, eligible=4, present=2, guests=1, guest_note="đ/c Bình",
                                    held_on=date(2026, 12, 3))
    saved = await roll_calls.get(db, cell, "2026-12", "start")
    assert saved.id == first and (saved.eligible, saved.present, saved.guests, saved.revision) == (4, 2, 1, 1)
    assert [(m.number, m.status, m.reason) for m in saved.members] == [
        (1, "present", None), (2, "absent_excused", "ốm"), (3, "absent_unexcused", None), (4, "present", None)]
    assert await meetings.has_roll_call(db, cell, "2026-12") and not await meetings.has_roll_call(db, other, "2026-12")
    assert (await meetings.get_record(db, cell, "2026-12")).held_on == date(2026, 12, 3)

    again = await roll_calls.record(db, cell_id=cell, month="2026-12", phase="start", taken_at=AT, taken_by=None,
                                    members=marks[:1], eligible=1, present=1)
    assert again == first
    saved = await roll_calls.get(db, cell, "2026-12", "start")
    assert len(saved.members) == 1 and saved.revision == 2
    with pytest.raises(ValueError):
        await roll_calls.record(db, cell_id=cell, month="2026-12", phase="middle", taken_at=AT, taken_by=None,
                                members=[], eligible=0, present=0)


async def test_the_follow_up_looks_for_a_saved_start_roll_call(roster_db):
    db = roster_db
    cell, other = await _cells(db)
    await roll_calls.record(db, cell_id=other, month="2026-12", phase="end", taken_at=AT, taken_by=None,
                            members=[], eligible=0, present=0)
    await roll_calls.record(db, cell_id=cell, month="2026-12", phase="start", taken_at=AT, taken_by=None,
                            members=[], eligible=0, present=0)
    assert await meetings.with_roll_call(db, ["2026-11", "2026-12"]) == {(cell, "2026-12")}


async def test_later_roster_changes_leave_a_past_roll_call_as_it_was(roster_db):
    db = roster_db
    cell, _other = await _cells(db)
    marks = await _marks(db, cell, ["present", "absent_excused"])
    await roll_calls.record(db, cell_id=cell, month="2026-12", phase="start", taken_at=AT, taken_by=None,
                            members=marks, eligible=2, present=1)
    async with db.transaction() as conn:
        await conn.execute("UPDATE people SET full_name = 'Renamed', active = 0 WHERE id = ?", (marks[1].person_id,))
        await conn.execute("UPDATE memberships SET valid_to = '2026-12-20' WHERE person_id = ?", (marks[1].person_id,))
    saved = await roll_calls.get(db, cell, "2026-12", "start")
    assert [m.full_name for m in saved.members] == [marks[0].full_name, marks[1].full_name]


async def test_month_figures_in_one_query(roster_db):
    db = roster_db
    ward = (await org.units_of_kind(db, "ward"))[0]
    cells = await org.cells_under(db, ward.id)
    cell = cells[0]
    marks = await _marks(db, cell.id, ["present", "absent_unexcused", "absent_excused", "exempt_absent"])
    marks[3] = MemberMark(marks[3].person_id, 4, marks[3].full_name, marks[3].role, True, "exempt_absent")
    await roll_calls.record(db, cell_id=cell.id, month="2026-12", phase="start", taken_at=AT, taken_by=None,
                            members=marks, eligible=3, present=1, guests=2, held_on=date(2026, 12, 3))
    await roll_calls.record(db, cell_id=cell.id, month="2026-12", phase="end", taken_at=LATER, taken_by=None,
                            members=[], eligible=3, present=2, counted_present=2)
    meeting = await meetings.get_record(db, cell.id, "2026-12")
    async with db.transaction() as conn:
        assert await meetings.save_record(conn, meeting_id=meeting.meeting_id, by=None, at=LATER,
                                          fields={"kind": "both", "speakers": 5, "ward_member_attended": True,
                                                  "proposed_grade": "good", "topic": "Chuyên đề"})

    statements = []
    async with db.traced(statements.append):
        found = await roll_calls.month_figures(db, "2026-12", ward.id)
    assert len(statements) == 1
    assert [c.cell_id for c in found] == [c.id for c in sorted(cells, key=lambda c: (c.name, c.id))]
    mine = next(c for c in found if c.cell_id == cell.id)
    assert mine.held_on == date(2026, 12, 3) and mine.kind == "both" and mine.speakers == 5
    assert mine.ward_member_attended is True and mine.proposed_grade == "good"
    assert (mine.start.eligible, mine.start.present, mine.start.guests, mine.start.taken_at) == (3, 1, 2, AT)
    assert [(a.number, a.full_name, a.excused, a.reason) for a in mine.start.absent] == [
        (2, marks[1].full_name, False, None), (3, marks[2].full_name, True, "ốm")]
    assert (mine.end.present, mine.end.counted_present, mine.end.absent) == (2, 2, ())
    others = [c for c in found if c.cell_id != cell.id]
    assert all(c.start is None and c.end is None and c.meeting_id is None for c in others)
    whole_city = await roll_calls.month_figures(db, "2026-12")
    assert len(whole_city) == 311 and {c.ward_id for c in whole_city} >= {ward.id}


async def test_the_record_is_saved_in_revisions_and_can_be_reopened(roster_db):
    db = roster_db
    cell, _other = await _cells(db)
    async with db.transaction() as conn:
        meeting_id = await meetings.ensure_meeting(conn, cell, "2026-12", AT)
    record = await meetings.get_record(db, cell, "2026-12")
    assert record.rev == 0 and record.kind is None
    async with db.transaction() as conn:
        assert await meetings.save_record(conn, meeting_id=meeting_id, fields={"kind": "regular"}, by=None, at=AT,
                                          expected_rev=0)
    async with db.transaction() as conn:  # a second writer who read revision 0 is told
        assert not await meetings.save_record(conn, meeting_id=meeting_id, fields={"kind": "thematic"}, by=None,
                                              at=AT, expected_rev=0)
    record = await meetings.get_record(db, cell, "2026-12")
    assert (record.kind, record.rev) == ("regular", 1)
    with pytest.raises(ValueError):
        async with db.transaction() as conn:
            await meetings.save_record(conn, meeting_id=meeting_id, fields={"grade": "x"}, by=None, at=AT)
    async with db.transaction() as conn:
        await meetings.reopen(conn, meeting_id=meeting_id, until=date(2027, 1, 20), by=None, at=AT)
    assert (await meetings.get_record_by_id(db, meeting_id)).reopened_until == date(2027, 1, 20)
    async with db.transaction() as conn:
        await meetings.save_record(conn, meeting_id=meeting_id, fields={"kind": "both"}, by=None, at=AT)
    assert await meetings.thematic_held(db, ["2026-12"]) == {(cell, "2026-12")}
