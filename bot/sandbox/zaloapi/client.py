"""`ZaloApiClient`: the user side of the local Zalo server over HTTP — create users, chat as them, read
what the bot sent, wait for the bot. Works against an in-process server and `shcb localapi --zalo`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import httpx

from bot.sandbox.localapi.client import shared_ssl_context


class ZaloApiError(Exception):
    """The server refused a user-side request (e.g. an unknown user)."""


@dataclass
class ZaloBotMessage:
    """A message of the chat. From the bot `kind` is "text", "photo" (`photo` is the URL, `caption`)
    or "sticker"; `index` is its place among the bot's messages to this user (0, 1, …)."""

    message_id: str
    from_bot: bool
    kind: str
    date: int  # milliseconds
    text: str = ""
    photo: str | None = None
    caption: str = ""
    sticker: str | None = None
    index: int = 0

    @classmethod
    def from_json(cls, data: dict) -> ZaloBotMessage:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    @property
    def shown(self) -> str:
        """What the user reads: the text, or a photo's caption."""
        return self.text or self.caption


class ZaloApiClient:
    def __init__(self, user_url: str, token: str, *, timeout: float = 10.0) -> None:
        self._base = f"{user_url.rstrip('/')}/{token}"
        self._timeout = timeout
        self._http = httpx.AsyncClient(timeout=timeout, verify=shared_ssl_context())

    async def _call(self, name: str, *, http_timeout: float | None = None, **payload: Any) -> Any:
        response = await self._http.post(f"{self._base}/{name}", json=payload,
                                         timeout=http_timeout if http_timeout is not None else self._timeout)
        try:
            data = response.json()
        except ValueError:
            raise ZaloApiError(f"{name}: HTTP {response.status_code}") from None
        if not data.get("ok"):
            raise ZaloApiError(f"{name}: {data.get('description')}")
        return data["result"]

    async def create_user(self, display_name: str, user_id: str | None = None, wrote: bool = False) -> str:
        """A Zalo user; returns their id (a new 20-hex-digit one unless given), which is also their
        chat_id. The bot may write to them only once they wrote (wrote=True: as if they had)."""
        user = await self._call("create_user", display_name=display_name, user_id=user_id, wrote=wrote)
        return user["id"]

    async def send_text(self, user_id: str, text: str) -> dict:
        """{"message_id", "date", "update": the number of the update it made (for `fetched`)}"""
        return await self._call("send_text", user_id=user_id, text=text)

    async def send_image(self, user_id: str, photo: str | None = None, caption: str | None = None) -> dict:
        return await self._call("send_image", user_id=user_id, photo=photo, caption=caption)

    async def send_sticker(self, user_id: str, sticker: str | None = None) -> dict:
        return await self._call("send_sticker", user_id=user_id, sticker=sticker)

    async def send_unsupported(self, user_id: str) -> dict:
        return await self._call("send_unsupported", user_id=user_id)

    async def messages(self, user_id: str) -> list[ZaloBotMessage]:
        """What the bot sent to the user, oldest first."""
        return [ZaloBotMessage.from_json(m) for m in await self._call("messages", user_id=user_id)]

    async def chat(self, user_id: str) -> list[ZaloBotMessage]:
        """Both sides of the chat, oldest first (`from_bot` tells which)."""
        return [ZaloBotMessage.from_json(m) for m in await self._call("chat", user_id=user_id)]

    async def wait(self, user_id: str, since: int, timeout: float = 5.0) -> list[ZaloBotMessage]:
        """Long poll: the bot's messages numbered `since` and after (see `ZaloBotMessage.index`), as soon
        as there is at least one, or [] after `timeout` seconds."""
        found = await self._call("wait", http_timeout=timeout + 10.0, user_id=user_id, since=since, timeout=timeout)
        return [ZaloBotMessage.from_json(m) for m in found]

    async def next_message(self, user_id: str, timeout: float = 5.0) -> ZaloBotMessage | None:
        """The first message the bot sends to the user from now on, or None after `timeout`."""
        since = len(await self.messages(user_id))
        found = await self.wait(user_id, since, timeout)
        return found[0] if found else None

    async def fetched(self, update: int | None = None, timeout: float = 5.0) -> dict:
        """Wait until the bot has taken (by getUpdates or its webhook) every update up to number `update`
        (default: the newest so far). {"update", "fetched": bool, "taken": how many so far}."""
        return await self._call("fetched", http_timeout=timeout + 10.0, update=update, timeout=timeout)

    async def users(self) -> list[dict]:
        """{"id", "display_name", "wrote", "typing": chat actions shown to them} for each user."""
        return await self._call("users")

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ZaloApiClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()
