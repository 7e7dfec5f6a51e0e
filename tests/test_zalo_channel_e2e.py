"""The Zalo channel end to end, what Zalo itself imposes: texts of at most 2000 characters (a long
guidance arrives in parts cut at paragraphs, its receipt typed as a number), a 429 "Quota exceeded"
honoured with a back-off, and the webhook's secret header checked."""

from __future__ import annotations

import inspect
import re
import time

import httpx
import pytest

from bot.channels.zalo.application import intake_of
from handlers import common
from storage import guidance as store
from tests.test_guidance_e2e import WARD, compose, latest_guidance, preview, staff_of

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif("platform" not in inspect.signature(common.load_actor).parameters,
                       reason="needs the handlers' accounts looked up by platform (branch zalo-routing)"),
]


async def test_a_long_guidance_arrives_in_parts_of_2000_and_its_receipt_is_a_typed_number(e2e_zalo):
    h = e2e_zalo
    staff = await staff_of(h)
    secretary = await h.person("secretary", ward=WARD)
    z = await h.zalo_as(secretary)
    paragraphs = [f"Mục {n}. " + "Nội dung chi tiết của hướng dẫn. " * 12 for n in range(1, 11)]
    text = "\n\n".join(paragraphs)[:3900]
    await compose(staff, text=text)
    await preview(staff)
    await z.send("xin chào")      # (the bot may write to a Zalo user who wrote to it)
    await z.reply()
    await staff.press("gc:send")
    first = await z.reply(timeout=10)
    parts = [first]
    while "Trả lời 1" not in parts[-1].text:
        parts.append(await z.reply(timeout=10))
    assert len(parts) >= 2 and all(len(part.text) <= 2000 for part in parts)
    assert "Mục 1." in parts[0].text and all(part.text.startswith("Mục ") for part in parts[1:])
    assert re.search(r"\n\n1\. [^\n]+\n\nTrả lời 1\.$", parts[-1].text)     # the receipt button, numbered
    joined = " ".join(" ".join(part.text for part in parts).split())
    assert " ".join(text.split()) in joined
    await z.send("1")                                      # the receipt, typed
    thanks, receipt = await z.replies(2)
    await z.no_reply()
    assert thanks.text.startswith("Cảm ơn đồng chí")
    # The button changed (Telegram edits it): only the option is shown again, not the whole guidance.
    assert re.fullmatch(r"1\. ✅ Đã nhận [^\n]+\n\nTrả lời 1\.", receipt.text)
    guidance = await latest_guidance(h)
    assert secretary.id in await store.receipts(h.db, guidance.id)


async def test_a_429_is_honoured_with_a_back_off_and_nothing_is_sent_twice(e2e_zalo):
    h = e2e_zalo
    z = await h.zalo_as(await h.person("secretary"))
    h.zalo_server.limits.per_chat_count, h.zalo_server.limits.per_chat_window = 1, 1.0   # Zalo's quota, tight
    started = time.monotonic()
    await z.send("xin chào")
    await z.send("xin chào")
    first, second = await z.replies(2, timeout=10)
    await z.no_reply(timeout=10)
    assert h.zalo_server.stats(h.config.zalo.token)["rate_limited"] >= 1
    assert time.monotonic() - started >= h.config.zalo.backoff_seconds   # it waited the back-off
    assert first.text == second.text and first.message_id != second.message_id


async def test_the_webhook_takes_updates_with_the_secret_and_refuses_others(e2e_zalo_webhook):
    h = e2e_zalo_webhook
    z = await h.zalo_as(await h.person("secretary"), language="en")
    await z.send("/menu")
    assert "You can type a number or a name: 1. Roll call · " in (await z.reply()).text   # came by webhook, answered: the menu
    intake = intake_of(h.zalo_app)
    taken = intake.taken
    update = {"event_name": "message.text.received", "message": {
        "from": {"id": z.zalo_id, "display_name": "x", "is_bot": False},
        "chat": {"id": z.zalo_id, "chat_type": "PRIVATE"}, "text": "/menu", "message_id": "f1", "date": 0}}
    async with httpx.AsyncClient() as client:
        for headers in ({}, {"X-Bot-Api-Secret-Token": "wrong-secret"}):
            answer = await client.post(h.zalo_webhook.url, json={"ok": True, "result": update}, headers=headers)
            assert answer.status_code == 403
    await z.no_reply()
    assert intake.taken == taken                            # nothing of them was read


async def test_the_reports_files_become_their_names_and_how_to_get_them(e2e_zalo):
    h = e2e_zalo
    z = await h.zalo_as(await h.person("ward_staff", ward=WARD))
    await z.send("/baocao")
    question = (await z.reply()).text
    # The question lists the reports already, numbered: listed once, and the number typed chooses.
    assert question.count(f"1. {WARD}, tháng 11/2026") == 1 and f"\n2. {WARD}, tháng 10/2026\n" in question
    await z.send("1")
    summary, book, chart = await z.replies(3)
    assert f"{WARD} — " in summary.text and "<b>" not in summary.text
    assert re.fullmatch(r"📎 Tệp \S+\.xlsx không gửi được qua Zalo: đồng chí mở bot này trên Telegram để nhận, "
                        r"hoặc xin văn phòng Đảng ủy phường một bản\.", book.text)
    assert re.fullmatch(r"🖼 Hình ảnh \S+\.png không hiển thị được trên Zalo: .*", chart.text)
