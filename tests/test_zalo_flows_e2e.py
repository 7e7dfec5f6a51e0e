"""The flows of a month end to end on Zalo: the real Zalo Application polling the local Zalo server (and the
Telegram one beside it), the real sender and scheduler, a real SQLite roster. Joining by invite code, the
reminders of the 2nd and the 3rd, the meeting record by numbers and typed text, a recommendation sent on
Zalo and answered from Telegram, and one person on both channels counted once."""

from __future__ import annotations

import inspect
from datetime import datetime, timedelta

import pytest

from bot.commands.invite import create_invite
from bot.core.clock import VN_TZ
from bot.delivery import guidance_delivery as delivery
from bot.reminders import scheduler
from handlers import common
from storage import accounts, codec, invites, meetings, org, outbox, roll_calls
from storage import guidance as store
from storage import recommendations
from tests.fixtures.e2e import audit_actions
from tests.test_roll_call_e2e import cell_of_size

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif("platform" not in inspect.signature(common.load_actor).parameters,
                       reason="needs the handlers' accounts looked up by platform (branch zalo-routing)"),
]

WARD = "Nam Ngạn"
MENU_LINE = ("Đồng chí có thể gõ số hoặc tên: 1. Điểm danh · 2. Biên bản sinh hoạt · 3. Dời lịch sinh hoạt · "
             "4. Hướng dẫn · 5. Gửi kiến nghị · 6. Kiến nghị · 7. Trợ giúp · 8. Ngôn ngữ")


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


async def ward_and_cells(h):
    ward = next(w for w in await org.units_of_kind(h.db, "ward") if w.name == WARD)
    return ward, await org.cells_under(h.db, ward.id)


async def exchange(z, text: str) -> str:
    await z.send(text)
    return (await z.reply()).text


# --- Joining by invite code -------------------------------------------------------------------------


async def test_joining_on_zalo_by_the_code_of_shcb_invite(e2e_zalo):
    h = e2e_zalo
    secretary = next(p for p in await h.people("secretary", ward=WARD) if p.phone)
    z = await h.zalo_as(secretary, link=False)       # a Zalo user the bot does not know yet

    assert await exchange(z, "xin chào") == ("Đồng chí chưa tham gia. Đồng chí vui lòng gửi mã mời mà Văn phòng "
                                            "Đảng ủy phường đã cấp cho đồng chí.")
    assert await exchange(z, "ABCD234XYZ") == ("Mã mời này không hợp lệ. Đồng chí vui lòng kiểm tra lại đường dẫn, "
                                              "hoặc đề nghị Văn phòng Đảng ủy phường cấp mã mới.")
    assert (await exchange(z, "1")).startswith("Đồng chí chưa tham gia.")         # a number: not a code either
    _person, invite, _places = await create_invite(h.db, secretary.phone, h.clock)   # as `shcb invite` does
    welcome = await exchange(z, invite.code.lower())
    assert welcome.startswith(f"Chào mừng đồng chí {secretary.full_name}!\nĐồng chí tham gia với vai trò:\n• Bí thư")
    assert welcome.endswith(MENU_LINE)                 # the menu: its names, numbered, on one line
    account = await accounts.get_for_person(h.db, secretary.id, platform=accounts.ZALO)
    assert (await invites.get_by_code(h.db, invite.code)).used_by_account == account.id
    refused = await audit_actions(h, "join.refused")
    assert [(e.platform, e.detail["reason"]) for e in refused] == [("zalo", "invite_unknown")]

    # The menu on Zalo says to type (no "press a button": there are none); a number typed is that name.
    assert await exchange(z, "/menu") == ("Danh mục chức năng của đồng chí ở bên dưới: đồng chí gõ số "
                                          "hoặc tên chức năng cần dùng.\n\n" + MENU_LINE)
    assert await exchange(z, "9") == "Xin đồng chí trả lời bằng một số từ 1 đến 8."    # not on the menu
    assert await exchange(z, "4") == "Chưa có hướng dẫn sinh hoạt chi bộ cho tháng này."   # "Hướng dẫn": none yet
    await z.no_reply()


async def test_joining_on_zalo_in_english_keeps_the_roster_language(e2e_zalo):
    h = e2e_zalo
    secretary = next(p for p in await h.people("secretary", ward=WARD) if p.phone)
    await org.set_language(h.db, secretary.id, "en", codec.instant(h.clock.now()))
    z = await h.zalo_as(secretary, link=False)
    # Zalo tells no language: before joining the bot speaks the default, Vietnamese …
    assert (await exchange(z, "hello")).startswith("Đồng chí chưa tham gia.")
    _person, invite, _places = await create_invite(h.db, secretary.phone, h.clock)
    welcome = await exchange(z, invite.code)
    # … and once it knows the person, their own language (it was not overwritten by the default).
    assert welcome.startswith(f"Welcome, comrade {secretary.full_name}!\nYou have joined as:\n• ")
    assert "You can type a number or a name: 1. Roll call · 2. Meeting record · " in welcome
    assert (await org.get_person(h.db, secretary.id)).language == "en"
    menu = await exchange(z, "/menu")
    assert menu.startswith("Your menu is below: type the number or the name of what you need.\n\n"
                           "You can type a number or a name: 1. Roll call · ")
    assert (await exchange(z, "1")).startswith("Start-of-meeting roll call — cell ")     # 1: Roll call


# --- Reminders --------------------------------------------------------------------------------------


async def test_the_reminders_of_the_2nd_and_3rd_reach_a_secretary_on_zalo_only(e2e_zalo):
    h = e2e_zalo
    cell = await cell_of_size(h.db, 30)
    secretary = await h.person("secretary", cell=cell.id)
    z = await h.zalo_as(secretary)                     # linked on Zalo only

    h.clock.set(vn(2026, 12, 2, 7, 0))
    await scheduler.tick(h.ctx, vn(2026, 12, 2, 7, 0))
    committee = (await z.reply(timeout=10)).text
    assert committee.startswith(f"Kính gửi đồng chí {secretary.full_name},\nHôm nay, Thứ Tư, 2 tháng 12, 2026, "
                                f"Chi ủy Chi bộ {cell.name} họp")
    assert committee.endswith("\n\n1. Đọc hướng dẫn tháng này\n\nTrả lời 1.")
    rows = await outbox.by_ref(h.db, "reminder:committee:2026-12")
    assert [(r.person_id, r.platform) for r in rows if r.person_id == secretary.id] == [(secretary.id, "zalo")]

    h.clock.set(vn(2026, 12, 3, 7, 0))
    await scheduler.tick(h.ctx, vn(2026, 12, 3, 7, 0))
    meeting = (await z.reply(timeout=10)).text
    assert f"Chi bộ {cell.name} sinh hoạt định kỳ tháng 12 năm 2026" in meeting
    assert "<" not in meeting
    assert meeting.endswith("\n\n1. 📋 Điểm danh\n2. Đọc hướng dẫn tháng này\n\nTrả lời 1 hoặc 2.")

    h.clock.set(vn(2026, 12, 3, 19, 0))
    opened = await exchange(z, "1")                     # the reminder's "start roll call", by its number
    assert opened.startswith(f"Điểm danh đầu buổi — Chi bộ {cell.name}, tháng 12 năm 2026\nCó mặt: 30/30")
    assert "\n✅ 1. " in opened and "\nf. ✅ Xong\n" in opened
    assert "Có mặt: 29/30" in await exchange(z, "vắng 4")
    await exchange(z, "xong")
    assert (await exchange(z, "1")).startswith("Đã lưu: đầu buổi: có mặt 29/30")
    start = await roll_calls.get(h.db, cell.id, "2026-12", "start")
    assert [m.number for m in start.members if m.status != "present"] == [4]


# --- The meeting record -----------------------------------------------------------------------------


async def test_the_meeting_record_on_zalo_by_numbers_and_typed_text(e2e_zalo):
    h = e2e_zalo
    cell = await cell_of_size(h.db, 30)
    secretary = await h.person("secretary", cell=cell.id)
    z = await h.zalo_as(secretary)
    for when in (vn(2026, 12, 3, 19, 0), vn(2026, 12, 3, 21, 0)):
        h.clock.set(when)
        await exchange(z, "điểm danh")
        await exchange(z, "xong")
        saved = await exchange(z, "1")
    assert "Buổi sinh hoạt kéo dài 120 phút" in saved and saved.endswith("1. 📝 Biên bản sinh hoạt\n\nTrả lời 1.")

    kind = await exchange(z, "1")                       # the record, by the number under the saved roll call
    assert "Buổi sinh hoạt loại nào?" in kind and kind.endswith("\n4. Hủy\n\nTrả lời 1, 2, 3 hoặc 4.")
    assert await exchange(z, "9") == "Xin đồng chí trả lời bằng một số từ 1 đến 4."      # refused, nothing changed
    assert "chủ đề buổi sinh hoạt" in await exchange(z, "2")                           # thematic
    speakers = await exchange(z, "Học tập Nghị quyết")                                  # the topic, typed
    # The count's options are numbers themselves: they keep them, so a number typed is the count.
    assert "Có bao nhiêu đảng viên phát biểu?" in speakers and "\n\n0 · 1 · 2 · 3 · 4 · 5 · 6 · 7\na. Bỏ qua ▶\n" in speakers
    assert "từ 0 đến 30" in await exchange(z, "31")     # more than were present: refused
    attended = await exchange(z, "12")                  # not among the options: the count typed
    assert "Đồng chí đảng ủy viên phụ trách có dự không?" in attended
    assert "Chưa có gì thay đổi" in await exchange(z, "có lẽ")
    assert "kết luận chính" in await exchange(z, "1")   # yes
    assert "đề xuất xếp loại" in await exchange(z, "Thống nhất kế hoạch tháng 1")
    assert "ảnh hoặc tệp biên bản" in await exchange(z, "2")                            # fair
    await z.image(caption="Biên bản")                   # the minutes, a photo sent on Zalo
    summary = (await z.reply()).text
    assert "• Số đảng viên phát biểu: 12\n" in summary and "• Đề xuất xếp loại: Khá\n" in summary
    assert summary.endswith("1. 💾 Lưu\n2. ◀ Làm lại từ đầu\n3. Hủy\n\nTrả lời 1, 2 hoặc 3.")
    assert (await exchange(z, "1")).startswith("Đã lưu biên bản sinh hoạt.")
    record = await meetings.get_record(h.db, cell.id, "2026-12")
    assert (record.kind, record.topic, record.speakers, record.ward_member_attended) == (
        "thematic", "Học tập Nghị quyết", 12, True)
    assert (record.conclusions, record.proposed_grade, record.saved_by) == (
        "Thống nhất kế hoạch tháng 1", "fair", secretary.id)
    assert record.minutes_kind == "photo"


# --- A recommendation -------------------------------------------------------------------------------


async def test_a_recommendation_sent_on_zalo_is_answered_from_telegram_and_the_answer_arrives_on_zalo(e2e_zalo):
    h = e2e_zalo
    ward, cells = await ward_and_cells(h)
    secretary = await h.person("secretary", cell=cells[0].id)
    z = await h.zalo_as(secretary)
    assert "(1/4)" in await exchange(z, "gửi kiến nghị")
    assert "(2/4)" in await exchange(z, "1")
    assert "(3/4)" in await exchange(z, "Đường ngõ 5 bị ngập")
    assert "(4/4)" in await exchange(z, "2")
    preview = await exchange(z, "1")
    assert "Đường ngõ 5 bị ngập" in preview and "Gửi đi" in preview
    done = await exchange(z, "1")
    assert "KN-2611-0001" in done and "Mã theo dõi" in done
    item = await recommendations.by_code(h.db, "KN-2611-0001")
    assert (item.content, item.cell_id, item.submitted_by) == ("Đường ngõ 5 bị ngập", cells[0].id, secretary.id)

    staff = await h.chat_as((await h.people(role="ward_staff", ward=ward.id))[0])
    await staff.send("/kiennghi")
    await staff.wait_for(lambda m: "KN-2611-0001" in m.text)
    await staff.send("1")
    await staff.wait_for(lambda m: "Đường ngõ 5 bị ngập" in m.text)
    await staff.send("2")                               # ✅ answer
    await staff.wait_for(lambda m: "nhập trả lời kiến nghị" in m.text)
    await staff.send("Phường đã khơi thông cống ngõ 5.")
    await staff.wait_for(lambda m: "Đã gửi trả lời về chi bộ" in m.text)

    answer = (await z.reply(timeout=10)).text           # through the outbox, on Zalo
    assert answer == (f"Kiến nghị KN-2611-0001 của Chi bộ {cells[0].name} (An ninh trật tự):\nĐảng ủy phường đã trả "
                      "lời:\nPhường đã khơi thông cống ngõ 5.\nĐề nghị đồng chí thông báo trả lời này tới đảng viên "
                      "tại buổi sinh hoạt chi bộ tới.")
    await z.no_reply()


# --- One person on both channels --------------------------------------------------------------------


async def _guidance(h, ward, cells, staff, month: str) -> int:
    queued = await delivery.confirm(h.ctx, author_person_id=staff.id, scope_unit_id=ward.id, month=month,
                                    text=f"Nội dung sinh hoạt {month}", parse_mode="HTML", audience="leaders",
                                    cell_ids=[c.id for c in cells], attachments=[])
    await h.sender_idle()
    return queued.guidance_id


async def test_one_person_on_both_channels_is_counted_once(e2e_zalo):
    h = e2e_zalo
    ward, cells = await ward_and_cells(h)
    staff = (await h.people(role="ward_staff", ward=ward.id))[0]
    secretary = await h.person("secretary", cell=cells[0].id)
    t = await h.chat_as(secretary)
    h.clock.advance(timedelta(minutes=5))
    z = await h.zalo_as(secretary)                      # joined on Zalo after Telegram: Zalo is the last used

    first = await _guidance(h, ward, cells, staff, "2026-12")
    on_zalo = (await z.reply(timeout=10)).text
    assert on_zalo.startswith("Hướng dẫn sinh hoạt chi bộ tháng 12/2026\n") and on_zalo.endswith("1. Đã nhận\n\nTrả lời 1.")
    rows = [r for r in await outbox.by_ref(h.db, store.ref(first)) if r.person_id == secretary.id]
    assert [(r.platform, r.status) for r in rows] == [("zalo", "sent")]
    assert not [m for m in await t.bot_messages() if "Nội dung sinh hoạt" in m.text]

    h.clock.advance(timedelta(minutes=5))
    h.config.delivery.both_channels = True
    second = await _guidance(h, ward, cells, staff, "2027-01")
    assert "Nội dung sinh hoạt 2027-01" in (await z.reply(timeout=10)).text
    copy = await t.wait_for(lambda m: "Nội dung sinh hoạt 2027-01" in m.text)
    await z.send("1")                                   # received, on Zalo …
    thanks, receipt = await z.replies(2)
    assert thanks.text == "Cảm ơn đồng chí: đã ghi nhận đồng chí đã nhận hướng dẫn."
    assert receipt.text.startswith("1. ✅ Đã nhận lúc ")
    await t.press(f"gd:ack:{second}", copy)             # … and again on Telegram
    await t.settled()
    assert (await t.callback_answers())[-1]["text"] == ("Việc nhận của đồng chí đã được ghi nhận trước đó. "
                                                        "Cảm ơn đồng chí.")
    assert list(await store.receipts(h.db, second)) == [secretary.id]
    report = await delivery.report(h.ctx, second)
    assert report.progress.total.received == 1

    # The roll call taken on Zalo, then opened on Telegram: saved once, Telegram goes on to the end one.
    h.clock.set(vn(2026, 12, 3, 19, 0))
    await exchange(z, "điểm danh")
    await exchange(z, "vắng 2")
    await exchange(z, "xong")
    assert (await exchange(z, "1")).startswith("Đã lưu: đầu buổi:")
    await t.send("/diemdanh")
    shown = (await t.reply()).text
    assert shown.startswith(f"Điểm danh cuối buổi — Chi bộ {cells[0].name}") and ": vắng có lý do" in shown
    saved = await roll_calls.of_meeting(h.db, cells[0].id, "2026-12")
    assert list(saved) == ["start"] and saved["start"].revision == 1 and saved["start"].taken_by == secretary.id
    start = saved["start"]
    assert start.present == start.eligible - 1 and 2 in [m.number for m in start.members if m.status != "present"]
