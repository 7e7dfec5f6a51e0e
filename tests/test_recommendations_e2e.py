"""Recommendations (kiến nghị) end to end: the real Application polling the local Bot API server, the real
sender, on a copy of the roster database — a secretary submits, the ward and the city handle, the answers
come back down."""

from __future__ import annotations

import asyncio
import time

import pytest

from storage import org, outbox
from storage import recommendations as store
from tests.fixtures.e2e import audit_actions, press_raw

pytestmark = pytest.mark.e2e

WARD = "Nam Ngạn"


@pytest.fixture(autouse=True)
async def quick_pacing(e2e):
    """The sender paces 1 s between two messages to one chat, as Telegram asks; the test server allows
    bursts of 50, so here it may go faster (the pacing itself is the sender's tests' business)."""
    e2e.config.sender.per_chat_interval_seconds = 0.05
    await e2e.restart()
HOSTILE = "Đèn <b>đường</b> & *hỏng* _lâu_ </i> <script>"


async def until(predicate, timeout: float = 10, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def cell_of(e2e, ward=WARD, index=0):
    ward_unit = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name == ward)
    return ward_unit, (await org.cells_under(e2e.db, ward_unit.id))[index]


async def submit(u, *, category="1", content="Đường ngõ 5 bị ngập", source="2", urgency="1", files=()):
    """By typed forms: /guikiennghi → category → content → source → urgency → preview → send. Returns the
    confirmation."""
    await u.send("/guikiennghi")
    await u.wait_for(lambda m: "(1/4)" in m.text)
    await u.send(category)
    await u.wait_for(lambda m: "(2/4)" in m.text)
    await u.send(content)
    for kind, name, data in files:
        await u.wait_for(lambda m: "(3/4)" in m.text or "tệp" in m.text)
        if kind == "photo":
            await u.photo(data)
        else:
            await u.document(name, data)
    await u.wait_for(lambda m: "(3/4)" in m.text)
    await u.send(source)
    await u.wait_for(lambda m: "(4/4)" in m.text)
    await u.send(urgency)
    await u.wait_for(lambda m: "Gửi đi" in str(m.buttons))
    await u.send("1")
    return await u.wait_for(lambda m: "Mã theo dõi" in m.text)


async def test_submit_by_typing_and_the_deputy_is_told(e2e):
    ward, cell = await cell_of(e2e)
    secretary = await e2e.person("secretary", cell=cell.id)
    deputy = await e2e.person("deputy", cell=cell.id)
    s = await e2e.chat_as(secretary)
    d = await e2e.chat_as(deputy, language="en")
    done = await submit(s, content=HOSTILE)
    assert "KN-2611-0001" in done.text
    item = await store.by_code(e2e.db, "KN-2611-0001")
    assert item.content == HOSTILE and item.cell_id == cell.id and item.ward_id == ward.id
    assert (item.source, item.urgency, item.status) == ("citizens", "normal", "new")
    told = await d.wait_for(lambda m: "KN-2611-0001" in m.text)
    assert f"Comrade {secretary.full_name} sent recommendation KN-2611-0001" in told.text
    assert [e.detail["code"] for e in await audit_actions(e2e, "recommendation.submitted")] == ["KN-2611-0001"]
    await s.send("/kiennghi")
    listing = await s.wait_for(lambda m: "KN-2611-0001" in m.text)
    assert "Gửi kiến nghị mới" in str(listing.buttons)
    await s.send("KN-2611-0001")
    shown = await s.wait_for(lambda m: "Nội dung" in m.text)
    assert HOSTILE in shown.text


# --- helpers ---------------------------------------------------------------------------------------------


async def staff_of(e2e, ward=WARD, language="vi"):
    people = await e2e.people(role="ward_staff", ward=ward)
    return [await e2e.chat_as(p, language=language) for p in people]


async def submit_by_buttons(u, *, content="Cống thoát nước tắc", urgent=False, photo=False):
    await u.send("Gửi kiến nghị")
    await u.wait_for(lambda m: "(1/4)" in m.text or "(1/4)" in m.text)
    await u.press("kn:s:category:1")
    await u.wait_for(lambda m: "(2/4)" in m.text)
    if photo:
        await u.photo(b"\x89PNG fake photo", caption=content)
    else:
        await u.send(content)
    await u.wait_for(lambda m: "(3/4)" in m.text)
    await u.press("kn:s:source:0")
    await u.wait_for(lambda m: "(4/4)" in m.text)
    await u.press("kn:s:urgency:1" if urgent else "kn:s:urgency:0")
    await u.wait_for(lambda m: any(d == "kn:s:preview:0" for row in m.buttons for _l, d in row))
    await u.press("kn:s:preview:0")
    return await u.wait_for(lambda m: "Mã theo dõi" in m.text or "Tracking code" in m.text)


async def press_answer(u, data):
    """Press the (newest) button carrying `data` and wait for the bot's answer to the press."""
    await u.flush()
    message, _label, _data = u.find_button(data)
    return await press_raw(u, message.message_id, data)


def code_in(text):
    import re

    return re.search(r"KN-\d{4}-\d{4}", text).group(0)


async def settled(e2e, ref, count=None, timeout=10):
    async def done():
        rows = await outbox.by_ref(e2e.db, ref)
        return rows if rows and all(r.status not in ("pending", "sending") for r in rows) and \
            (count is None or len(rows) == count) else None
    return await until(done, timeout, f"the messages of {ref}")


# --- submitting ------------------------------------------------------------------------------------------


async def test_submit_by_buttons_with_a_photo_in_english(e2e):
    ward, cell = await cell_of(e2e)
    s = await e2e.chat_as(await e2e.person("secretary", cell=cell.id), language="en")
    await s.send("/kiennghi")
    listing = await s.wait_for(lambda m: "Send a new recommendation" in str(m.buttons))
    assert "has not sent any recommendation yet" in listing.text
    await s.press("kn:new")
    await s.wait_for(lambda m: "(1/4)" in m.text)
    await s.press("kn:s:category:2")
    await s.wait_for(lambda m: "(2/4)" in m.text)
    await s.photo(b"\x89PNG fake", caption="Ổ gà trước nhà văn hóa")
    await s.wait_for(lambda m: "(3/4)" in m.text)
    await s.document("don.pdf", b"%PDF-1.4 petition")
    await s.wait_for(lambda m: "(3/4)" in m.text)
    await s.press("kn:s:source:1")
    await s.wait_for(lambda m: "(4/4)" in m.text)
    await s.send("Normal")
    preview = await s.wait_for(lambda m: "Please check" in m.text)
    assert "2 files attached." in preview.text and "Hạ tầng – giao thông" in preview.text
    await s.press("1. ✅ Send it")
    done = await s.wait_for(lambda m: "Tracking code" in m.text)
    item = await store.by_code(e2e.db, code_in(done.text))
    assert [a.kind for a in item.attachments] == ["photo", "document"]
    assert item.content == "Ổ gà trước nhà văn hóa" and item.category == "Hạ tầng – giao thông"
    assert "The ward gets it in today's digest." in done.text
    await s.send(item.code)
    card = await s.wait_for(lambda m: "Content" in m.text)
    assert "Ổ gà trước nhà văn hóa" in card.text and "2 files attached." in card.text
    await s.wait_for(lambda m: m.kind == "document")   # the files come with it


async def test_wrong_answers_restart_and_cancel(e2e):
    ward, cell = await cell_of(e2e)
    s = await e2e.chat_as(await e2e.person("secretary", cell=cell.id))
    await s.send("kien nghi")           # the menu item, typed without diacritics
    await s.wait_for(lambda m: "Gửi kiến nghị mới" in str(m.buttons))
    await s.send("1")                   # the numbered "send a new one"
    await s.wait_for(lambda m: "(1/4)" in m.text)
    for wrong in ("9", "0", "abc", "٣"):
        await s.send(wrong)
        hint = await s.reply()
        assert hint.text.startswith("Đồng chí bấm một nút, hoặc nhập một số từ 1 đến 6.")
    await s.send("môi truong – ve sinh")   # the label, loosely typed
    await s.wait_for(lambda m: "(2/4)" in m.text)
    await s.send("Rác thải tồn đọng ở chợ")
    await s.wait_for(lambda m: "(3/4)" in m.text)
    assert (await e2e.db.fetchval("SELECT step FROM drafts")) == "source"
    await e2e.restart()                 # the draft survives
    await s.send("nhan dan tren dia ban")
    await s.wait_for(lambda m: "(4/4)" in m.text)
    answer = await press_answer(s, "kn:s:source:0")       # a stale button of the step before
    assert "Nút này đã cũ" in answer["text"]
    await s.send("/cancel")
    await s.wait_for(lambda m: "Đã hủy" in m.text)
    assert await e2e.db.fetchval("SELECT count(*) FROM drafts") == 0
    assert await e2e.db.fetchval("SELECT count(*) FROM recommendations") == 0
    answer = await press_answer(s, "kn:s:urgency:0")      # the buttons after /cancel do nothing
    assert "Nút này đã cũ" in answer["text"]
    assert await e2e.db.fetchval("SELECT count(*) FROM recommendations") == 0


async def test_a_member_and_staff_cannot_submit(e2e):
    ward, cell = await cell_of(e2e)
    member = await e2e.chat_as(await e2e.person("member", cell=cell.id))
    await member.send("/guikiennghi")
    refused = await member.reply()
    assert "“Gửi kiến nghị”" in refused.text
    staff = (await staff_of(e2e))[0]
    await staff.send("/guikiennghi")
    assert "“Gửi kiến nghị”" in (await staff.reply()).text
    assert await e2e.db.fetchval("SELECT count(*) FROM drafts") == 0


# --- handling ----------------------------------------------------------------------------------------------

from datetime import datetime  # noqa: E402

from bot.core.clock import VN_TZ  # noqa: E402
from bot.reminders import scheduler  # noqa: E402
from bot.rules import access  # noqa: E402
from storage import roles  # noqa: E402


def vn(*args):
    return datetime(*args, tzinfo=VN_TZ)


async def tick_at(e2e, when):
    e2e.clock.set(when)
    return await scheduler.tick(e2e.ctx, when)


async def leaders(e2e, cell):
    return [await e2e.chat_as(p) for p, _m in await org.current_members(e2e.db, [cell.id], org.CELL_LEADERS)]


async def test_the_ward_receives_and_answers_and_the_cell_is_told_each_time(e2e):
    ward, cell = await cell_of(e2e)
    cell_users = await leaders(e2e, cell)
    s, others = cell_users[0], cell_users[1:]
    staff = (await staff_of(e2e))[0]
    code = code_in((await submit(s, content="Xin lắp đèn ngõ 7")).text)
    await staff.send("/kiennghi")
    inbox = await staff.wait_for(lambda m: code in m.text)
    assert "Cần xử lý: 1" in inbox.text and cell.name in inbox.text
    await staff.send("1")                                  # the first of the list, typed
    card = await staff.wait_for(lambda m: "Nội dung" in m.text)
    assert "Xin lắp đèn ngõ 7" in card.text
    assert [label for row in card.buttons for label, _d in row] == [
        "1. 📥 Tiếp nhận", "2. ✅ Trả lời", "3. ⬆️ Chuyển lên Thành ủy", "4. ❓ Đề nghị chi bộ làm rõ"]
    await staff.press("1. 📥 Tiếp nhận")
    card = await staff.wait_for(lambda m: "Đã ghi nhận tiếp nhận" in m.text)
    assert "Trạng thái: 📥 phường đã tiếp nhận" in card.text and "1. ✅ Trả lời" in str(card.buttons)
    for u in cell_users:
        told = await u.wait_for(lambda m: code in m.text and "đã tiếp nhận" in m.text)
        assert told.text.startswith(f"Kiến nghị {code} của Chi bộ {cell.name}")
    await staff.send("1")                                  # the action, typed: answer
    await staff.wait_for(lambda m: "nhập trả lời kiến nghị" in m.text)
    await staff.send("Phường đã đưa vào kế hoạch quý I/2027 & sẽ lắp <ngay>.")
    await staff.wait_for(lambda m: "Đã gửi trả lời về chi bộ" in m.text)
    for u in cell_users:
        answer = await u.wait_for(lambda m: code in m.text and "đã trả lời" in m.text)
        assert "Phường đã đưa vào kế hoạch quý I/2027 & sẽ lắp <ngay>." in answer.text
        assert "thông báo trả lời này tới đảng viên" in answer.text
    item = await store.by_code(e2e.db, code)
    history = await store.history(e2e.db, item.id)
    assert [(h.action, h.to_status, h.actor_person_id) for h in history] == [
        ("submit", "new", s.person.id), ("receive", "received", staff.person.id),
        ("resolve", "resolved", staff.person.id)]
    assert item.answer == "Phường đã đưa vào kế hoạch quý I/2027 & sẽ lắp <ngay>."
    assert [e.detail["to"] for e in await audit_actions(e2e, "recommendation.receive")] == ["received"]
    assert [e.detail["to"] for e in await audit_actions(e2e, "recommendation.resolve")] == ["resolved"]
    # answering twice, escalating a resolved one: refused, nothing changes
    for data in (f"kn:a:resolve:{item.id}:received", f"kn:a:escalate:{item.id}:new",
                 f"kn:a:escalate:{item.id}:resolved"):
        answer = await press_raw(staff, card.message_id, data)
        assert "Không có gì thay đổi" in answer["text"]
    assert len(await store.history(e2e.db, item.id)) == 3
    # the secretary's list shows the answer
    await s.send("/kiennghi")
    mine = await s.wait_for(lambda m: code in m.text)
    assert "phường đã trả lời" in mine.text


async def test_escalated_to_the_city_clarified_and_answered_by_the_city(e2e):
    ward, cell = await cell_of(e2e)
    s = (await leaders(e2e, cell))[0]
    staff = (await staff_of(e2e))[0]
    city = await e2e.chat_as(await e2e.person("city_staff"), language="en")
    code = code_in((await submit(s, content="Đề nghị nâng cấp quốc lộ")).text)
    other = code_in((await submit(s, content="Việc của phường")).text)
    item = await store.by_code(e2e.db, code)
    await staff.send(code)
    await staff.wait_for(lambda m: "Nội dung" in m.text)
    await staff.press("3. ⬆️ Chuyển lên Thành ủy")
    await staff.wait_for(lambda m: "Đã chuyển lên Thành ủy" in m.text)
    await s.wait_for(lambda m: code in m.text and "chuyển lên Thành ủy" in m.text)
    notice = await city.wait_for(lambda m: code in m.text and "Escalated to the city by" in m.text)
    # the city's inbox: only what was escalated
    await city.send("/kiennghi")
    inbox = await city.wait_for(lambda m: "Recommendations —" in m.text)
    assert code in inbox.text and other not in inbox.text
    await city.send(other)
    assert (await city.reply()).text == f"No recommendation {other} among those you can see."
    await city.press("🔎 Open it", notice)
    card = await city.wait_for(lambda m: "Content" in m.text)
    assert [label for row in card.buttons for label, _d in row] == ["1. ✅ Answer", "2. ❓ Ask the cell to clarify"]
    await city.press("2. ❓ Ask the cell to clarify")
    await city.wait_for(lambda m: "should clarify" in m.text)
    await city.send("Đoạn nào, dài bao nhiêu km?")
    await city.wait_for(lambda m: "The question was sent to the cell." in m.text)
    question = await s.wait_for(lambda m: code in m.text and "Đoạn nào, dài bao nhiêu km?" in m.text)
    assert "Thành ủy đề nghị chi bộ làm rõ" in question.text
    await s.press("1. ✍️ Trả lời, làm rõ", question)
    await s.wait_for(lambda m: "nhập nội dung làm rõ" in m.text)
    await s.send("Từ km 3 đến km 5, khoảng 2 km.")
    await s.wait_for(lambda m: "Đã gửi nội dung làm rõ" in m.text)
    clarified = await city.wait_for(lambda m: "has clarified recommendation" in m.text)
    assert "Từ km 3 đến km 5, khoảng 2 km." in clarified.text
    assert (await store.get(e2e.db, item.id)).status == "escalated"
    await city.press("🔎 Open it", clarified)
    await city.wait_for(lambda m: "Content" in m.text and "1. ✅ Answer" in str(m.buttons) and "has clarified" not in m.text)
    await city.press("1. ✅ Answer")
    await city.wait_for(lambda m: "Type the answer" in m.text)
    await city.send("Thành phố đã giao Ban Quản lý dự án khảo sát.")
    await city.wait_for(lambda m: "Answer sent to the cell and its ward." in m.text)
    answered = await s.wait_for(lambda m: code in m.text and "Thành ủy đã trả lời" in m.text)
    assert "Thành phố đã giao Ban Quản lý dự án khảo sát." in answered.text
    await staff.wait_for(lambda m: code in m.text and "Thành ủy đã trả lời" in m.text)
    history = [(h.action, h.from_status, h.to_status) for h in await store.history(e2e.db, item.id)]
    assert history == [("submit", None, "new"), ("escalate", "new", "escalated"),
                       ("return", "escalated", "city_returned"), ("clarify", "city_returned", "escalated"),
                       ("resolve", "escalated", "city_resolved")]


async def test_the_ward_asks_to_clarify_and_the_cell_answers(e2e):
    ward, cell = await cell_of(e2e)
    s = (await leaders(e2e, cell))[0]
    staff = (await staff_of(e2e))[0]
    code = code_in((await submit(s, content="Mất điện")).text)
    await staff.send(code)
    await staff.wait_for(lambda m: "Nội dung" in m.text)
    await staff.send("4")
    await staff.wait_for(lambda m: "cần làm rõ" in m.text)
    await staff.send("   ")                      # an empty question is refused, the step stays
    assert "không gửi được câu trả lời trống" in (await staff.reply()).text
    await staff.send("Mất điện ở tổ nào?")
    question = await s.wait_for(lambda m: code in m.text and "Mất điện ở tổ nào?" in m.text)
    await s.press("1. ✍️ Trả lời, làm rõ", question)
    await s.wait_for(lambda m: "nhập nội dung làm rõ" in m.text)
    await s.send("Tổ 4 và tổ 5.")
    clarified = await staff.wait_for(lambda m: "đã làm rõ kiến nghị" in m.text)
    assert "Tổ 4 và tổ 5." in clarified.text
    assert (await store.by_code(e2e.db, code)).status == "received"
    # the old clarify button again: refused
    answer = await press_raw(s, question.message_id, question.buttons[0][0][1])
    assert "Không có gì thay đổi" in answer["text"]


async def test_urgent_at_once_the_others_in_the_daily_digest(e2e):
    ward, cell = await cell_of(e2e)
    s = (await leaders(e2e, cell))[0]
    staff = await staff_of(e2e)
    normal = code_in((await submit(s, content="Việc thường")).text)
    urgent = code_in((await submit_by_buttons(s, content="Cháy rừng phòng hộ", urgent=True)).text)
    for u in staff:
        notice = await u.wait_for(lambda m: urgent in m.text)
        assert "Kiến nghị khẩn" in notice.text and "Cháy rừng phòng hộ" in notice.text
        assert "1. 📥 Tiếp nhận" in str(notice.buttons)
    rows = await outbox.by_ref(e2e.db, f"recommendation:{(await store.by_code(e2e.db, normal)).id}")
    assert all(r.kind != "recommendation.urgent" for r in rows)
    await staff[0].press("2. ✅ Trả lời")          # straight from the notice
    await staff[0].wait_for(lambda m: "nhập trả lời" in m.text)
    await staff[0].send("/cancel")
    await staff[0].wait_for(lambda m: "Đã hủy" in m.text)
    # the digest at 17:00: the normal one only, once
    result = await tick_at(e2e, vn(2026, 11, 27, 16, 59))
    assert result.recommendations.digests == 0
    result = await tick_at(e2e, vn(2026, 11, 27, 17, 0))
    assert result.recommendations.digests == len(await org.units_of_kind(e2e.db, "ward"))
    for u in staff:
        digest = await u.wait_for(lambda m: "kiến nghị mới từ các chi bộ" in m.text)
        assert normal in digest.text and urgent not in digest.text and "1 kiến nghị mới" in digest.text
    assert (await tick_at(e2e, vn(2026, 11, 27, 17, 1))).recommendations.digests == 0
    await e2e.restart()
    assert (await tick_at(e2e, vn(2026, 11, 27, 18, 0))).recommendations.digests == 0
    rows = await settled(e2e, "recommendation:digest:2026-11-27")
    assert len(rows) == len(staff)


async def test_answers_reach_the_secretary_who_replaced_the_submitter(e2e):
    ward, cell = await cell_of(e2e)
    old = await e2e.chat_as(await e2e.person("secretary", cell=cell.id))
    code = code_in((await submit(old, content="Sân chơi trẻ em")).text)
    members = [p for p, m in await org.current_members(e2e.db, [cell.id], ["member"])]
    new_person = members[0]
    plan = access.plan_replacement(await roles.cell_memberships(e2e.db, cell.id), new_person.id)
    async with e2e.db.transaction() as conn:
        await roles.apply(conn, cell.id, ended=plan.ended, opened=plan.opened, today="2026-11-27")
    new = await e2e.chat_as(new_person)
    staff = (await staff_of(e2e))[0]
    await staff.send(code)
    await staff.wait_for(lambda m: "Nội dung" in m.text)
    await staff.press("2. ✅ Trả lời")
    await staff.wait_for(lambda m: "nhập trả lời" in m.text)
    await staff.send("Đã bố trí kinh phí.")
    got = await new.wait_for(lambda m: code in m.text and "Đã bố trí kinh phí." in m.text)
    assert "đã trả lời" in got.text
    item = await store.by_code(e2e.db, code)
    sent_to = {r.person_id for r in await outbox.by_ref(e2e.db, f"recommendation:{item.id}")
               if r.kind == "recommendation.status" and "Đã bố trí" in r.payload["text"]}
    assert new_person.id in sent_to and old.person.id not in sent_to
    # the old secretary no longer sees the cell's items
    await old.send(code)
    assert (await old.reply()).text == f"Không có kiến nghị {code} trong số kiến nghị đồng chí được xem."
    # the new one does
    await new.send(f"/kiennghi {code}")
    assert "Đã bố trí kinh phí." in (await new.wait_for(lambda m: "Nội dung" in m.text)).text


async def test_the_loop_is_closed_in_the_next_meeting_reminder_once(e2e):
    ward, cell = await cell_of(e2e)
    cell_users = await leaders(e2e, cell)
    s = cell_users[0]
    staff = (await staff_of(e2e))[0]
    answered = code_in((await submit(s, content="Vỉa hè bị lấn chiếm")).text)
    still_open = code_in((await submit(s, content="Chưa trả lời")).text)
    await staff.send(answered)
    await staff.wait_for(lambda m: "Nội dung" in m.text)
    await staff.send("2")
    await staff.wait_for(lambda m: "nhập trả lời" in m.text)
    await staff.send("Đã ra quân giải tỏa ngày 30/11.")
    await staff.wait_for(lambda m: "Đã gửi trả lời" in m.text)
    await tick_at(e2e, vn(2026, 12, 3, 7, 0))
    for u in cell_users:
        reminder = await u.wait_for(lambda m: "sinh hoạt định kỳ" in m.text)
        assert "Chi bộ đã nhận 1 trả lời kiến nghị kể từ buổi sinh hoạt trước" in reminder.text
        assert f"• {answered} (An ninh trật tự): Đã ra quân giải tỏa ngày 30/11." in reminder.text
        assert still_open not in reminder.text
    # the 8th: the ward report lists what is still open
    await tick_at(e2e, vn(2026, 12, 8, 8, 0))
    report = await staff.wait_for(lambda m: "báo cáo" in m.text.lower() and still_open in m.text)
    assert answered not in report.text and "1 kiến nghị của các chi bộ còn chưa xong" in report.text
    # January's meeting reminder: that answer was reported already
    await tick_at(e2e, vn(2027, 1, 3, 7, 0))
    january = await s.wait_for(lambda m: "sinh hoạt định kỳ" in m.text and "tháng 1" in m.text)
    assert answered not in january.text and "trả lời kiến nghị" not in january.text


async def test_overdue_items_are_flagged_to_the_ward_once(e2e):
    ward, cell = await cell_of(e2e)
    s = (await leaders(e2e, cell))[0]
    staff = await staff_of(e2e)
    normal = code_in((await submit(s, content="Thường")).text)
    urgent = code_in((await submit_by_buttons(s, content="Khẩn", urgent=True)).text)
    result = await tick_at(e2e, vn(2026, 11, 29, 8, 59))
    assert result.recommendations.flagged == []
    result = await tick_at(e2e, vn(2026, 11, 29, 9, 0))    # 2 days: the urgent one
    assert result.recommendations.flagged == [(await store.by_code(e2e.db, urgent)).id]
    for u in staff:
        flag = await u.wait_for(lambda m: "quá hạn" in m.text)
        assert urgent in flag.text and normal not in flag.text and "2 ngày" in flag.text
    assert (await tick_at(e2e, vn(2026, 11, 29, 9, 1))).recommendations.flagged == []
    # received in time does not stop the clock: still not answered after 7 days
    first = staff[0]
    await first.send(normal)
    await first.wait_for(lambda m: "Nội dung" in m.text)
    await first.press("1. 📥 Tiếp nhận")
    await first.wait_for(lambda m: "Đã ghi nhận tiếp nhận" in m.text)
    result = await tick_at(e2e, vn(2026, 12, 4, 9, 0))
    assert result.recommendations.flagged == [(await store.by_code(e2e.db, normal)).id]
    flag = await first.wait_for(lambda m: "quá hạn" in m.text)
    assert normal in flag.text and urgent not in flag.text
    await e2e.restart()
    assert (await tick_at(e2e, vn(2026, 12, 5, 9, 0))).recommendations.flagged == []


async def test_another_ward_can_neither_see_nor_act(e2e):
    ward, cell = await cell_of(e2e)
    s = (await leaders(e2e, cell))[0]
    code = code_in((await submit(s, content="Bí mật của phường Nam Ngạn")).text)
    item = await store.by_code(e2e.db, code)
    other_ward = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name != WARD)
    stranger = (await staff_of(e2e, ward=other_ward.name))[0]
    neighbour = await e2e.chat_as(await e2e.person("secretary", cell=(await org.cells_under(e2e.db, ward.id))[1].id))
    city = await e2e.chat_as(await e2e.person("city_staff"))
    for u in (stranger, neighbour, city):
        await u.send(code)
        assert (await u.reply()).text == f"Không có kiến nghị {code} trong số kiến nghị đồng chí được xem."
        await u.send(f"/kiennghi {code}")
        assert (await u.reply()).text == f"Không có kiến nghị {code} trong số kiến nghị đồng chí được xem."
    await stranger.send("/kiennghi")
    inbox = await stranger.wait_for(lambda m: "Kiến nghị —" in m.text)
    assert code not in inbox.text and other_ward.name in inbox.text
    for data in (f"kn:o:{item.id}", f"kn:a:resolve:{item.id}:new", f"kn:a:receive:{item.id}:new",
                 f"kn:a:escalate:{item.id}:new", "kn:a:delete:1:new", "kn:o:999999", "kn:a:x"):
        for u in (stranger, neighbour, city):
            answer = await press_raw(u, inbox.message_id if u is stranger else 1, data)
            assert answer["text"] == "Xin lỗi, đồng chí không có quyền thực hiện thao tác này."
    got = await store.by_code(e2e.db, code)
    assert got.status == "new" and len(await store.history(e2e.db, item.id)) == 1
    forged = await audit_actions(e2e, "access.forged")
    assert len(forged) >= 9 + 6
    for u in (stranger, neighbour, city):
        assert "Bí mật" not in str([m.text for m in await u.bot_messages()])


async def test_two_staff_at_once_only_one_wins(e2e):
    wards = await org.units_of_kind(e2e.db, "ward")
    for ward in wards:
        staff_people = await e2e.people(role="ward_staff", ward=ward.name)
        if len(staff_people) >= 2:
            break
    cell = (await org.cells_under(e2e.db, ward.id))[0]
    s = (await leaders(e2e, cell))[0]
    code = code_in((await submit(s, content="Hai người cùng bấm")).text)
    item = await store.by_code(e2e.db, code)
    a, b = [await e2e.chat_as(p) for p in staff_people[:2]]
    cards = []
    for u in (a, b):
        await u.send(code)
        cards.append(await u.wait_for(lambda m: "Nội dung" in m.text))
    await asyncio.gather(a.press("3. ⬆️ Chuyển lên Thành ủy", cards[0]), b.press("1. 📥 Tiếp nhận", cards[1]))
    outcome = await asyncio.gather(
        a.wait_for(lambda m: "Đã chuyển lên Thành ủy" in m.text or "đã thay đổi" in m.text
                   or "Đã có người xử lý" in m.text, timeout=8),
        b.wait_for(lambda m: "Đã ghi nhận tiếp nhận" in m.text or "đã thay đổi" in m.text
                   or "Đã có người xử lý" in m.text, timeout=8), return_exceptions=True)
    answers_a = [x["text"] for x in await a.callback_answers()]
    answers_b = [x["text"] for x in await b.callback_answers()]
    history = await store.history(e2e.db, item.id)
    assert len(history) == 2                      # one of the two won, once
    winner = history[-1].action
    loser_answers = answers_b if winner == "escalate" else answers_a
    loser_replies = outcome[1] if winner == "escalate" else outcome[0]
    refusal = [t for t in loser_answers if t and "đã thay đổi" in t] or \
        ([loser_replies.text] if not isinstance(loser_replies, Exception) and
         ("đã thay đổi" in loser_replies.text or "Đã có người xử lý" in loser_replies.text) else [])
    assert refusal, (answers_a, answers_b, outcome)


async def test_long_and_hostile_texts_arrive_whole_and_unformatted(e2e):
    ward, cell = await cell_of(e2e)
    cell_users = await leaders(e2e, cell)
    s = cell_users[0]
    staff = (await staff_of(e2e))[0]
    content = ("<b>Bà con</b> & *phản ánh* _gấp_: " + "nước thải chảy tràn ra đường; " * 130).strip()
    assert len(content) > 3900
    code = code_in((await submit(s, content=content)).text)
    assert (await store.by_code(e2e.db, code)).content == content
    await staff.send(code)
    parts = [await staff.wait_for(lambda m: code in m.text)]
    while "Trạng thái" in parts[0].text and not parts[-1].buttons:
        parts.append(await staff.reply())
    shown = "".join(p.text for p in parts)
    assert "<b>Bà con</b> & *phản ánh* _gấp_:" in shown
    assert shown.count("nước thải chảy tràn ra đường;") == 130
    answer = "Trả lời <i>dài</i> & " + "đã xử lý xong; " * 280
    await staff.press("2. ✅ Trả lời", parts[-1])
    await staff.wait_for(lambda m: "nhập trả lời" in m.text)
    await staff.send(answer[:4000])
    got = [await s.wait_for(lambda m: code in m.text and "đã trả lời" in m.text)]
    got.append(await s.reply(timeout=8))
    text = "".join(m.text for m in got)
    assert "Trả lời <i>dài</i> &" in text and text.count("đã xử lý xong;") == answer[:4000].count("đã xử lý xong;")


async def test_typed_labels_and_their_beginnings(e2e):
    ward, cell = await cell_of(e2e)
    s = await e2e.chat_as(await e2e.person("secretary", cell=cell.id))
    await s.send("/guikiennghi")
    await s.wait_for(lambda m: "(1/4)" in m.text)
    await s.send("xay dung")                 # the beginning of one category
    await s.wait_for(lambda m: "(2/4)" in m.text)
    await s.send("Sinh hoạt chi bộ tổ 2 chưa đều")
    await s.wait_for(lambda m: "(3/4)" in m.text)
    await s.send("nhân dân")
    await s.wait_for(lambda m: "(4/4)" in m.text)
    await s.send("KHẨN")
    await s.wait_for(lambda m: "Gửi đi" in str(m.buttons))
    await s.send("gửi đi")
    done = await s.wait_for(lambda m: "Mã theo dõi" in m.text)
    item = await store.by_code(e2e.db, code_in(done.text))
    assert (item.category, item.source, item.urgency) == ("Xây dựng Đảng", "citizens", "urgent")


async def test_the_inbox_pages_and_filters(e2e):
    from bot.rules import recommendations as rules
    from storage.recommendations import NewRecommendation

    ward, cell = await cell_of(e2e)
    secretary = await e2e.person("secretary", cell=cell.id)
    categories = e2e.config.recommendations.categories
    made = []
    for n in range(8):   # as the chat would have recorded them (the submission is tested above)
        made.append(await store.submit(
            e2e.db, NewRecommendation(categories[n % 2], f"Nội dung số {n}", "member", "normal", cell.id, ward.id,
                                      secretary.id), month="2026-11", at=f"2026-11-2{n}T01:00:00+00:00",
            make_code=rules.tracking_code))
    staff = (await staff_of(e2e, language="en"))[0]
    await staff.send("/kiennghi")
    first = await staff.wait_for(lambda m: "Recommendations —" in m.text)
    assert "To handle: 8" in first.text and "1/2" in str(first.buttons)
    assert [made[n].code in first.text for n in range(8)] == [True] * 6 + [False] * 2   # oldest first
    await staff.press("▶", first)
    second = await staff.wait_for(lambda m: made[7].code in m.text)
    assert second.message_id == first.message_id and made[0].code not in second.text   # the list, edited
    await staff.send("2")                       # the second of this page
    card = await staff.wait_for(lambda m: "Content" in m.text)
    assert "Nội dung số 7" in card.text
    await staff.send("/kiennghi")
    listing = await staff.wait_for(lambda m: "Recommendations —" in m.text)
    await staff.press(categories[1][:20], listing)
    filtered = await staff.wait_for(lambda m: f"{categories[1]}: 4" in m.text and "1." in m.text)
    assert made[1].code in filtered.text and made[0].code not in filtered.text
    await staff.press("Answered", filtered)
    done = await staff.wait_for(lambda m: "Answered: none." in m.text)
    assert made[0].code not in done.text


async def test_the_meeting_record_asks_whether_the_answers_were_reported(e2e):
    from storage import meetings
    from tests.test_meeting_record_e2e import take_roll_calls
    from tests.test_roll_call_e2e import cell_of_size

    cell = await cell_of_size(e2e.db, 30)
    s = await e2e.chat_as(await e2e.person("secretary", cell=cell.id))
    ward = await org.get_unit(e2e.db, cell.parent_id)
    staff = (await staff_of(e2e, ward=ward.name))[0]
    code = code_in((await submit(s, content="Đường điện chập chờn")).text)
    await staff.send(code)
    await staff.wait_for(lambda m: "Nội dung" in m.text)
    await staff.send("2")
    await staff.wait_for(lambda m: "nhập trả lời" in m.text)
    await staff.send("Điện lực đã thay dây.")
    await s.wait_for(lambda m: "Điện lực đã thay dây." in m.text)
    await take_roll_calls(e2e, s)
    await s.send("/bienban")
    await s.wait_for(lambda m: "loại nào" in m.text)
    await s.send("1")
    for _step in range(6):                      # topic … minutes, each skipped
        await s.reply()
        await s.send("bỏ qua")
    asked = await s.wait_for(lambda m: "trả lời kiến nghị" in m.text)
    assert "Chi bộ đã nhận 1 trả lời kiến nghị kể từ buổi sinh hoạt trước" in asked.text
    await s.send("1")
    summary = await s.wait_for(lambda m: "Lưu biên bản" in m.text or "💾" in str(m.buttons))
    assert "• Đã thông báo trả lời kiến nghị tới đảng viên: có" in summary.text
    await s.send("1")
    saved = await s.wait_for(lambda m: "Đã lưu biên bản" in m.text)
    assert (await meetings.get_record(e2e.db, cell.id, "2026-12")).answers_reported is True
    await s.press("➕ Gửi kiến nghị nêu tại buổi sinh hoạt", saved)   # from the record, a new one
    await s.wait_for(lambda m: "(1/4)" in m.text)
