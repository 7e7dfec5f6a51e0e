"""Zalo updates as python-telegram-bot understands them: plain functions over the JSON of both.

A Zalo update (`{"event_name": "message.text.received", "message": {...}}`) has no update_id and names
people by strings; the adapter gives it both (storage/zalo.py) and builds the Telegram update here. A
text, a picture, a sticker or something Zalo did not pass on ("unsupported") each become the Telegram
message the handlers already answer (a text; a photo; a sticker; a message without text, which the
fallback answers politely). A bare number typed back to a list of numbered options is a button press
(`typed_choice`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
UNSUPPORTED = "message.unsupported.received"

_BARE_NUMBER = re.compile(r"^\s*(\d{1,4})\s*[.)]?\s*$")
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")
_BARE_LETTER = re.compile(r"^\s*([a-zA-Z])\s*[.)]?\s*$")


@dataclass(frozen=True)
class Incoming:
    """The parts of a Zalo update the adapter needs before it can build the Telegram one."""
    event: str
    user_zalo_id: str
    chat_zalo_id: str
    display_name: str
    is_bot: bool
    private: bool
    date: int                 # seconds
    text: str | None
    caption: str | None
    photo_url: str | None
    zalo_message_id: str | None


def parse(update: dict[str, Any]) -> Incoming | None:
    """The update's parts, or None when it is not a message from a person (or is malformed)."""
    if not isinstance(update, dict):
        return None
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    user_id = sender.get("id")
    if user_id in (None, ""):
        return None
    chat_id = chat.get("id", user_id)
    date = message.get("date")
    try:
        seconds = int(date) // 1000 if date is not None else 0
    except (TypeError, ValueError):
        seconds = 0
    photo = message.get("photo")
    if isinstance(photo, list):   # (a Telegram-like list of sizes, should Zalo send one)
        photo = (photo[-1] or {}).get("url") if photo else None
    message_id = message.get("message_id")
    return Incoming(
        event=str(update.get("event_name") or ""),
        user_zalo_id=str(user_id),
        chat_zalo_id=str(chat_id if chat_id not in (None, "") else user_id),
        display_name=str(sender.get("display_name") or sender.get("name") or ""),
        is_bot=bool(sender.get("is_bot")),
        private=str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE",
        date=seconds,
        text=message.get("text") if isinstance(message.get("text"), str) else None,
        caption=message.get("caption") if isinstance(message.get("caption"), str) else None,
        photo_url=photo if isinstance(photo, str) and photo else None,
        zalo_message_id=None if message_id is None else str(message_id),
    )


def telegram_user(user_id: int, incoming: Incoming) -> dict[str, Any]:
    return {"id": user_id, "is_bot": incoming.is_bot, "first_name": incoming.display_name or str(user_id)}


def telegram_chat(chat_id: int, incoming: Incoming) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": "private" if incoming.private else "group"}
    if incoming.private:
        chat["first_name"] = incoming.display_name or str(chat_id)
    else:
        chat["title"] = incoming.display_name or str(chat_id)
    return chat


def telegram_message(incoming: Incoming, *, message_id: int, user_id: int, chat_id: int) -> dict[str, Any]:
    """The Telegram message a Zalo message is to the handlers."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": incoming.date,
        "chat": telegram_chat(chat_id, incoming),
        "from": telegram_user(user_id, incoming),
    }
    key = f"zalo-{message_id}"
    if incoming.event == IMAGE or (incoming.photo_url and incoming.event != TEXT):
        # The picture's address stands for its file id (Zalo gives no other).
        message["photo"] = [{"file_id": incoming.photo_url or key, "file_unique_id": key, "width": 0, "height": 0}]
        if incoming.caption:
            message["caption"] = incoming.caption
    elif incoming.event == STICKER:
        message["sticker"] = {"file_id": key, "file_unique_id": key, "type": "regular", "width": 0,
                              "height": 0, "is_animated": False, "is_video": False}
    elif incoming.event == TEXT and incoming.text:
        message["text"] = incoming.text
        entity = command_entity(incoming.text)
        if entity:
            message["entities"] = [entity]
    # anything else (unsupported, an unknown event): a message without text, for the fallback
    return message


def command_entity(text: str) -> dict[str, Any] | None:
    """Telegram marks a command ("/menu", "/start CODE") with an entity, which PTB's CommandHandler
    looks for; Zalo sends the bare text."""
    match = _COMMAND.match(text)
    if not match:
        return None
    return {"type": "bot_command", "offset": 0, "length": len(match.group(0).encode("utf-16-le")) // 2}


def callback_update(update_id: int, *, query_id: str, user: dict[str, Any], message: dict[str, Any],
                    data: str) -> dict[str, Any]:
    """The press of a button of `message` (the Telegram-shaped message that carried it)."""
    return {"update_id": update_id, "callback_query": {
        "id": query_id, "from": user, "chat_instance": str(message.get("chat", {}).get("id", "")),
        "message": message, "data": data}}


# What a typed text is to a list of numbered options.
PRESS = "press"            # one of the options: the press of its button
OUT_OF_RANGE = "refuse"    # a number that is not an option, where only options make sense
PASS = "pass"              # anything else: the text goes to the handlers as it is


@dataclass(frozen=True)
class Choice:
    kind: str
    key: str | None = None
    callback_data: str | None = None


def bare_number(text: str | None) -> int | None:
    match = _BARE_NUMBER.match(text or "")
    return int(match.group(1)) if match else None


def typed_choice(text: str | None, options: dict[str, str] | None, label_numbered: bool) -> Choice:
    """A bare number (or, beside label-numbered buttons, a letter) among the options presses that
    option. A number not among them is refused, except where labels carry their own numbers (the roll
    call's list shows one page of members: the number of a member on another page is the handlers' typed
    form). Anything else passes."""
    if not options:
        return Choice(PASS)
    number = bare_number(text)
    letter = _BARE_LETTER.match(text or "")
    key = str(number) if number is not None else letter.group(1).lower() if letter else None
    if key is None:
        return Choice(PASS)
    if key in options:
        return Choice(PRESS, key, options[key])
    if number is None or label_numbered:
        return Choice(PASS, key)
    return Choice(OUT_OF_RANGE, key)
