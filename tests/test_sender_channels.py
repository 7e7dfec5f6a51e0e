"""The outbox sender with two channels, against the project's local Bot API server on a real SQLite file. A
second token on the same server stands in for the Zalo channel's bot (the server keeps each token's chats
and flood control apart): each row goes through its own platform's bot and that token's budget; rows of a
platform without a channel wait, pending; a 429 on one channel slows that channel only."""

from __future__ import annotations

import logging

import pytest
import telegram
from telegram.request import HTTPXRequest

from bot.core.config import Config
from bot.core.context import AppContext
from bot.delivery.sender import Sender, drain
from bot.sandbox.localapi import LocalApiClient
from bot.delivery.http import tls_context
from storage import accounts, codec, outbox
from storage.outbox import OutgoingMessage
from tests.fixtures.localapi import LOCALAPI_TOKEN

OTHER_TOKEN = "654321:OTHER-CHANNEL-TOKEN"


@pytest.fixture
async def other_client(localapi):
    async with LocalApiClient(localapi.user_url, OTHER_TOKEN) as client:
        yield client


@pytest.fixture
async def other_bot(localapi):
    """The "Zalo" channel's bot: another token on the same local server."""
    bot = telegram.Bot(OTHER_TOKEN, base_url=localapi.base_url, base_file_url=localapi.base_file_url,
                       request=HTTPXRequest(connection_pool_size=16, httpx_kwargs={"verify": tls_context()}))
    async with bot:
        yield bot


def make_ctx(db, clock) -> AppContext:
    return AppContext(config=Config(), db=db, clock=clock)


def row(platform: str, chat_id: int, text: str) -> OutgoingMessage:
    return OutgoingMessage(kind="notice", chat_id=str(chat_id), payload={"text": text}, platform=platform,
                           dedup_key=f"{platform}:{chat_id}:{text}")


async def queue(ctx, messages) -> None:
    async with ctx.db.transaction() as conn:
        await outbox.enqueue(conn, messages, at=codec.instant(ctx.clock.now()))


async def statuses(db) -> dict[tuple[str, str], str]:
    return {(r["platform"], r["chat_id"]): r["status"]
            for r in await db.fetchall("SELECT platform, chat_id, status FROM outbox ORDER BY id")}


async def test_rows_of_a_platform_without_a_channel_stay_pending_with_a_warning(db, clock, localapi,
                                                                              localapi_client, localapi_bot, caplog):
    ctx = make_ctx(db, clock)
    await localapi_client.create_user(7001, "Telegram", started=True)
    await queue(ctx, [row(accounts.TELEGRAM, 7001, "Qua Telegram"), row(accounts.ZALO, 42, "Chờ Zalo")])
    with caplog.at_level(logging.WARNING, logger="bot.delivery.sender"):
        report = await drain(localapi_bot, ctx)   # a command's drain has Telegram only; it does not wait for Zalo
    assert report.counts["sent"] == 1 and report.counts["failed"] == 0
    assert await statuses(db) == {("telegram", "7001"): "sent", ("zalo", "42"): "pending"}
    pending = (await db.fetchone("SELECT attempts FROM outbox WHERE platform = 'zalo'"))["attempts"]
    assert pending == 0   # never claimed: nothing counted against it
    assert "1 message(s) for zalo wait: no zalo channel is configured" in caplog.text
    assert [m.text for m in await localapi_client.messages(7001)] == ["Qua Telegram"]


async def test_each_row_goes_through_the_bot_of_its_platform(db, clock, localapi, localapi_client, localapi_bot,
                                                            other_client, other_bot):
    ctx = make_ctx(db, clock)
    for user_id in (7001, 7002):
        await localapi_client.create_user(user_id, f"T {user_id}", started=True)
        await other_client.create_user(user_id, f"Z {user_id}", started=True)
    await queue(ctx, [row(accounts.TELEGRAM, 7001, "T1"), row(accounts.ZALO, 7001, "Z1"),
                      row(accounts.ZALO, 7002, "Z2")])
    channels = {}
    sender = Sender(localapi_bot, ctx, channels=lambda: channels)
    assert sender.lock.acquire()
    try:
        await sender.send_due()
        assert await statuses(db) == {("telegram", "7001"): "sent", ("zalo", "7001"): "pending",
                                      ("zalo", "7002"): "pending"}
        channels[accounts.ZALO] = other_bot   # the wiring adds the channel: the next pass uses it
        await sender.send_due()
    finally:
        sender.lock.release()
    assert set((await statuses(db)).values()) == {"sent"}
    assert [m.text for m in await localapi_client.messages(7001)] == ["T1"]
    assert [m.text for m in await other_client.messages(7001)] == ["Z1"]
    assert [m.text for m in await other_client.messages(7002)] == ["Z2"]
    assert await localapi_client.messages(7002) == []
    # Each channel's token has its own budget; Zalo's figures are [zalo]'s.
    zalo_budget = sender.budget_of(accounts.ZALO, other_bot)
    assert zalo_budget is not sender.budget and zalo_budget.config == ctx.config.pacing_for(accounts.ZALO)
    assert zalo_budget.granted["bulk"] == 2 and sender.budget.granted["bulk"] == 1


async def test_a_429_on_one_channel_slows_that_channel_only(db, clock, localapi, localapi_client, localapi_bot,
                                                           other_client, other_bot):
    localapi.limits.global_count = 2   # per token: 2 messages in any second
    ctx = make_ctx(db, clock)
    ctx.config.zalo.overall_per_second = 100.0   # Zalo's pace set too high: its server answers 429
    users = list(range(7101, 7107))
    for user_id in users:
        await localapi_client.create_user(user_id, f"T {user_id}", started=True)
        await other_client.create_user(user_id, f"Z {user_id}", started=True)
    await queue(ctx, [row(accounts.ZALO, u, "Zalo") for u in users] + [row(accounts.TELEGRAM, u, "Telegram")
                                                                       for u in users[:2]])
    sender = Sender(localapi_bot, ctx, channels=lambda: {accounts.ZALO: other_bot})
    assert sender.lock.acquire()
    try:
        await sender.send_due()
    finally:
        sender.lock.release()
    assert set((await statuses(db)).values()) == {"sent"}
    assert localapi.stats(OTHER_TOKEN)["rate_limited"] > 0 and sender.counts["rate_limited"] > 0
    assert localapi.stats(LOCALAPI_TOKEN)["rate_limited"] == 0
    zalo_budget = sender.budget_of(accounts.ZALO, other_bot)
    assert zalo_budget._slowdown > 1.0 and zalo_budget._paused_until > 0   # Zalo waited and slowed down …
    assert sender.budget._slowdown == 1.0 and sender.budget._paused_until == 0   # … Telegram did not
    for user_id in users:
        assert [m.text for m in await other_client.messages(user_id)] == ["Zalo"]
