"""Getting updates from the local Bot API server: long polling (offset, limit, timeout, one poller at a
time) and webhooks (delivery with and without the secret token, retries, Conflict while set), through
a real python-telegram-bot `Bot` and `Updater`."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
import telegram
from telegram import Update
from telegram.error import BadRequest, Conflict
from telegram.ext import Updater

from bot.sandbox.localapi import LocalBotApi
from tests.fixtures.localapi import LOCALAPI_TOKEN
from tests.fixtures.receiver import Receiver

USER = 801


@pytest.fixture
async def user(localapi_client):
    await localapi_client.create_user(USER, "Hoa", started=True)
    return USER


async def until(predicate, timeout: float = 5.0) -> None:
    """Waits for a condition (checked every few milliseconds), failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_long_poll_returns_as_soon_as_an_update_arrives(localapi, localapi_bot, localapi_client, user):
    state = localapi.bot(LOCALAPI_TOKEN)
    polling = asyncio.create_task(localapi_bot.get_updates(timeout=10))
    await until(lambda: state.poller == 1)
    started = time.monotonic()
    await localapi_client.send_text(user, "/start")
    updates = await asyncio.wait_for(polling, 5)
    assert time.monotonic() - started < 1.0
    assert [u.message.text for u in updates] == ["/start"]
    assert updates[0].message.entities[0].type == "bot_command"


async def test_long_poll_returns_empty_after_its_timeout(localapi_bot):
    started = time.monotonic()
    assert await localapi_bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3.0


async def test_offset_confirms_and_limit_caps(localapi, localapi_bot, localapi_client, user):
    for text in ("một", "hai", "ba"):
        await localapi_client.send_text(user, text)
    assert [u.update_id for u in await localapi_bot.get_updates()] == [1, 2, 3]
    assert [u.update_id for u in await localapi_bot.get_updates(limit=1)] == [1]
    assert [u.message.text for u in await localapi_bot.get_updates(offset=2)] == ["hai", "ba"]
    assert await localapi_bot.get_updates(offset=4) == ()
    assert not localapi.bot(LOCALAPI_TOKEN).updates
    await localapi_client.send_text(user, "bốn")
    assert [u.update_id for u in await localapi_bot.get_updates(offset=4)] == [4]


async def test_blocking_and_unblocking_send_my_chat_member_updates(localapi_bot, localapi_client, user):
    await localapi_client.block(user)
    await localapi_client.block(user)      # no change: no update
    await localapi_client.unblock(user)
    updates = await localapi_bot.get_updates(allowed_updates=Update.ALL_TYPES)
    changes = [(u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status) for u in updates]
    assert changes == [("member", "kicked"), ("kicked", "member")]
    assert updates[0].my_chat_member.from_user.id == user and updates[0].my_chat_member.chat.type == "private"


async def test_fetched_says_when_the_bot_has_taken_an_update(localapi_bot, localapi_client, user):
    await localapi_client.send_text(user, "một")
    assert (await localapi_client.fetched(timeout=0)) == {"update_id": 1, "fetched": False, "confirmed": 0}
    await localapi_bot.get_updates()                 # returned, not yet confirmed
    assert not (await localapi_client.fetched(timeout=0))["fetched"]
    waiting = asyncio.create_task(localapi_client.fetched(timeout=5))
    await localapi_bot.get_updates(offset=2, timeout=0)   # the next poll's offset confirms it
    assert (await waiting) == {"update_id": 1, "fetched": True, "confirmed": 1}


async def test_a_newer_poll_ends_the_older_one_with_conflict(localapi, localapi_bot):
    state = localapi.bot(LOCALAPI_TOKEN)
    older = asyncio.create_task(localapi_bot.get_updates(timeout=10))
    await until(lambda: state.poller == 1)
    assert await localapi_bot.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, 5)


async def test_webhook_delivery_with_secret_token_and_conflict_while_set(localapi, localapi_bot, localapi_client, user):
    async with Receiver() as receiver:
        assert await localapi_bot.set_webhook(receiver.url, secret_token="s3cr3t_Token-1") is True
        info = await localapi_bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (receiver.url, 0)
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await localapi_bot.get_updates()
        await localapi_client.send_text(user, "qua webhook")
        headers, body = await receiver.next()
        assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t_Token-1"
        assert headers["Content-Type"] == "application/json"
        assert Update.de_json(body, localapi_bot).message.text == "qua webhook"
        await until(lambda: not localapi.bot(LOCALAPI_TOKEN).updates)  # confirmed once the receiver answered
        assert (await localapi_bot.get_webhook_info()).pending_update_count == 0


async def test_webhook_delivery_without_secret_token(localapi_bot, localapi_client, user):
    async with Receiver() as receiver:
        await localapi_bot.set_webhook(receiver.url)
        query_id = await localapi_client.press_button(user, 1, "anything")
        headers, body = await receiver.next()
        assert "X-Telegram-Bot-Api-Secret-Token" not in headers
        assert body["callback_query"]["id"] == query_id


async def test_bad_secret_token_is_refused(localapi_bot):
    with pytest.raises(BadRequest, match="Secret token contains unallowed characters"):
        await localapi_bot.set_webhook("http://127.0.0.1:9/hook", secret_token="not allowed!")


async def test_failed_deliveries_are_retried_in_order(localapi_bot, localapi_client, user):
    async with Receiver(fail_first=2) as receiver:
        await localapi_bot.set_webhook(receiver.url)
        await localapi_client.send_text(user, "một")
        await localapi_client.send_text(user, "hai")
        texts = [(await receiver.next())[1]["message"]["text"] for _ in range(2)]
        assert texts == ["một", "hai"] and receiver.attempts == 4
        info = await localapi_bot.get_webhook_info()
        assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_updates_wait_while_the_webhook_is_down_then_poll_after_delete(localapi, localapi_bot, localapi_client, user):
    await localapi_bot.set_webhook(f"http://127.0.0.1:{free_port()}/nobody")
    await localapi_client.send_text(user, "chờ")
    state = localapi.bot(LOCALAPI_TOKEN)
    await until(lambda: state.webhook.last_error_message is not None)
    assert (await localapi_bot.get_webhook_info()).pending_update_count == 1
    assert await localapi_bot.delete_webhook() is True
    assert [u.message.text for u in await localapi_bot.get_updates()] == ["chờ"]
    await localapi_bot.set_webhook(f"http://127.0.0.1:{free_port()}/nobody")
    await localapi_bot.delete_webhook(drop_pending_updates=True)
    assert await localapi_bot.get_updates() == ()


async def test_ptb_updater_polls(localapi_bot, localapi_client, user):
    queue: asyncio.Queue = asyncio.Queue()
    updater = Updater(localapi_bot, queue)
    async with updater:
        await updater.start_polling(poll_interval=0, timeout=5)
        await localapi_client.send_text(user, "/start")
        update = await asyncio.wait_for(queue.get(), 5)
        await updater.stop()
    assert update.message.text == "/start"


async def test_ptb_updater_webhook_takes_our_deliveries(localapi_bot, localapi_client, user):
    queue: asyncio.Queue = asyncio.Queue()
    updater = Updater(localapi_bot, queue)
    port = free_port()
    async with updater:
        await updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook", secret_token="abc_123",
                                    webhook_url=f"http://127.0.0.1:{port}/hook")
        await localapi_client.send_text(user, "/start")
        update = await asyncio.wait_for(queue.get(), 5)
        await updater.stop()
    assert update.message.text == "/start"


async def test_stopping_the_server_answers_a_waiting_long_poll(clock):
    server = LocalBotApi(clock=clock)
    await server.start()
    async with telegram.Bot("5:STOP", base_url=server.base_url) as bot:
        polling = asyncio.create_task(bot.get_updates(timeout=30))
        await until(lambda: server.bot("5:STOP").poller == 1)
        await server.stop()
        assert await asyncio.wait_for(polling, 3) == ()
