"""A Zalo user on the local Zalo server, acting as a roster person: types text (a number answers a list
of numbered options), sends a sticker, a picture or something Zalo does not pass on, and reads what the
bot sent — plain text, as a Zalo user sees it. Waits on the server, never sleeps.

"Replies" are the bot's messages sent since the user's last action, in order (Zalo has no edits: a
changed message comes as a new one).
"""

from __future__ import annotations

import time
from typing import Awaitable, Callable

from bot.sandbox.chat_user import NoReply
from bot.sandbox.zaloapi import ZaloApiClient, ZaloBotMessage


class ZaloUser:
    def __init__(self, api: ZaloApiClient, zalo_id: str, person=None, *,
                 settle: Callable[..., Awaitable[None]] | None = None,
                 on_action: Callable[["ZaloUser", str], None] | None = None,
                 on_message: Callable[["ZaloUser", ZaloBotMessage], None] | None = None) -> None:
        self.api = api
        self.zalo_id = zalo_id
        self.person = person
        self._settle = settle
        self.on_action = on_action
        self.on_message = on_message
        self._next = 0       # index of the first bot message not given by reply() yet
        self._shown = 0      # bot messages passed to on_message so far

    def _observe(self, messages: list[ZaloBotMessage]) -> None:
        if self.on_message is not None:
            for message in messages[self._shown:]:
                self.on_message(self, message)
            self._shown = max(self._shown, len(messages))

    async def bot_messages(self) -> list[ZaloBotMessage]:
        messages = await self.api.messages(self.zalo_id)
        self._observe(messages)
        return messages

    async def _before_action(self, description: str) -> None:
        self._next = len(await self.bot_messages())
        if self.on_action is not None:
            self.on_action(self, description)

    # -- acting --------------------------------------------------------------------------------------

    async def send(self, text: str) -> dict:
        await self._before_action(text)
        return await self.api.send_text(self.zalo_id, text)

    async def sticker(self) -> dict:
        await self._before_action("🙂 sticker")
        return await self.api.send_sticker(self.zalo_id)

    async def image(self, photo: str | None = None, caption: str | None = None) -> dict:
        await self._before_action("🖼" + (f" {caption}" if caption else ""))
        return await self.api.send_image(self.zalo_id, photo=photo, caption=caption)

    async def unsupported(self) -> dict:
        await self._before_action("(a message Zalo did not pass on)")
        return await self.api.send_unsupported(self.zalo_id)

    # -- reading -------------------------------------------------------------------------------------

    async def reply(self, timeout: float = 5) -> ZaloBotMessage:
        """The next bot message since the last action."""
        found = await self.api.wait(self.zalo_id, self._next, timeout)
        if not found:
            last = [m.shown for m in await self.bot_messages()][-3:]
            raise NoReply(f"Zalo user {self.zalo_id}: no reply within {timeout:g} s; last bot messages: {last!r}")
        self._next += 1
        await self.bot_messages()
        return found[0]

    async def replies(self, n: int, timeout: float = 5) -> list[ZaloBotMessage]:
        deadline = time.monotonic() + timeout
        return [await self.reply(max(0.0, deadline - time.monotonic())) for _ in range(n)]

    async def settled(self, timeout: float = 5) -> None:
        """The bot has taken and finished handling everything sent to it so far."""
        if self._settle is None:
            raise RuntimeError("this Zalo user was not made by a Stage")
        await self._settle(timeout=timeout)
        await self.bot_messages()

    async def quiet(self, timeout: float = 5) -> list[ZaloBotMessage]:
        """Every reply to the last action, once the bot is done with it (the shell shows them)."""
        await self.settled(timeout)
        messages = await self.bot_messages()
        found, self._next = messages[self._next:], len(messages)
        return found

    async def no_reply(self, timeout: float = 5) -> None:
        """Once the bot is done with everything sent to it, it has sent nothing more."""
        await self.settled(timeout)
        extra = (await self.bot_messages())[self._next:]
        if extra:
            raise AssertionError(f"Zalo user {self.zalo_id}: unexpected replies: {[m.shown for m in extra]!r}")

    def __repr__(self) -> str:
        name = getattr(self.person, "full_name", None)
        return f"<ZaloUser {self.zalo_id}{' ' + name if name else ''}>"
