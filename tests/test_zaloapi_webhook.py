"""Webhooks on the local Zalo server: setWebhook validates its url and secret (8 to 256 characters),
each update is POSTed as `{"ok": true, "result": update}` with `X-Bot-Api-Secret-Token`, a refused
delivery is retried, getUpdates is refused while a webhook is set, deleteWebhook brings polling back."""

from __future__ import annotations

import asyncio

import pytest

from tests.fixtures.receiver import Receiver
from tests.fixtures.zaloapi import polls, until, zalo, zalo_bot, zalo_users  # noqa: F401  (fixtures)

SECRET = "mykey-abcxyz"


async def test_each_update_is_posted_with_the_secret_header_and_then_counts_as_taken(zalo_bot, zalo_users, clock):
    async with Receiver() as receiver:
        result = await zalo_bot.ok("setWebhook", url=receiver.url, secret_token=SECRET)
        assert result == {"url": receiver.url, "updated_at": int(clock.now().timestamp() * 1000)}
        assert await zalo_bot.ok("getWebhookInfo") == result
        uid = await zalo_users.create_user("Phạm Thị Dung")
        sent = await zalo_users.send_text(uid, "chào")
        headers, body = await receiver.next()
        assert headers["X-Bot-Api-Secret-Token"] == SECRET
        assert body["ok"] is True
        assert body["result"]["event_name"] == "message.text.received"
        assert body["result"]["message"]["message_id"] == sent["message_id"]
        assert (await zalo_users.fetched(sent["update"], timeout=2))["fetched"] is True


async def test_a_refused_delivery_is_retried_until_taken(zalo_bot, zalo_users):
    async with Receiver(fail_first=2) as receiver:
        await zalo_bot.ok("setWebhook", url=receiver.url, secret_token=SECRET)
        uid = await zalo_users.create_user("An")
        await zalo_users.send_text(uid, "một")
        await zalo_users.send_text(uid, "hai")
        texts = [(await receiver.next())[1]["result"]["message"]["text"] for _ in range(2)]
        assert texts == ["một", "hai"]
        assert receiver.attempts == 4


@pytest.mark.parametrize("secret", [None, "", "short7c", "x" * 257, "has space"])
async def test_a_secret_token_must_be_8_to_256_visible_characters(zalo_bot, secret):
    params = {"url": "https://example.invalid/hook"}
    if secret is not None:
        params["secret_token"] = secret
    status, body = await zalo_bot.call("setWebhook", **params)
    assert (status, body["description"]) == (400, "Bad Request: secret_token must be 8 to 256 characters")
    assert (await zalo_bot.ok("getWebhookInfo"))["url"] == ""


@pytest.mark.parametrize("url", ["", "ftp://example.invalid/hook", "not a url"])
async def test_a_webhook_url_must_be_http_or_https(zalo_bot, url):
    status, body = await zalo_bot.call("setWebhook", url=url, secret_token=SECRET)
    assert (status, body["description"]) == (400, "Bad Request: url must be an https URL")


async def test_get_updates_is_refused_while_a_webhook_is_set_and_works_again_after_delete(zalo, zalo_bot, zalo_users,
                                                                                          clock):
    uid = await zalo_users.create_user("An")
    waiting = asyncio.ensure_future(zalo_bot.call("getUpdates", timeout=10))
    await until(lambda: polls(zalo) == 1)
    async with Receiver(fail_first=1000) as receiver:   # takes nothing: the update stays queued
        await zalo_bot.ok("setWebhook", url=receiver.url, secret_token=SECRET)
        status, body = await asyncio.wait_for(waiting, 5)
        assert (status, body["error_code"]) == (400, 400)
        assert "webhook" in body["description"]
        await zalo_users.send_text(uid, "còn đó không")
        assert (await zalo_bot.call("getUpdates", timeout=0))[0] == 400
        assert await zalo_bot.ok("deleteWebhook") == {"url": "", "updated_at": int(clock.now().timestamp() * 1000)}
    update = await zalo_bot.ok("getUpdates", timeout=1)
    assert update["message"]["text"] == "còn đó không"
