"""Sending on the local Zalo server over HTTP: sendMessage (1 to 2000 characters), sendPhoto,
sendSticker, sendChatAction (typing only), who may be written to (only people who wrote first), and
what the user side reads back."""

from __future__ import annotations

import asyncio

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


async def test_a_photo_by_url_with_its_caption_and_a_sticker_reach_the_user_in_order(zalo, zalo_bot, zalo_users, user):
    zalo.limits.enabled = False
    photo = await zalo_bot.ok("sendPhoto", chat_id=user, photo="https://placehold.co/600x400", caption="Lịch họp")
    sticker = await zalo_bot.ok("sendSticker", chat_id=user, sticker="0e078a2fb66a5f34067b")
    await zalo_bot.ok("sendMessage", chat_id=user, text="Hết")
    messages = await zalo_users.messages(user)
    assert [(m.message_id, m.kind, m.index) for m in messages] == [
        (photo["message_id"], "photo", 0), (sticker["message_id"], "sticker", 1), (messages[2].message_id, "text", 2)]
    assert (messages[0].photo, messages[0].caption, messages[0].shown) == ("https://placehold.co/600x400",
                                                                           "Lịch họp", "Lịch họp")
    assert messages[1].sticker == "0e078a2fb66a5f34067b"


async def test_a_photo_must_be_a_url_and_its_caption_at_most_2000(zalo_bot, zalo_users, user):
    status, body = await zalo_bot.call("sendPhoto", chat_id=user, photo="AgAD-file-id")
    assert (status, body["description"]) == (400, "Bad Request: photo must be an http(s) URL")
    status, body = await zalo_bot.call("sendPhoto", chat_id=user, photo="https://x.invalid/a.png", caption="c" * 2001)
    assert (status, body["description"]) == (400, "Bad Request: caption must be at most 2000 characters")
    assert (await zalo_bot.call("sendSticker", chat_id=user))[1]["description"] == "Bad Request: sticker is empty"
    assert await zalo_users.messages(user) == []


async def test_chat_action_typing_only_and_it_answers_ok_without_a_result(zalo_bot, zalo_users, user):
    assert await zalo_bot.call("sendChatAction", chat_id=user, action="typing") == (200, {"ok": True})
    status, body = await zalo_bot.call("sendChatAction", chat_id=user, action="upload_photo")
    assert (status, body["description"]) == (400, "Bad Request: action must be typing")
    assert [u["typing"] for u in await zalo_users.users()] == [1]
    assert await zalo_users.messages(user) == []


async def test_wait_returns_the_bot_messages_from_a_number_on_as_soon_as_one_is_sent(zalo, zalo_bot, zalo_users, user):
    zalo.limits.enabled = False
    waiting = asyncio.ensure_future(zalo_users.wait(user, since=0, timeout=10))
    sent = await zalo_bot.ok("sendMessage", chat_id=user, text="Đây")
    [message] = await asyncio.wait_for(waiting, 5)
    assert (message.message_id, message.text) == (sent["message_id"], "Đây")
    await zalo_bot.ok("sendMessage", chat_id=user, text="Nữa")
    assert [m.text for m in await zalo_users.wait(user, since=1, timeout=1)] == ["Nữa"]


async def test_next_message_is_none_when_the_bot_sends_nothing_within_its_timeout(zalo_users, user):
    assert await zalo_users.next_message(user, timeout=0.1) is None
