"""Reports in chat, end to end through the local Bot API server on a real SQLite roster: ward staff get
their ward's month (summary, XLSX, PNG) by buttons and by typed numbers, city staff any ward and the city;
another ward's report is refused (forged buttons); the 10th's automatic delivery goes out exactly once
across restarts."""

from __future__ import annotations

import asyncio
import io
import struct
import time
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from bot.core import i18n
from bot.core.clock import VN_TZ
from bot.reports import charts, delivery
from bot.rules import report_delivery
from storage import org, outbox, reminders, roll_calls
from storage.roll_calls import MemberMark
from tests.fixtures.e2e import audit_actions, press_raw

pytestmark = pytest.mark.e2e

vi = i18n.get("vi").gettext
WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"


async def record_roll_call(e2e, cell_name=CELL, month="2026-11", present=9, of=10):
    ward = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name == WARD)
    cell = next(c for c in await org.cells_under(e2e.db, ward.id) if c.name == cell_name)
    members = (await org.current_members(e2e.db, [cell.id], ["secretary", "deputy", "member"]))[:of]
    marks = [MemberMark(p.id, n, p.full_name, m.role, False, "present" if n <= present else "absent_excused", "ốm")
             for n, (p, m) in enumerate(members, start=1)]
    await roll_calls.record(e2e.db, cell_id=cell.id, month=month, phase="start", taken_at=f"{month}-03T12:00:00+00:00",
                            taken_by=None, members=marks, eligible=of, present=present, held_on=date(2026, 11, 3))
    return ward, cell


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


async def test_ward_staff_get_their_wards_month_by_typed_number(e2e):
    ward, cell = await record_roll_call(e2e)
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff)
    await u.send("/baocao")
    question = await u.reply()
    assert question.text.startswith(vi("Which report?"))
    assert [label for row in question.buttons for label, _ in row][:2] == [
        "1. " + vi("{ward}, {month}").format(ward=WARD, month="11/2026"),
        "2. " + vi("{ward}, {month}").format(ward=WARD, month="10/2026"),
    ]
    await u.send("1")
    summary, book, chart = await u.replies(3)
    assert vi("<b>{ward} — cell meetings of {month}</b>").format(ward=WARD, month="11/2026").replace("<b>", "").replace(
        "</b>", "") in summary.text
    assert vi("Met: {reported} of {cells} cells ({rate})").format(reported=1, cells=11, rate="9,1%") in summary.text
    assert book.kind == "document" and book.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(await e2e.api.file(book.file_id))).worksheets[0]
    assert [c.value for c in sheet[2]][:2] == ["STT", "Chi bộ"]
    row = next(r for r in range(3, 14) if sheet.cell(r, 2).value == CELL)
    assert sheet.cell(row, 7).value == pytest.approx(0.9)
    assert chart.kind == "photo"
    assert png_size(await e2e.api.file(chart.file_id)) == charts.SIZE


async def test_a_wrong_number_is_answered_and_changes_nothing(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff, language="en")
    await u.send("/baocao")
    await u.reply()
    await u.send("9")
    assert (await u.reply()).text == "Please type a number from 1 to 3, or /cancel."
    await u.send("/cancel")
    await u.reply()
    assert (await e2e.db.fetchval("SELECT count(*) FROM drafts")) == 0


async def test_another_wards_report_is_refused(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    other = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name != WARD)
    u = await e2e.chat_as(staff)
    await u.send("/baocao")
    question = await u.reply()
    for forged in (f"rp:w:{other.id}:0", "rp:c:0", "rp:q:0", f"rp:q:{other.id}", "rp:w:x:y", "rp:wl"):
        answer = await press_raw(u, question.message_id, forged)
        assert answer["text"] == vi("Sorry, this is not available to you."), forged
    assert len(await audit_actions(e2e, "access.forged")) == 6
    assert not [m for m in await u.messages() if m.kind == "document"]


async def test_city_staff_pick_any_ward_and_the_city(e2e):
    await record_roll_call(e2e)
    city = await e2e.person("city_staff")
    u = await e2e.chat_as(city)
    await u.send("/baocao")
    await u.reply()
    await u.press("3. " + vi("A ward's report"))
    wards = await u.reply()
    label = next(label for row in wards.buttons for label, _ in row if label.endswith(f". {WARD}"))
    await u.press(label)
    summary, book, chart = await u.replies(3)
    assert WARD in summary.text and book.kind == "document" and chart.kind == "photo"
    await u.send("/baocao")
    await u.reply()
    await u.send("1")
    summary, book, chart = await u.replies(3)
    assert vi("Met: {reported} of {cells} cells ({rate})").format(reported=1, cells=311, rate="0,3%") in summary.text
    sheet = load_workbook(io.BytesIO(await e2e.api.file(book.file_id))).worksheets[0]
    assert sheet.max_row == 2 + 34 + 1


async def until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_the_10th_delivery_goes_out_exactly_once_across_restarts(e2e):
    await record_roll_call(e2e, month="2026-12")
    staff = await e2e.people("ward_staff", ward=WARD)
    users = [await e2e.chat_as(person) for person in staff]
    tenth = datetime(2026, 12, 10, 7, 0, tzinfo=VN_TZ)
    e2e.clock.set(datetime(2026, 12, 10, 6, 59, tzinfo=VN_TZ))
    assert await delivery.tick(e2e.ctx, e2e.clock.now()) == []            # not yet
    e2e.clock.set(tenth)
    decided = await delivery.tick(e2e.ctx, tenth)
    mine = [d for d in decided if d.action == "sent"]
    ward = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name == WARD)
    assert [(d.ward_id, d.period, d.queued) for d in mine] == [(ward.id, "2026-12", len(staff))]
    for u in users:
        summary, book, chart = await u.replies(3, timeout=10)
        assert WARD in summary.text and "12/2026" in summary.text
        assert book.kind == "document" and chart.kind == "photo"
    # a restart on the same day (its start-up check), another check later: nothing again
    await e2e.restart()
    await until(lambda: asyncio.sleep(0, delivery.runs(e2e.ctx) >= 1), 10, "the start-up delivery check")
    assert [d for d in await delivery.tick(e2e.ctx, tenth.replace(hour=9)) if d.ward_id == ward.id] == []
    rows = await outbox.by_ref(e2e.db, "report:ward:2026-12")
    assert len([r for r in rows if r.person_id in {p.id for p in staff}]) == len(staff)
    log = [e for e in await reminders.log(e2e.db, period="2026-12", rule=report_delivery.RULE) if e.subject == ward.id]
    assert [(e.status, e.recipients) for e in log] == [("sent", len(staff))]
    for u in users:
        assert not [m for m in await u.quiet() if m.kind == "document"]


async def test_an_old_report_button_leaves_another_flows_draft_alone(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff, language="en")
    await u.send("/baocao")
    question = await u.reply()
    await u.send("/chamdiem")
    await u.reply()
    await u.press(question.buttons[0][0][1], question)        # this month's report, from the old question
    summary, _book, _chart = await u.replies(3)
    assert WARD in summary.text
    account = await e2e.db.fetchone("SELECT flow, step FROM drafts")
    assert (account["flow"], account["step"]) == ("evaluation.score", "cell")
