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
    assert "không phải" in refused.text or "không thuộc" in refused.text or "Gửi kiến nghị" in refused.text
    assert await e2e.db.fetchval("SELECT count(*) FROM drafts") == 0
