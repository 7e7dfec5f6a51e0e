"""The outbox sender (bot/delivery/sender.py) against the project's local Bot API server, on a real SQLite file."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
import telegram

from bot.delivery import sender as sender_module
from bot.delivery.http import AiohttpRequest
from bot.core.config import Config
from bot.core.context import AppContext
from bot.delivery.sender import DrainReport, Sender, drain, plan
from bot.sandbox.localapi import Network
from bot.sandbox.stage import free_port
from storage import accounts, codec, outbox
from storage.outbox import OutgoingMessage
from tests.fixtures.localapi import LOCALAPI_TOKEN


def make_ctx(db, clock, **sender_settings) -> AppContext:
    config = Config()
    for key, value in sender_settings.items():
        setattr(config.sender, key, value)
    return AppContext(config=config, db=db, clock=clock)


async def queue(ctx, messages) -> None:
    async with ctx.db.transaction() as conn:
        await outbox.enqueue(conn, messages, at=codec.instant(ctx.clock.now()))


async def make_users(client, count: int, first: int = 5000) -> list[int]:
    ids = list(range(first, first + count))
    for user_id in ids:
        await client.create_user(user_id, f"User {user_id}", started=True)
    return ids


def text_message(chat_id, text="Xin chào", **extra) -> OutgoingMessage:
    return OutgoingMessage(kind="notice", chat_id=str(chat_id), payload={"text": text, **extra.pop("payload", {})},
                           **extra)


async def statuses(db) -> dict[int, str]:
    return {row["id"]: row["status"] for row in await db.fetchall("SELECT id, status FROM outbox ORDER BY id")}


# --- Rendering (plain) ---------------------------------------------------------------------------------


def test_plan_splits_long_text_then_attachments_with_buttons_on_the_last():
    paragraph = "Nội dung hướng dẫn. " * 100   # 2000 characters
    payload = {"text": "\n\n".join([paragraph] * 5), "parse_mode": "HTML",
               "attachments": [{"kind": "document", "path": "/x/a.pdf"}, {"kind": "photo", "file_id": "F"}],
               "buttons": [[{"text": "Đã nhận", "callback_data": "gd:ack:1"}]]}
    parts = plan(payload)
    assert [p.kind for p in parts] == ["text", "text", "text", "document", "photo"]
    assert all(p.buttons is None for p in parts[:-1]) and parts[-1].buttons == payload["buttons"]
    assert plan({"text": "  \n "}) == []


def test_plan_moves_a_caption_too_long_into_a_message_before_the_file():
    parts = plan({"attachments": [{"kind": "document", "path": "/x", "caption": "c" * 1500}]})
    assert [(p.kind, len(p.text or "")) for p in parts] == [("text", 1500), ("document", 0)]


# --- Delivery ------------------------------------------------------------------------------------------


async def test_drain_sends_each_due_row_once_and_records_it(db, clock, localapi, localapi_client, localapi_bot):
    ctx = make_ctx(db, clock)
    users = await make_users(localapi_client, 3)
    later = codec.instant(clock.now() + timedelta(hours=1))
    await queue(ctx, [text_message(u, f"Tin {u}") for u in users] + [text_message(users[0], "Sau", not_before=later)])
    report = await drain(localapi_bot, ctx)
    assert report.ran and report.counts["sent"] == 3
    for user_id in users:
        assert [m.text for m in await localapi_client.messages(user_id)] == [f"Tin {user_id}"]
    rows = await db.fetchall("SELECT status, message_id, sent_at, attempts FROM outbox ORDER BY id")
    assert [r["status"] for r in rows] == ["sent", "sent", "sent", "pending"]
    assert all(r["message_id"] and r["sent_at"] for r in rows[:3])
    # Nothing again on a second run; the scheduled one once its time has come.
    assert (await drain(localapi_bot, ctx)).counts["sent"] == 0
    clock.advance(timedelta(hours=1))
    assert (await drain(localapi_bot, ctx)).counts["sent"] == 1
    assert [m.text for m in await localapi_client.messages(users[0])] == [f"Tin {users[0]}", "Sau"]
    assert localapi.stats(LOCALAPI_TOKEN)["rate_limited"] == 0


async def test_one_second_per_chat_and_the_overall_rate_without_a_429(db, clock, localapi, localapi_client,
                                                                      localapi_bot):
    # A sped-up Telegram (3 per chat in any 0.6 s, 40 in any second), counting strictly on arrival: a
    # sender that did not pace itself would get 429s at once.
    localapi.limits.per_chat_count, localapi.limits.per_chat_window = 3, 0.6
    localapi.limits.global_count = 40
    ctx = make_ctx(db, clock, per_chat_interval_seconds=0.2, overall_per_second=40.0)
    users = await make_users(localapi_client, 20)
    await queue(ctx, [text_message(users[0], f"Phần {n}") for n in range(4)] +
                [text_message(u) for u in users[1:]])
    started = time.monotonic()
    report = await drain(localapi_bot, ctx)
    elapsed = time.monotonic() - started
    assert report.counts["sent"] == 23
    assert localapi.stats(LOCALAPI_TOKEN)["rate_limited"] == 0
    assert elapsed >= 3 * 0.2 and elapsed >= 22 / 40
    assert [m.text for m in await localapi_client.messages(users[0])] == [f"Phần {n}" for n in range(4)]


async def test_as_few_sends_under_way_as_keep_the_pace(db, clock, localapi, localapi_client, localapi_bot):
    """Each send under way at a kill may arrive twice after the restart (bot/delivery/in_flight.py): on a
    quick network one at a time is enough for the pace, so a kill costs at most one duplicate; on a round
    trip of several turns, the sender keeps as many under way as the pace needs."""
    ctx = make_ctx(db, clock, overall_per_second=25.0, network_jitter_seconds=0.02, max_in_flight=8)
    users = await make_users(localapi_client, 60)
    await queue(ctx, [text_message(u, "Gần") for u in users[:30]])
    report = await drain(localapi_bot, ctx)
    assert report.counts["sent"] == 30 and report.most_in_flight == 1

    localapi.network = Network(latency_min=0.120, latency_max=0.140)   # a round trip of 3 turns of 41 ms
    await queue(ctx, [text_message(u, "Xa") for u in users[30:]])
    started = time.monotonic()
    report = await drain(localapi_bot, ctx)
    elapsed = time.monotonic() - started
    assert report.counts["sent"] == 30 and 4 <= report.most_in_flight <= 8, report.most_in_flight
    # One at a time would need 30 × 130 ms = 3.9 s; at the pace, 30 turns of 41 ms and a round trip: 1.4 s.
    assert elapsed < 2.6, elapsed
    assert localapi.stats(LOCALAPI_TOKEN)["rate_limited"] == 0


async def test_a_429_is_honoured_and_every_message_still_goes(db, clock, localapi, localapi_client, localapi_bot):
    localapi.limits.global_count = 2   # 2 in any second: tighter than the sender's pace
    ctx = make_ctx(db, clock, overall_per_second=100.0)
    users = await make_users(localapi_client, 8)
    await queue(ctx, [text_message(u, "Một lần") for u in users])
    report = await drain(localapi_bot, ctx)
    assert report.counts["rate_limited"] > 0 and localapi.stats(LOCALAPI_TOKEN)["rate_limited"] > 0
    assert report.counts["sent"] == 8
    for user_id in users:
        assert [m.text for m in await localapi_client.messages(user_id)] == ["Một lần"]
    assert set((await statuses(db)).values()) == {"sent"}


async def test_forbidden_marks_the_recipient_unreachable_and_bad_request_fails(db, clock, localapi,
                                                                              localapi_client, localapi_bot):
    ctx = make_ctx(db, clock)
    blocked, fine = await make_users(localapi_client, 2)
    await localapi_client.block(blocked)
    now = codec.instant(clock.now())
    await db.conn.execute("INSERT INTO people (full_name, name_key, created_at, updated_at) VALUES ('A', 'a', ?, ?)",
                          (now, now))
    account = await accounts.link(db, external_id=blocked, chat_id=blocked, person_id=1, at=now, platform=accounts.TELEGRAM)
    await queue(ctx, [text_message(blocked, person_id=1), text_message(fine, "<b>không đóng", payload={"parse_mode": "HTML"})])
    report = await drain(localapi_bot, ctx)
    rows = await db.fetchall("SELECT status, error FROM outbox ORDER BY id")
    assert [r["status"] for r in rows] == ["unreachable", "failed"]
    assert rows[1]["error"]   # Telegram's description
    assert (report.counts["unreachable"], report.counts["failed"]) == (1, 1)
    assert (await accounts.get_by_external(db, account.external_id, platform=accounts.TELEGRAM)).unreachable


async def test_network_errors_are_retried_with_back_off_then_failed(db, clock):
    ctx = make_ctx(db, clock, max_attempts=3, retry_base_seconds=10.0)
    nowhere = f"http://127.0.0.1:{free_port()}/bot"
    bot = telegram.Bot(LOCALAPI_TOKEN, base_url=nowhere, request=AiohttpRequest(connect_timeout=1))
    await queue(ctx, [text_message(42)])
    for attempt, wait in ((1, 10), (2, 20)):
        await drain(bot, ctx, until_empty=False)
        row = await db.fetchone("SELECT status, attempts, not_before, error FROM outbox")
        assert (row["status"], row["attempts"]) == ("pending", attempt) and "NetworkError" in row["error"]
        assert codec.parse_instant(row["not_before"]) == clock.now() + timedelta(seconds=wait)
        await drain(bot, ctx, until_empty=False)   # not due yet: untouched
        assert (await db.fetchone("SELECT attempts FROM outbox"))["attempts"] == attempt
        clock.advance(timedelta(seconds=wait))
    await drain(bot, ctx, until_empty=False)
    row = await db.fetchone("SELECT status, attempts FROM outbox")
    assert (row["status"], row["attempts"]) == ("failed", 3)


async def test_a_file_is_uploaded_once_for_every_recipient(db, clock, localapi, localapi_client, localapi_bot, tmp_path):
    ctx = make_ctx(db, clock, overall_per_second=200.0)
    pdf = tmp_path / "huong-dan.pdf"
    pdf.write_bytes(b"%PDF-1.4 huong dan thang 12\n" * 100)
    users = await make_users(localapi_client, 6)
    payload = {"text": "Kèm tài liệu", "attachments": [{"kind": "document", "path": str(pdf), "filename": "HD.pdf"}]}
    await queue(ctx, [OutgoingMessage("guidance", str(u), payload) for u in users])
    report = await drain(localapi_bot, ctx)
    assert report.counts["sent"] == 6 and report.counts["uploads"] == 1
    file_ids = set()
    for user_id in users:
        text, document = await localapi_client.messages(user_id)
        assert text.text == "Kèm tài liệu" and document.kind == "document" and document.filename == "HD.pdf"
        file_ids.add(document.file_id)
    assert len(file_ids) == 1
    assert await localapi_client.file(file_ids.pop()) == pdf.read_bytes()


async def test_a_long_text_goes_in_parts_and_a_restart_resumes_after_the_last_part(db, clock, localapi,
                                                                                  localapi_client, localapi_bot):
    ctx = make_ctx(db, clock, per_chat_interval_seconds=0.05)
    (user,) = await make_users(localapi_client, 1)
    paragraphs = [f"<b>Mục {n}</b>. " + "Nội dung " * 150 for n in range(1, 8)]  # ~ 9,500 characters
    await queue(ctx, [text_message(user, "\n\n".join(paragraphs), payload={"parse_mode": "HTML"})])
    await drain(localapi_bot, ctx)
    received = await localapi_client.messages(user)
    assert len(received) == 3 and received[0].text.startswith("Mục 1")
    row = await db.fetchone("SELECT status, parts_sent, message_id FROM outbox")
    assert (row["status"], row["parts_sent"], row["message_id"]) == ("sent", 3, str(received[0].message_id))
    # As if the process had died after the first part of a second such message.
    await queue(ctx, [text_message(user, "\n\n".join(paragraphs), payload={"parse_mode": "HTML"}, dedup_key="again")])
    async with db.transaction() as conn:
        await conn.execute("UPDATE outbox SET status = 'sending', parts_sent = 1 WHERE dedup_key = 'again'")
    await drain(localapi_bot, ctx)
    assert len(await localapi_client.messages(user)) == 3 + 2


async def test_rows_in_flight_at_a_crash_are_sent_again_and_one_sender_at_a_time(db, clock, localapi,
                                                                                 localapi_client, localapi_bot):
    ctx = make_ctx(db, clock)
    users = await make_users(localapi_client, 2)
    await queue(ctx, [text_message(u) for u in users])
    claimed = await outbox.claim_due(db, codec.instant(clock.now()), 10)   # then "killed"
    assert [r.status for r in claimed] == ["sending", "sending"]
    other = Sender(localapi_bot, ctx)
    assert other.lock.acquire()
    assert await drain(localapi_bot, ctx) == DrainReport(ran=False)   # someone else is the sender
    other.lock.release()
    report = await drain(localapi_bot, ctx)
    assert report.counts["sent"] == 2
    assert [len(await localapi_client.messages(u)) for u in users] == [1, 1]


class _App:
    def __init__(self, bot):
        self.bot = bot


async def test_the_background_sender_wakes_on_new_rows_and_stops_cleanly(db, clock, localapi, localapi_client,
                                                                         localapi_bot):
    ctx = make_ctx(db, clock, poll_seconds=30.0)
    ctx.config.telegram.base_url = localapi.base_url
    app = _App(localapi_bot)
    users = await make_users(localapi_client, 3)
    await sender_module.start(app, ctx)
    try:
        await queue(ctx, [text_message(u, "Ngay") for u in users])
        ctx.wake_sender()
        deadline = time.monotonic() + 5
        while set((await statuses(db)).values()) != {"sent"}:
            assert time.monotonic() < deadline, await statuses(db)
            await asyncio.sleep(0.02)
    finally:
        await sender_module.stop(app, ctx)
    assert "sender" not in ctx.extras
    # Stopped: the lock is free for a command.
    await queue(ctx, [text_message(users[0], "Sau khi dừng")])
    assert (await drain(localapi_bot, ctx)).counts["sent"] == 1


@pytest.mark.parametrize("kind", ["photo"])
async def test_a_photo_by_path(db, clock, localapi, localapi_client, localapi_bot, tmp_path, kind):
    ctx = make_ctx(db, clock)
    png = tmp_path / "anh.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00\x00\x00\x10" * 2 + b"\x08\x02\x00\x00\x00" + b"0" * 50)
    (user,) = await make_users(localapi_client, 1)
    await queue(ctx, [OutgoingMessage("notice", str(user), {"attachments": [{"kind": kind, "path": str(png),
                                                                               "caption": "Ảnh"}]})])
    await drain(localapi_bot, ctx)
    (message,) = await localapi_client.messages(user)
    assert message.kind == "photo" and message.text == "Ảnh"


# --- A time-out after the message may have reached Telegram ----------------------------------------------


def test_which_failures_may_have_reached_telegram():
    import httpx
    from telegram.error import BadRequest, NetworkError, TimedOut

    from bot.delivery.sender import may_have_arrived

    def caused(error, cause):
        error.__cause__ = cause
        return error

    request = httpx.Request("POST", "http://x")
    assert may_have_arrived(caused(TimedOut(), httpx.ReadTimeout("read", request=request)))
    assert may_have_arrived(caused(TimedOut(), httpx.WriteTimeout("write", request=request)))
    assert may_have_arrived(caused(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("x")))
    assert not may_have_arrived(caused(TimedOut(), httpx.ConnectTimeout("connect", request=request)))
    assert not may_have_arrived(caused(TimedOut("Pool timeout"), httpx.PoolTimeout("pool", request=request)))
    assert not may_have_arrived(caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")))
    assert not may_have_arrived(BadRequest("chat not found"))


async def test_a_time_out_after_the_send_is_retried_once_counted_and_logged(db, clock, localapi, localapi_client,
                                                                           caplog):
    ctx = make_ctx(db, clock, retry_base_seconds=1.0)
    users = await make_users(localapi_client, 3)
    await queue(ctx, [text_message(u, f"Tin {u}") for u in users])
    localapi.delay_answers("sendMessage", 1.0)   # the first send is done, its answer comes too late
    bot = telegram.Bot(LOCALAPI_TOKEN, base_url=localapi.base_url, request=AiohttpRequest(read_timeout=0.3))
    async with bot:
        first = await drain(bot, ctx)
        clock.advance(timedelta(seconds=2))
        second = await drain(bot, ctx)
    assert first.counts["possible_duplicates"] == 1 and first.counts["retried"] == 1
    assert first.counts["sent"] + second.counts["sent"] == 3
    assert second.counts["possible_duplicates"] == 0
    texts = {u: [m.text for m in await localapi_client.messages(u)] for u in users}
    twice = [u for u in users if len(texts[u]) == 2]
    # At least once for everyone; the one fault made one duplicate, no more.
    assert len(twice) == 1 and texts[twice[0]] == [f"Tin {twice[0]}"] * 2
    assert all(texts[u] == [f"Tin {u}"] for u in users if u not in twice)
    assert set((await statuses(db)).values()) == {"sent"}
    assert "may have reached Telegram" in caplog.text and "may arrive twice" in caplog.text
