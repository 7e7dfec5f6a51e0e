"""The user side of the local Bot API server through `LocalApiClient`: acting as users and reading what
their chats show, with a real python-telegram-bot `Bot` on the other end."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox.localapi import LocalApiError

USER = 901


@pytest.fixture
async def user(localapi_client):
    await localapi_client.create_user(USER, "Tâm", username="tam_hn", language_code="vi", phone_number="0912345678")
    return USER


async def test_wait_returns_as_soon_as_the_bot_writes(localapi_bot, localapi_client, user):
    await localapi_client.send_text(user, "/start")
    version = await localapi_client.version(user)
    waiting = asyncio.create_task(localapi_client.wait(user, version, timeout=10))
    started = time.monotonic()
    await localapi_bot.send_message(user, "Chào đồng chí Tâm")
    new_version, changed = await asyncio.wait_for(waiting, 5)
    assert time.monotonic() - started < 1.0
    assert new_version == version + 1
    assert [(m.text, m.from_bot) for m in changed] == [("Chào đồng chí Tâm", True)]


async def test_wait_times_out_with_the_same_version(localapi_client, user):
    started = time.monotonic()
    assert await localapi_client.wait(user, 0, timeout=0.3) == (0, [])
    assert time.monotonic() - started >= 0.25


async def test_versions_count_sends_edits_deletes_and_answers(localapi_bot, localapi_client, user):
    await localapi_client.send_text(user, "hi")
    assert await localapi_client.version(user) == 0  # the user's own messages do not count
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có mặt", callback_data="present:1")]])
    sent = await localapi_bot.send_message(user, "Điểm danh", reply_markup=markup)
    await localapi_bot.edit_message_text("Điểm danh (đã mở)", chat_id=user, message_id=sent.message_id,
                                         reply_markup=markup)
    query_id = await localapi_client.press_button(user, sent.message_id, "present:1")
    await localapi_bot.answer_callback_query(query_id, text="Đã ghi nhận")
    await localapi_bot.delete_message(user, sent.message_id)
    assert await localapi_client.version(user) == 4
    _, changed = await localapi_client.wait(user, 1, timeout=1)
    assert [(m.text, m.edited, m.deleted) for m in changed] == [("Điểm danh (đã mở)", True, True)]
    assert await localapi_client.callback_answers(user) == [
        {"callback_query_id": query_id, "text": "Đã ghi nhận", "show_alert": False, "url": None}]


async def test_messages_show_both_sides_in_their_current_state(localapi_bot, localapi_client, user):
    await localapi_client.send_text(user, "/start")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Xem", callback_data="view:9"),
                                    InlineKeyboardButton("Trang web", url="https://example.vn")]])
    await localapi_bot.send_message(user, "Menu", reply_markup=markup)
    [mine, menu] = await localapi_client.messages(user)
    assert (mine.from_bot, mine.kind, mine.text, mine.entities[0]["type"]) == (False, "text", "/start", "bot_command")
    assert menu.buttons == [[("Xem", "view:9"), ("Trang web", "https://example.vn")]]
    assert menu.callback_data("Xem") == "view:9" and menu.callback_data("view:9") == "view:9"
    assert menu.callback_data("Không có") is None


async def test_the_bot_gets_a_pressed_button_with_the_current_message(localapi_bot, localapi_client, user):
    await localapi_client.send_text(user, "/start")
    sent = await localapi_bot.send_message(user, "Chọn", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", callback_data="a")]]))
    await localapi_bot.edit_message_text("Chọn lại", chat_id=user, message_id=sent.message_id, reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("B", callback_data="b")]]))
    query_id = await localapi_client.press_button(user, sent.message_id, "a")  # no longer on the message: still sent
    updates = await localapi_bot.get_updates()
    query = updates[-1].callback_query
    assert (query.id, query.data, query.from_user.username) == (query_id, "a", "tam_hn")
    assert query.message.text == "Chọn lại" and query.message.reply_markup.inline_keyboard[0][0].text == "B"


async def test_contact_document_and_photo_reach_the_bot(localapi_bot, localapi_client, user):
    await localapi_client.share_contact(user)
    await localapi_client.share_contact(user, "0987654321", contact_user_id=None, first_name="Người khác")
    await localapi_client.send_document(user, "danh-sach.xlsx", b"PK\x03\x04 sheet", caption="Danh sách")
    await localapi_client.send_photo(user, b"\xff\xd8 not really a jpeg", caption="Ảnh họp")
    own, card, document, photo = [u.message for u in await localapi_bot.get_updates()]
    assert (own.contact.phone_number, own.contact.user_id, own.contact.first_name) == ("0912345678", USER, "Tâm")
    assert (card.contact.phone_number, card.contact.user_id) == ("0987654321", None)
    assert (document.document.file_name, document.caption) == ("danh-sach.xlsx", "Danh sách")
    downloaded = await (await localapi_bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"PK\x03\x04 sheet"
    assert photo.caption == "Ảnh họp" and await localapi_client.file(photo.photo[-1].file_id) == b"\xff\xd8 not really a jpeg"
    kinds = [(m.kind, m.from_bot) for m in await localapi_client.messages(user)]
    assert kinds == [("contact", False), ("contact", False), ("document", False), ("photo", False)]


async def test_users_and_started_flag(localapi_client, user):
    [described] = await localapi_client.users()
    assert (described["id"], described["started"], described["phone_number"]) == (USER, False, "0912345678")
    await localapi_client.send_text(user, "xin chào")
    [described] = await localapi_client.users()
    assert described["started"] is True


async def test_user_side_errors(localapi_client, user):
    with pytest.raises(LocalApiError, match="unknown user 12345"):
        await localapi_client.send_text(12345, "hi")
    with pytest.raises(LocalApiError, match="unknown file_id"):
        await localapi_client.file("nope")
