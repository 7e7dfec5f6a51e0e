"""Zalo Bot API methods about the bot and sending: getMe, sendMessage, sendPhoto, sendSticker,
sendChatAction; and the registry of methods by name (case-sensitive, as on Zalo).

Checks run in this order: the parameters (400), the chat (unknown 400; never wrote to the bot 403),
then the quota (429) — so a refused call never uses up the quota. A send answers
`{"message_id", "date"}`; sendChatAction answers `{"ok": true}` with no result, as documented.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.localapi.call import Call
from bot.sandbox.zaloapi import errors
from bot.sandbox.zaloapi.errors import bad_request, error
from bot.sandbox.zaloapi.state import ZaloMessage, ZaloUser

Method = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, Method] = {}
NO_RESULT = object()  # the answer is `{"ok": true}` alone

_URL = re.compile(r"https?://[^/\s]+\S*")


def method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name] = function
        return function

    return register


@method("getMe")
async def get_me(call: Call) -> dict:
    return call.bot.me()


def _user(call: Call) -> ZaloUser:
    chat_id = call.params.string("chat_id") or ""
    if not chat_id:
        raise bad_request(errors.CHAT_ID_EMPTY)
    user = call.bot.users.get(chat_id)
    if user is None:
        raise bad_request(errors.CHAT_NOT_FOUND)
    if not user.wrote:
        call.bot.stats.forbidden += 1
        raise error(403, errors.NOT_WRITTEN)
    return user


def _quota(call: Call, user: ZaloUser) -> None:
    if call.bot.flood.acquire(user.id, call.limits):
        call.bot.stats.rate_limited += 1
        raise error(429, errors.QUOTA_EXCEEDED)


def _text(call: Call, name: str, *, required: bool) -> str:
    text = call.params.string(name) or ""
    if required and not text.strip():
        raise bad_request(errors.TEXT_EMPTY)
    limit = call.limits.max_text if name == "text" else call.limits.max_caption
    if len(text) > limit:
        raise bad_request((errors.TEXT_TOO_LONG if name == "text" else errors.CAPTION_TOO_LONG).format(limit=limit))
    return text


def _sent(call: Call, user: ZaloUser, kind: str, **fields) -> dict:
    _quota(call, user)
    message: ZaloMessage = call.bot.add_bot_message(user, kind, **fields)
    return {"message_id": message.message_id, "date": message.date}


@method("sendMessage")
async def send_message(call: Call) -> dict:
    text = _text(call, "text", required=True)
    return _sent(call, _user(call), "text", text=text)


@method("sendPhoto")
async def send_photo(call: Call) -> dict:
    photo = call.params.string("photo") or ""
    if not _URL.fullmatch(photo):
        raise bad_request(errors.PHOTO_INVALID)
    caption = _text(call, "caption", required=False)
    return _sent(call, _user(call), "photo", photo=photo, caption=caption)


@method("sendSticker")
async def send_sticker(call: Call) -> dict:
    sticker = call.params.string("sticker") or ""
    if not sticker.strip():
        raise bad_request(errors.STICKER_EMPTY)
    return _sent(call, _user(call), "sticker", sticker=sticker)


@method("sendChatAction")
async def send_chat_action(call: Call) -> object:
    if call.params.string("action") != "typing":
        raise bad_request(errors.ACTION_INVALID)
    user = _user(call)
    user.typing += 1
    return NO_RESULT
