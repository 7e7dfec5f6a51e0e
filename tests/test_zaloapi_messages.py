"""Sending on the local Zalo server over HTTP: sendMessage (1 to 2000 characters), sendPhoto,
sendSticker, sendChatAction (typing only), who may be written to (only people who wrote first), and
what the user side reads back."""

from __future__ import annotations

import pytest

from tests.fixtures.zaloapi import ZALO_TOKEN, zalo, zalo_bot, zalo_users  # noqa: F401  (fixtures)


@pytest.fixture
async def user(zalo_users):
    uid = await zalo_users.create_user("Nguyễn Văn An")
    await zalo_users.send_text(uid, "xin chào")
    return uid


async def test_a_sent_message_answers_its_id_and_date_and_reaches_the_user(zalo_bot, zalo_users, user, clock):
    result = await zalo_bot.ok("sendMessage", chat_id=user, text="Chào đồng chí")
    assert set(result) == {"message_id", "date"}
    assert len(result["message_id"]) == 20 and int(result["message_id"], 16) >= 0
    assert result["date"] == int(clock.now().timestamp() * 1000)
    [message] = await zalo_users.messages(user)
    assert (message.message_id, message.kind, message.text, message.index) == (result["message_id"], "text",
                                                                               "Chào đồng chí", 0)


@pytest.mark.parametrize("how", ["json", "form", "query"])
async def test_parameters_come_as_json_form_or_query(zalo_bot, zalo_users, user, how):
    status, body = await zalo_bot.call("sendMessage", how=how, chat_id=user, text=f"by {how}")
    assert (status, body["ok"]) == (200, True)
    assert [m.text for m in await zalo_users.messages(user)] == [f"by {how}"]


async def test_text_of_2000_characters_is_sent_and_2001_refused(zalo_bot, zalo_users, user, zalo):
    zalo.limits.enabled = False
    await zalo_bot.ok("sendMessage", chat_id=user, text="ă" * 2000)
    status, body = await zalo_bot.call("sendMessage", chat_id=user, text="ă" * 2001)
    assert (status, body["ok"], body["error_code"]) == (400, False, 400)
    assert "2000" in body["description"]
    assert [len(m.text) for m in await zalo_users.messages(user)] == [2000]


@pytest.mark.parametrize("text", ["", "   "])
async def test_an_empty_text_is_refused(zalo_bot, zalo_users, user, text):
    status, body = await zalo_bot.call("sendMessage", chat_id=user, text=text)
    assert (status, body["error_code"], body["description"]) == (400, 400, "Bad Request: text is empty")
    assert await zalo_users.messages(user) == []


async def test_the_bot_cannot_write_to_someone_who_never_wrote(zalo_bot, zalo_users, zalo):
    silent = await zalo_users.create_user("Trần Thị Bình")
    status, body = await zalo_bot.call("sendMessage", chat_id=silent, text="Chào")
    assert (status, body["error_code"]) == (403, 403)
    assert body["description"] == "Forbidden: a bot can write only to people who wrote to it first"
    assert await zalo_users.messages(silent) == []
    await zalo_users.send_text(silent, "chào bot")
    await zalo_bot.ok("sendMessage", chat_id=silent, text="Chào")
    assert zalo.stats(ZALO_TOKEN)["forbidden"] == 1


async def test_an_unknown_or_missing_chat_id_is_a_bad_request(zalo_bot):
    assert (await zalo_bot.call("sendMessage", chat_id="ffffffffffffffffffff", text="x"))[1]["description"] == \
        "Bad Request: chat not found"
    status, body = await zalo_bot.call("sendMessage", text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
