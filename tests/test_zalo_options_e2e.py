"""The Zalo channel end to end: the real Zalo Application polling the local Zalo server, a real SQLite
roster. What a Zalo user sees — plain text with numbered options — and what typing a number does: the
roll call by numbers and by its typed forms, numbers out of range and stale option lists refused
politely, in Vietnamese and in English."""

from __future__ import annotations

import inspect
from datetime import datetime

import pytest

from bot.core.clock import VN_TZ
from handlers import common
from storage import accounts, drafts, roll_calls
from tests.test_roll_call_e2e import cell_of_size

pytestmark = [
    pytest.mark.e2e,
    # The handlers find a Zalo person's account by the Application's platform (branch zalo-routing).
    pytest.mark.skipif("platform" not in inspect.signature(common.load_actor).parameters,
                       reason="needs the handlers' accounts looked up by platform (branch zalo-routing)"),
]


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


async def zalo_account(h, person):
    return await accounts.get_for_person(h.db, person.id, platform=accounts.ZALO)


async def test_a_roll_call_on_zalo_by_numbers_and_typed_forms(e2e_zalo):
    h = e2e_zalo
    cell = await cell_of_size(h.db, 30)
    h.clock.set(vn(2026, 12, 3, 21, 0))
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.zalo_as(secretary)

    await s.send("điểm danh")
    listed = (await s.reply()).text
    assert "Điểm danh đầu buổi" in listed and "<" not in listed          # plain text, no HTML
    assert "\n✅ 1. " in listed and "\n✅ 15. " in listed                 # the members keep their numbers
    assert "\nb. ▶\n" in listed                                           # the other buttons get letters
    assert "Gõ số thứ tự một đảng viên để đổi" in listed and "Chạm" not in listed   # no "tap" on Zalo
    assert listed.endswith("Trả lời bằng số thứ tự hoặc chữ cái ở đầu dòng.")

    await s.send("a")              # "1/2", this very page: the same screen again is not sent again
    await s.no_reply()

    await s.send("vắng 3 7")                                 # the roll call's own typed form
    marked = (await s.reply()).text
    assert "\n❌ 3. " in marked and "\n❌ 7. " in marked and "Có mặt: 28/30" in marked
    await s.send("5")                                        # a number on the list: the member's button
    assert "\n❌ 5. " in (await s.reply()).text
    await s.send("20")                                       # member 20, on the next page: the typed form
    assert "Có mặt: 26/30" in (await s.reply()).text
    await s.send("b")                                        # ▶: the next page, its list alone (the text
    page2 = (await s.reply()).text                           # above it has not changed)
    assert page2.startswith("✅ 16. ") and "\n❌ 20. " in page2 and "\na. ◀\n" in page2

    await s.send("xong")
    summary = (await s.reply()).text
    assert "\n1. 💾 Lưu\n2. ◀ Quay lại sửa\n\nTrả lời 1 hoặc 2." in summary
    await s.send("7")                                        # not an option: refused, nothing changed
    assert (await s.reply()).text == "Xin đồng chí trả lời bằng một số từ 1 đến 2."
    await s.no_reply()
    assert await roll_calls.get(h.db, cell.id, "2026-12", "start") is None
    await s.send("1")
    assert "Đã lưu" in (await s.reply()).text
    start = await roll_calls.get(h.db, cell.id, "2026-12", "start")
    assert sorted(m.number for m in start.members if m.status != "present") == [3, 5, 7, 20]


async def test_a_stale_option_list_is_refused_and_english_on_zalo(e2e_zalo):
    h = e2e_zalo
    cell = await cell_of_size(h.db, 30)
    h.clock.set(vn(2026, 12, 3, 21, 0))
    secretary = await h.person("secretary", cell=cell.id)
    s = await h.zalo_as(secretary, language="en")
    await s.send("/diemdanh")
    assert "Start-of-meeting roll call" in (await s.reply()).text
    await s.send("done")
    summary = (await s.reply()).text
    assert summary.endswith("\n\n1. 💾 Save\n2. ◀ Go back and fix\n\nReply 1 or 2.")
    await s.send("3")
    assert (await s.reply()).text == "Please reply with a number from 1 to 2."

    # The roll call in progress is discarded elsewhere (as when the person cancels it on Telegram):
    # the list on the person's screen still says "1. Save", and typing 1 must change nothing.
    account = await zalo_account(h, secretary)
    await drafts.clear(h.db, account.id)
    await s.send("1")
    refusal = (await s.reply()).text
    assert "out of date" in refusal or "no longer" in refusal
    await s.no_reply()
    assert await roll_calls.get(h.db, cell.id, "2026-12", "start") is None
