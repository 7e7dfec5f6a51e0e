"""The quarterly evaluation in chat, end to end: ward staff score a cell's manual criteria by buttons and
typed numbers, leave in the middle, the bot restarts, they resume at the next criterion; the total is
classified; another ward's cell and stale buttons are refused."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.core import i18n
from bot.core.clock import VN_TZ
from storage import evaluations, org, roll_calls
from storage.roll_calls import MemberMark
from tests.fixtures.e2e import audit_actions, press_raw

pytestmark = pytest.mark.e2e

vi = i18n.get("vi").gettext
en = i18n.get("en").gettext
WARD = "Nam Ngạn"


async def ward_and_cells(e2e):
    ward = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name == WARD)
    return ward, await org.cells_under(e2e.db, ward.id)


async def test_scoring_by_buttons_and_typed_numbers_resumed_after_a_restart(e2e):
    e2e.clock.set(datetime(2026, 12, 15, 9, 0, tzinfo=VN_TZ))
    ward, cells = await ward_and_cells(e2e)
    cell = sorted(cells, key=lambda c: c.name)[0]
    members = (await org.current_members(e2e.db, [cell.id], ["secretary", "deputy", "member"]))[:10]
    marks = [MemberMark(p.id, n, p.full_name, m.role, False, "present", None) for n, (p, m) in enumerate(members, 1)]
    await roll_calls.record(e2e.db, cell_id=cell.id, month="2026-12", phase="start",
                            taken_at="2026-12-03T12:00:00+00:00", taken_by=None, members=marks, eligible=10,
                            present=10, held_on=date(2026, 12, 3))
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff, language="en")
    await u.send("/chamdiem")
    listing = await u.reply()
    assert "Evaluation of quarter 4/2026" in listing.text and "1. " in listing.text
    number = next(label.split(".")[0] for row in listing.buttons for label, data in row if data == f"ev:c:{cell.id}")
    await u.send(number)
    first = await u.reply()
    assert "computed from the records" in first.text
    assert "A meeting every month of the quarter: 1.7/5 (1 of 3 months)" in first.text
    assert "Criterion 1 of 4: Preparation of the content and draft resolution (0 to 10 points)" in first.text
    await u.press("10", first)
    second = await u.reply()
    assert "Criterion 2 of 4" in second.text
    await u.send("99")
    assert (await u.reply()).text == "Please give a number from 0 to 15 (for example 7,5), or /cancel."
    await u.send("12,5")
    third = await u.reply()
    assert "Criterion 3 of 4: Complete minutes" in third.text
    # a stale button of the first question changes nothing
    await u.press("10", first)
    assert (await u.reply()).text == "That button belongs to an earlier question; please answer this one."
    scores = await evaluations.scores(e2e.db, "2026-Q4", [cell.id])
    assert scores == {cell.id: {"preparation": 10, "content": 12.5}}

    # a break: the bot restarts; /chamdiem resumes at the third criterion
    await e2e.restart()
    await u.send("/chamdiem")
    resumed = await u.reply()
    assert "We continue where you stopped." in resumed.text and "Criterion 3 of 4" in resumed.text
    await u.send("10")
    await u.reply()
    await u.send("5")
    result = await u.reply()
    # computed, December only: every month 1.7, attendance 5.0 (1 of 3 months), recommendations 1.7 (none
    # due), the rest 0 (no end roll call, no record) = 8.4; manual 10 + 12.5 + 10 + 5 = 37.5
    assert f"{cell.name}: 45.9 of 100 points, Poor" in result.text
    assert "Evaluation of quarter 4/2026" in result.text           # the list again, to go on
    assert (await e2e.db.fetchval("SELECT count(*) FROM evaluation_scores WHERE cell_id = ?", (cell.id,))) == 4
    assert (await e2e.db.fetchval("SELECT step FROM drafts")) == "cell"   # picking the next cell


async def test_another_wards_cell_is_refused(e2e):
    ward, _cells = await ward_and_cells(e2e)
    other_ward = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name != WARD)
    other_cell = (await org.cells_under(e2e.db, other_ward.id))[0]
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff)
    await u.send("/chamdiem")
    listing = await u.reply()
    answer = await press_raw(u, listing.message_id, f"ev:c:{other_cell.id}")
    assert answer["text"] == vi("Sorry, this is not available to you.")
    assert len(await audit_actions(e2e, "access.forged")) == 1
    assert await evaluations.scores(e2e.db, "2026-Q4") == {}


async def test_only_ward_staff_score(e2e):
    secretary = await e2e.person("secretary", ward=WARD)
    u = await e2e.chat_as(secretary)
    await u.send("/chamdiem")
    text = (await u.reply()).text
    assert vi("Score the quarter") in text and vi("Criterion") not in text
    assert await evaluations.scores(e2e.db, "2026-Q4") == {}
