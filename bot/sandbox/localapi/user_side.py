"""The user side: what people do in their private chat with the bot (for tests, the demo and the shell).

Each function takes the bot's state and the JSON body of a `/_user/<token>/<name>` request and returns
JSON. User actions become updates for the bot, exactly as Telegram would deliver them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from bot.sandbox.localapi.entities import command_entities
from bot.sandbox.localapi.errors import UserSideError
from bot.sandbox.localapi.methods_bot import command_key
from bot.sandbox.localapi.state import BotState, PrivateChat, StoredMessage, User

USER_METHODS: dict[str, Callable[[BotState, dict], Any]] = {}


def user_method(function: Callable[[BotState, dict], Any]) -> Callable[[BotState, dict], Any]:
    USER_METHODS[function.__name__] = function
    return function


def _chat(bot: BotState, body: dict) -> PrivateChat:
    user_id = int(body["user_id"])
    chat = bot.chat(user_id)
    if chat is None:
        raise UserSideError(f"unknown user {user_id}: create_user first")
    return chat


def _from_user(bot: BotState, chat: PrivateChat, kind: str, **fields) -> dict:
    """The user's message: kept in the chat, and queued for the bot as a `message` update."""
    chat.user.started = True
    message: StoredMessage = bot.add_message(chat, from_bot=False, kind=kind, **fields)
    data = bot.message_json(message)
    bot.push_update("message", data)
    return data


@user_method
def create_user(bot: BotState, body: dict) -> dict:
    user_id = int(body["user_id"])
    user = User(
        id=user_id, first_name=str(body.get("first_name") or user_id), last_name=body.get("last_name"),
        username=body.get("username"), language_code=body.get("language_code"),
        phone_number=body.get("phone_number"), started=bool(body.get("started")),
    )
    return bot.add_user(user).user.describe()


@user_method
def send_text(bot: BotState, body: dict) -> dict:
    text = str(body["text"])
    return _from_user(bot, _chat(bot, body), "text", text=text, entities=command_entities(text))


@user_method
def share_contact(bot: BotState, body: dict) -> dict:
    chat = _chat(bot, body)
    user = chat.user
    phone = body.get("phone_number") or user.phone_number
    if not phone:
        raise UserSideError(f"no phone number for user {user.id}")
    contact = {"phone_number": str(phone), "first_name": body.get("first_name") or user.first_name}
    # Sharing one's own contact carries one's user_id; a contact card from the address book may not.
    contact_user_id = body["contact_user_id"] if "contact_user_id" in body else user.id
    if contact_user_id is not None:
        contact["user_id"] = int(contact_user_id)
    return _from_user(bot, chat, "contact", contact=contact)


def _upload(bot: BotState, body: dict, kind: str) -> dict:
    chat = _chat(bot, body)
    data = base64.b64decode(body["data"])
    stored = bot.files.add(kind, data, body.get("filename"), body.get("mime_type"))
    return _from_user(bot, chat, kind, text=body.get("caption") or "", file_id=stored.file_id)


@user_method
def send_document(bot: BotState, body: dict) -> dict:
    return _upload(bot, body, "document")


@user_method
def send_photo(bot: BotState, body: dict) -> dict:
    return _upload(bot, body, "photo")


@user_method
def send_sticker(bot: BotState, body: dict) -> dict:
    chat = _chat(bot, body)
    stored = bot.files.add("sticker", b"RIFF-sticker", "sticker.webp", "image/webp")
    return _from_user(bot, chat, "sticker", file_id=stored.file_id)


@user_method
def press_button(bot: BotState, body: dict) -> dict:
    """A callback query for any message id and data: a forged one is delivered too, as a modified
    client could send it, so the bot must check what it is told."""
    chat = _chat(bot, body)
    user = chat.user
    message_id, data = int(body["message_id"]), str(body["callback_data"])
    message = chat.messages.get(message_id)
    if message is not None and not message.deleted:
        shown = bot.message_json(message)
    else:  # Telegram's InaccessibleMessage
        shown = {"message_id": message_id, "chat": user.chat_json(), "date": 0}
    user.started = True
    query = bot.new_callback_query(user.id, message_id, data)
    bot.push_update("callback_query", {
        "id": query.id, "from": user.to_json(), "message": shown, "chat_instance": f"{bot.id}{user.id}",
        "data": data,
    })
    return {"callback_query_id": query.id}


def _set_blocked(bot: BotState, body: dict, blocked: bool) -> bool:
    """Block or unblock the bot; as on Telegram, the bot gets a `my_chat_member` update when that changes
    its membership of the private chat ("kicked" ↔ "member")."""
    user = _chat(bot, body).user
    if user.blocked == blocked:
        return True
    user.blocked = blocked
    statuses = ("member", "kicked") if blocked else ("kicked", "member")
    old, new = ({"user": bot.user_json(), "status": status} for status in statuses)
    for member in (old, new):
        if member["status"] == "kicked":
            member["until_date"] = 0
    bot.push_update("my_chat_member", {"chat": user.chat_json(), "from": user.to_json(), "date": bot.now(),
                                       "old_chat_member": old, "new_chat_member": new})
    return True


@user_method
def block(bot: BotState, body: dict) -> bool:
    return _set_blocked(bot, body, True)


@user_method
def unblock(bot: BotState, body: dict) -> bool:
    return _set_blocked(bot, body, False)


@user_method
def messages(bot: BotState, body: dict) -> list[dict]:
    return [bot.message_view(message) for message in _chat(bot, body).messages.values()]


@user_method
def version(bot: BotState, body: dict) -> int:
    return _chat(bot, body).version


@user_method
async def wait(bot: BotState, body: dict) -> dict:
    """Long poll on the chat: returns once its version passes `since_version` (or after `timeout`),
    with the messages changed since then."""
    chat = _chat(bot, body)
    since = int(body.get("since_version", 0))
    await chat.changed.wait_until(lambda: chat.version > since or bot.closed, float(body.get("timeout", 5.0)))
    changed = [bot.message_view(m) for m in chat.messages.values() if m.version > since]
    return {"version": chat.version, "messages": changed}


@user_method
def callback_answers(bot: BotState, body: dict) -> list[dict]:
    return list(_chat(bot, body).callback_answers)


@user_method
def my_commands(bot: BotState, body: dict) -> list[dict]:
    scope = {"type": body.get("scope_type") or "default"}
    if body.get("chat_id") is not None:
        scope["chat_id"] = body["chat_id"]
    return list(bot.commands.get(command_key(scope, body.get("language_code")), []))


@user_method
def users(bot: BotState, body: dict) -> list[dict]:
    return [user.describe() for user in bot.users.values()]


def _fetched(bot: BotState, update_id: int) -> bool:
    """The bot has taken every update up to `update_id`: confirmed by a later getUpdates offset, or
    accepted by its webhook (an update leaves the queue only then)."""
    return not bot.updates or bot.updates[0]["update_id"] > update_id


@user_method
async def fetched(bot: BotState, body: dict) -> dict:
    """Wait until the bot has taken every update up to `update_id` (default: the newest so far), or
    `timeout` passed. {"update_id": the id waited for, "fetched": whether it was taken in time,
    "confirmed": the newest id the bot has taken}."""
    newest = bot.next_update_id - 1
    update_id = int(body["update_id"]) if body.get("update_id") is not None else newest
    taken = await bot.updates_changed.wait_until(lambda: _fetched(bot, update_id) or bot.closed,
                                                 float(body.get("timeout", 5.0)))
    return {"update_id": update_id, "fetched": taken and _fetched(bot, update_id), "confirmed": confirmed_id(bot)}


def confirmed_id(bot: BotState) -> int:
    """The newest update id the bot has taken (every one before it too)."""
    return bot.updates[0]["update_id"] - 1 if bot.updates else bot.next_update_id - 1
