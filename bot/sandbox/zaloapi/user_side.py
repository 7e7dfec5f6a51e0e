"""The user side of the Zalo server: what people do in their chat with the bot, for tests, the demo and
the shell. Each function takes the bot's state and the JSON body of a `/_user/<token>/<name>` request and
returns JSON; what a user sends becomes an update for the bot, as Zalo would deliver it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.sandbox.localapi.errors import UserSideError
from bot.sandbox.zaloapi.state import ZaloBot, ZaloUser

USER_METHODS: dict[str, Callable[[ZaloBot, dict], Any]] = {}


def user_method(function: Callable[[ZaloBot, dict], Any]) -> Callable[[ZaloBot, dict], Any]:
    USER_METHODS[function.__name__] = function
    return function


def _user(bot: ZaloBot, body: dict) -> ZaloUser:
    user_id = str(body["user_id"])
    user = bot.users.get(user_id)
    if user is None:
        raise UserSideError(f"unknown user {user_id}: create_user first")
    return user


def _send(bot: ZaloBot, body: dict, kind: str, **fields) -> dict:
    message, number = bot.from_user(_user(bot, body), kind, **fields)
    return {"message_id": message.message_id, "date": message.date, "update": number}


@user_method
def create_user(bot: ZaloBot, body: dict) -> dict:
    user_id = body.get("user_id")
    name = str(body.get("display_name") or "")
    if not name:
        raise UserSideError("display_name is required")
    return bot.add_user(str(user_id) if user_id else None, name, bool(body.get("wrote"))).describe()


@user_method
def send_text(bot: ZaloBot, body: dict) -> dict:
    return _send(bot, body, "text", text=str(body["text"]))


@user_method
def send_image(bot: ZaloBot, body: dict) -> dict:
    photo = str(body.get("photo") or "https://example.invalid/photo.jpg")
    return _send(bot, body, "image", photo=photo, caption=str(body.get("caption") or ""))


@user_method
def send_sticker(bot: ZaloBot, body: dict) -> dict:
    return _send(bot, body, "sticker", sticker=str(body.get("sticker") or "0e078a2fb66a5f34067b"))


@user_method
def send_unsupported(bot: ZaloBot, body: dict) -> dict:
    """A message the platform does not pass on (a voice note, a file, or any message of a protected
    user): the bot learns only that something came."""
    return _send(bot, body, "unsupported")


@user_method
def messages(bot: ZaloBot, body: dict) -> list[dict]:
    """What the bot sent to the user, oldest first."""
    return [m.view() for m in _user(bot, body).bot_messages()]


@user_method
def chat(bot: ZaloBot, body: dict) -> list[dict]:
    """The whole chat, both sides, oldest first."""
    return [m.view() for m in _user(bot, body).messages]


@user_method
async def wait(bot: ZaloBot, body: dict) -> list[dict]:
    """Long poll: the bot's messages from number `since` on (0-based, in chat order), as soon as there
    is one, or [] after `timeout` seconds."""
    user = _user(bot, body)
    since = int(body.get("since", 0))
    await user.changed.wait_until(lambda: user.sent_by_bot > since or bot.closed, float(body.get("timeout", 5.0)))
    return [m.view() for m in user.bot_messages(since)]


@user_method
async def fetched(bot: ZaloBot, body: dict) -> dict:
    """Wait until the bot has taken every update up to number `update` (default: the newest so far), by
    getUpdates or its webhook, or `timeout` passed. {"update", "fetched": bool, "taken": how many}."""
    number = int(body["update"]) if body.get("update") is not None else bot.pushed
    taken = await bot.updates_changed.wait_until(lambda: bot.taken >= number or bot.closed,
                                                 float(body.get("timeout", 5.0)))
    return {"update": number, "fetched": taken and bot.taken >= number, "taken": bot.taken}


@user_method
def users(bot: ZaloBot, body: dict) -> list[dict]:
    return [{**user.describe(), "typing": user.typing} for user in bot.users.values()]
