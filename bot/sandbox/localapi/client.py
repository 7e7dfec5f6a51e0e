"""`LocalApiClient`: the user side of the local server over HTTP — create users, chat as them, read
what the bot sent. Works against an in-process server and a standalone `shcb localapi` alike."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, fields
from typing import Any

import httpx

from bot.delivery.http import tls_context

_DEFAULT = object()


class LocalApiError(Exception):
    """The server refused a user-side request (e.g. an unknown user)."""


@dataclass
class BotMessage:
    """A message of a private chat in its current state (after edits); `text` is the text or caption
    as the user sees it (formatting removed). `buttons` holds (label, callback_data) per inline button
    (a link button gives its url)."""

    message_id: int
    from_bot: bool
    text: str
    kind: str  # "text" | "document" | "photo" | "contact"
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None
    request_contact: bool = False
    remove_keyboard: bool = False
    file_id: str | None = None
    filename: str | None = None
    parse_mode: str | None = None
    edited: bool = False
    deleted: bool = False
    date: int = 0
    version: int = 0  # the chat's version when the message last changed
    entities: list[dict] = field(default_factory=list)
    contact: dict | None = None

    @classmethod
    def from_json(cls, data: dict) -> BotMessage:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["buttons"] = [[(label, value) for label, value in row] for row in data.get("buttons", [])]
        return cls(**values)

    def callback_data(self, label_or_data: str) -> str | None:
        """The callback data of the inline button with this label (or this data), if the message has one."""
        for row in self.buttons:
            for label, data in row:
                if label_or_data in (label, data):
                    return data
        return None


class UserSideClient:
    """The HTTP of a local server's user side (`/_user/<token>/<name>`, POST JSON); a refusal raises
    `error`. Shared by the Telegram and the Zalo clients."""

    error: type[Exception] = LocalApiError

    def __init__(self, user_url: str, token: str, *, timeout: float = 10.0) -> None:
        self._base = f"{user_url.rstrip('/')}/{token}"
        self._timeout = timeout
        self._http = httpx.AsyncClient(timeout=timeout, verify=tls_context())

    async def _call(self, name: str, *, http_timeout: float | None = None, **payload: Any) -> Any:
        response = await self._http.post(f"{self._base}/{name}", json=payload,
                                         timeout=http_timeout if http_timeout is not None else self._timeout)
        try:
            data = response.json()
        except ValueError:
            raise self.error(f"{name}: HTTP {response.status_code}") from None
        if not data.get("ok"):
            raise self.error(f"{name}: {data.get('description')}")
        return data["result"]

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()


class LocalApiClient(UserSideClient):

    async def create_user(self, user_id: int, first_name: str, last_name: str | None = None,
                          username: str | None = None, language_code: str | None = "vi",
                          started: bool = False, phone_number: str | None = None) -> dict:
        """A Telegram user. started=True: as if they had pressed Start already (else the bot gets 403
        until they write). Calling it again updates the user."""
        return await self._call("create_user", user_id=user_id, first_name=first_name, last_name=last_name,
                                username=username, language_code=language_code, started=started,
                                phone_number=phone_number)

    async def send_text(self, user_id: int, text: str) -> dict:
        return await self._call("send_text", user_id=user_id, text=text)

    async def share_contact(self, user_id: int, phone_number: str | None = None, contact_user_id: Any = _DEFAULT,
                            first_name: str | None = None) -> dict:
        """Shares a contact; by default the user's own (carrying their user_id). contact_user_id=None
        sends a contact card without one, another id forges someone else's."""
        payload: dict[str, Any] = {"user_id": user_id, "phone_number": phone_number, "first_name": first_name}
        if contact_user_id is not _DEFAULT:
            payload["contact_user_id"] = contact_user_id
        return await self._call("share_contact", **payload)

    async def send_document(self, user_id: int, filename: str, data: bytes, caption: str | None = None) -> dict:
        return await self._call("send_document", user_id=user_id, filename=filename,
                                data=base64.b64encode(data).decode("ascii"), caption=caption)

    async def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> dict:
        return await self._call("send_photo", user_id=user_id, data=base64.b64encode(data).decode("ascii"),
                                caption=caption)

    async def send_sticker(self, user_id: int) -> dict:
        return await self._call("send_sticker", user_id=user_id)

    async def press_button(self, user_id: int, message_id: int, callback_data: str) -> str:
        """Presses an inline button; returns the callback query id. Any data may be sent (forgery too)."""
        result = await self._call("press_button", user_id=user_id, message_id=message_id, callback_data=callback_data)
        return result["callback_query_id"]

    async def block(self, user_id: int) -> None:
        await self._call("block", user_id=user_id)

    async def unblock(self, user_id: int) -> None:
        await self._call("unblock", user_id=user_id)

    async def messages(self, user_id: int) -> list[BotMessage]:
        """Every message of the private chat, oldest first, each in its current state."""
        return [BotMessage.from_json(m) for m in await self._call("messages", user_id=user_id)]

    async def version(self, user_id: int) -> int:
        return await self._call("version", user_id=user_id)

    async def wait(self, user_id: int, since_version: int, timeout: float) -> tuple[int, list[BotMessage]]:
        """Long poll: returns as soon as the chat's version passes `since_version` (the bot sent, edited
        or deleted a message, or answered a callback query), or after `timeout` with the version
        unchanged. The list holds the messages changed since `since_version`, in chat order."""
        result = await self._call("wait", http_timeout=timeout + 10.0, user_id=user_id,
                                  since_version=since_version, timeout=timeout)
        return result["version"], [BotMessage.from_json(m) for m in result["messages"]]

    async def fetched(self, update_id: int | None = None, timeout: float = 5.0) -> dict:
        """Wait until the bot has taken (confirmed by getUpdates' offset, or accepted by its webhook) every
        update up to `update_id` (default: the newest so far). {"update_id", "fetched": bool, "confirmed"}."""
        return await self._call("fetched", http_timeout=timeout + 10.0, update_id=update_id, timeout=timeout)

    async def callback_answers(self, user_id: int) -> list[dict]:
        """{"callback_query_id", "text", "show_alert", "url"} for each answered query, oldest first."""
        return await self._call("callback_answers", user_id=user_id)

    async def file(self, file_id: str) -> bytes:
        response = await self._http.get(f"{self._base}/file/{file_id}")
        if response.status_code != 200:
            raise LocalApiError(f"file: unknown file_id {file_id!r}")
        return response.content

    async def my_commands(self, scope_type: str = "default", language_code: str = "",
                          chat_id: int | None = None) -> list[dict]:
        return await self._call("my_commands", scope_type=scope_type, language_code=language_code, chat_id=chat_id)

    async def users(self) -> list[dict]:
        return await self._call("users")
