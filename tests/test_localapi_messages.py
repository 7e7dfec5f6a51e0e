"""Sending, editing and deleting messages on the local Bot API server, checked through a real
python-telegram-bot `Bot` (shapes, and each refusal as the PTB exception Telegram's answer gives)."""

from __future__ import annotations

import asyncio
import struct
import zlib
from datetime import timedelta

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, MessageEntity, ReplyKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from tests.fixtures.localapi import LOCALAPI_TOKEN

USER = 501
# PTB 22 warns that RetryAfter.retry_after will become a timedelta; `seconds()` below takes either.
retry_after_warning = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def user(localapi_client):
    await localapi_client.create_user(USER, "Nguyễn Văn", last_name="An", language_code="vi", started=True)
    return USER


def keyboard(*rows):
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows])


def seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def test_send_message_returns_a_full_message(localapi_bot, localapi_client, user, clock):
    sent = await localapi_bot.send_message(user, "<b>Chào</b> đồng chí", parse_mode=ParseMode.HTML,
                                           reply_markup=keyboard([("Có", "yes:1"), ("Không", "no:1")]))
    assert sent.message_id == 1
    assert sent.text == "Chào đồng chí" and sent.text_html == "<b>Chào</b> đồng chí"
    assert sent.chat.id == user and sent.chat.type == "private" and sent.chat.first_name == "Nguyễn Văn"
    assert sent.from_user.id == 123456 and sent.from_user.is_bot
    assert sent.date == clock.now()
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "no:1"
    [seen] = await localapi_client.messages(user)
    assert (seen.from_bot, seen.text, seen.buttons, seen.parse_mode) == (
        True, "Chào đồng chí", [[("Có", "yes:1"), ("Không", "no:1")]], "HTML")


async def test_reply_keyboard_asking_for_the_contact(localapi_bot, localapi_client, user):
    markup = ReplyKeyboardMarkup([[KeyboardButton("Gửi số điện thoại", request_contact=True)]], one_time_keyboard=True)
    sent = await localapi_bot.send_message(user, "Xin số điện thoại", reply_markup=markup)
    assert sent.reply_markup is None  # Telegram returns only inline keyboards with the message
    [seen] = await localapi_client.messages(user)
    assert seen.reply_keyboard == [["Gửi số điện thoại"]] and seen.request_contact


async def test_reply_to_a_message(localapi_bot, localapi_client, user):
    said = await localapi_client.send_text(user, "câu hỏi")
    answer = await localapi_bot.send_message(user, "trả lời", reply_to_message_id=said["message_id"])
    assert answer.reply_to_message.text == "câu hỏi"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await localapi_bot.send_message(user, "x", reply_to_message_id=999)


async def test_edit_text_and_markup_then_not_modified(localapi_bot, localapi_client, user, clock):
    sent = await localapi_bot.send_message(user, "Bước 1", reply_markup=keyboard([("Tiếp", "next")]))
    clock.advance(timedelta(seconds=30))
    edited = await localapi_bot.edit_message_text("Bước 2", chat_id=user, message_id=sent.message_id,
                                                  reply_markup=keyboard([("Xong", "done")]))
    assert edited.text == "Bước 2" and edited.edit_date == clock.now()
    with pytest.raises(BadRequest) as caught:
        await localapi_bot.edit_message_text("Bước 2", chat_id=user, message_id=sent.message_id,
                                             reply_markup=keyboard([("Xong", "done")]))
    assert str(caught.value).startswith("Message is not modified: specified new message content and reply markup")
    await localapi_bot.edit_message_reply_markup(chat_id=user, message_id=sent.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await localapi_bot.edit_message_reply_markup(chat_id=user, message_id=sent.message_id, reply_markup=None)
    [seen] = await localapi_client.messages(user)
    assert (seen.text, seen.buttons, seen.edited) == ("Bước 2", [], True)


async def test_edit_text_without_markup_removes_the_keyboard(localapi_bot, localapi_client, user):
    sent = await localapi_bot.send_message(user, "Chọn", reply_markup=keyboard([("A", "a")]))
    await localapi_bot.edit_message_text("Chọn", chat_id=user, message_id=sent.message_id)
    [seen] = await localapi_client.messages(user)
    assert seen.buttons == []


async def test_edit_refusals(localapi_bot, localapi_client, user):
    said = await localapi_client.send_text(user, "của tôi")
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await localapi_bot.edit_message_text("x", chat_id=user, message_id=999)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await localapi_bot.edit_message_text("x", chat_id=user, message_id=said["message_id"])
    sent = await localapi_bot.send_message(user, "y")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await localapi_bot.edit_message_text("x" * 4097, chat_id=user, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await localapi_bot.edit_message_text(" ", chat_id=user, message_id=sent.message_id)


async def test_delete_message(localapi_bot, localapi_client, user):
    sent = await localapi_bot.send_message(user, "tạm")
    assert await localapi_bot.delete_message(user, sent.message_id) is True
    [seen] = await localapi_client.messages(user)
    assert seen.deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await localapi_bot.delete_message(user, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await localapi_bot.edit_message_text("x", chat_id=user, message_id=sent.message_id)


async def test_size_limits(localapi_bot, user):
    await localapi_bot.send_message(user, "đ" * 4096)
    await localapi_bot.send_message(user, "<b>" + "x" * 4095 + "&amp;</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await localapi_bot.send_message(user, "đ" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await localapi_bot.send_message(user, "<b></b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await localapi_bot.send_document(user, b"data", filename="a.txt", caption="c" * 1025)


async def test_keyboard_limits(localapi_bot, user):
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await localapi_bot.send_message(user, "x", reply_markup=keyboard([("A", "đ" * 33)]))
    too_wide = [(str(i), str(i)) for i in range(9)]
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await localapi_bot.send_message(user, "x", reply_markup=keyboard(too_wide))
    too_many = [[(f"{r}.{c}", f"{r}.{c}") for c in range(8)] for r in range(13)]
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await localapi_bot.send_message(user, "x", reply_markup=keyboard(*too_many))
    await localapi_bot.send_message(user, "x", reply_markup=keyboard(*too_many[:12], too_many[12][:4]))


async def test_html_must_parse(localapi_bot, user):
    with pytest.raises(BadRequest, match='Can\'t parse entities: can\'t find end tag corresponding to start tag "b"'):
        await localapi_bot.send_message(user, "<b>đậm", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match='unsupported start tag "br"'):
        await localapi_bot.send_message(user, "a<br>b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="is reserved and must be escaped"):
        await localapi_bot.send_message(user, "Hạn 10.12", parse_mode=ParseMode.MARKDOWN_V2)


async def test_unknown_chat_and_forbidden(localapi_bot, localapi_client, localapi):
    with pytest.raises(BadRequest, match="Chat not found"):
        await localapi_bot.send_message(999, "x")
    await localapi_client.create_user(601, "Bình")  # never pressed Start
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await localapi_bot.send_message(601, "x")
    await localapi_client.send_text(601, "/start")
    await localapi_bot.send_message(601, "Chào")
    await localapi_client.block(601)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await localapi_bot.send_message(601, "x")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await localapi_bot.send_chat_action(601, "typing")
    await localapi_client.unblock(601)
    await localapi_bot.send_message(601, "lại")
    assert localapi.stats(LOCALAPI_TOKEN)["forbidden"] == 3


@retry_after_warning
async def test_flood_per_chat_gives_retry_after(localapi_bot, localapi, user):
    for n in range(localapi.limits.per_chat_count):
        await localapi_bot.send_message(user, f"tin {n}")
    with pytest.raises(RetryAfter) as caught:
        await localapi_bot.send_message(user, "một tin quá nhiều")
    assert seconds(caught.value.retry_after) == 3   # 3 in any 3 s: the window is full for about 3 s
    stats = localapi.stats(LOCALAPI_TOKEN)
    assert stats["rate_limited"] == 1 and stats["sent"] == 3 and stats["requests"]["sendMessage"] == 4


@retry_after_warning
async def test_flood_overall_across_chats(localapi_bot, localapi_client, localapi):
    localapi.limits.global_count, localapi.limits.global_window = 3, 10.0
    for user_id in (701, 702, 703, 704):
        await localapi_client.create_user(user_id, "U", started=True)
    for user_id in (701, 702, 703):
        await localapi_bot.send_message(user_id, "x")
    with pytest.raises(RetryAfter) as caught:
        await localapi_bot.send_message(704, "x")
    assert 9 <= seconds(caught.value.retry_after) <= 10


@retry_after_warning
async def test_limits_off_then_on_at_run_time(localapi_bot, localapi, user):
    localapi.limits.enabled = False
    for n in range(200):
        await localapi_bot.send_message(user, str(n))
    localapi.limits.enabled = True
    with pytest.raises(RetryAfter):
        for n in range(10):
            await localapi_bot.send_message(user, str(n))
    assert localapi.stats(LOCALAPI_TOKEN)["sent"] >= 200


async def test_fifty_concurrent_sends_all_succeed(localapi_bot, localapi, user):
    localapi.limits.enabled = False
    sent = await asyncio.gather(*(localapi_bot.send_message(user, f"#{n}") for n in range(50)))
    assert sorted(m.message_id for m in sent) == list(range(1, 51))


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


async def test_document_upload_read_back_and_resent_by_file_id(localapi_bot, localapi_client, user):
    data = bytes(range(256)) * 40 + "Biên bản họp chi bộ".encode()
    sent = await localapi_bot.send_document(user, data, filename="Biên bản họp.pdf", caption="<i>Biên bản</i>",
                                            parse_mode=ParseMode.HTML)
    document = sent.document
    assert (document.file_name, document.mime_type, document.file_size) == ("Biên bản họp.pdf", "application/pdf", len(data))
    assert sent.caption == "Biên bản" and sent.caption_entities[0].type == "italic"
    assert await localapi_client.file(document.file_id) == data
    telegram_file = await localapi_bot.get_file(document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == data
    again = await localapi_bot.send_document(user, document.file_id)
    assert again.document.file_unique_id == document.file_unique_id
    seen = await localapi_client.messages(user)
    assert [(m.kind, m.filename, m.text) for m in seen] == [("document", "Biên bản họp.pdf", "Biên bản"),
                                                           ("document", "Biên bản họp.pdf", "")]
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await localapi_bot.send_document(user, "no-such-file-id")


async def test_photo_upload(localapi_bot, localapi_client, user):
    image = tiny_png(3, 2)
    sent = await localapi_bot.send_photo(user, image, caption="Ảnh")
    photo = sent.photo[-1]
    assert (photo.width, photo.height) == (3, 2)
    assert await localapi_client.file(photo.file_id) == image
    with pytest.raises(BadRequest, match="Can't use file of type photo as document"):
        await localapi_bot.send_document(user, photo.file_id)


async def test_chat_action_and_callback_answer(localapi_bot, localapi_client, user):
    assert await localapi_bot.send_chat_action(user, "typing") is True
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await localapi_bot.send_chat_action(user, "dancing")
    sent = await localapi_bot.send_message(user, "Chọn", reply_markup=keyboard([("A", "a")]))
    query_id = await localapi_client.press_button(user, sent.message_id, "a")
    assert await localapi_bot.answer_callback_query(query_id, text="Đã ghi nhận", show_alert=True) is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await localapi_bot.answer_callback_query(query_id)
    assert await localapi_client.callback_answers(user) == [
        {"callback_query_id": query_id, "text": "Đã ghi nhận", "show_alert": True, "url": None}]


async def test_caption_edit(localapi_bot, localapi_client, user):
    sent = await localapi_bot.send_document(user, b"x", filename="a.txt", caption="cũ")
    await localapi_bot.edit_message_caption(chat_id=user, message_id=sent.message_id, caption="<b>mới</b>",
                                            parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await localapi_bot.edit_message_caption(chat_id=user, message_id=sent.message_id, caption="mới",
                                                caption_entities=[MessageEntity("bold", 0, 3)])
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await localapi_bot.edit_message_text("x", chat_id=user, message_id=sent.message_id)
    [seen] = await localapi_client.messages(user)
    assert (seen.text, seen.parse_mode, seen.edited) == ("mới", "HTML", True)
