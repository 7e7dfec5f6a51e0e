"""A Telegram user on the local Bot API server, acting as a roster person: sends text, contacts and
files, presses buttons, and reads what the bot answers — by waiting on the server's long poll, never by
sleeping. Shared by the end-to-end tests, the demo film and the terminal shell.

"Replies" are the bot's messages that are new, or changed by an edit, since the user's last action, in
order of message id; each `reply()` takes the next one. Deleted messages are never replies.
"""

from __future__ import annotations

import time
from typing import Awaitable, Callable, Iterable

from bot.sandbox.localapi import BotMessage, LocalApiClient
from bot.rules.phone import display_phone, normalize_phone
from bot.rules.text import fold

# Telegram user ids of roster people on the local server: 10_000_000 + person id (tests, demo, shell).
USER_ID_BASE = 10_000_000


def user_id_for(person_id: int) -> int:
    return USER_ID_BASE + person_id


class NoReply(AssertionError):
    """The bot did not answer (as expected) in time. An AssertionError, so a test reads as failed."""


def _signature(message: BotMessage) -> tuple:
    """What a user sees of a message: a change in any of it is an edit."""
    buttons = tuple(tuple(row) for row in message.buttons or ())
    keyboard = tuple(tuple(row) for row in message.reply_keyboard or ()) if message.reply_keyboard else None
    return (message.kind, message.text, buttons, keyboard, message.file_id, message.deleted)


def _button_matches(button: tuple[str, str], wanted: str) -> bool:
    label, data = button
    return label == wanted or data == wanted


class ChatUser:
    """One user's private chat with the bot. `on_action(user, description)` and `on_message(user, message)`
    (optional) see what the user does and every bot message they receive, once each — the film's
    transcript."""

    def __init__(
        self,
        api: LocalApiClient,
        user_id: int,
        person=None,
        *,
        on_action: Callable[["ChatUser", str], None] | None = None,
        on_message: Callable[["ChatUser", BotMessage], None] | None = None,
        settle: Callable[..., Awaitable[None]] | None = None,
    ) -> None:
        self.api = api
        self._settle = settle                   # Stage.settled: the bot has handled all it was sent
        self.user_id = user_id
        self.person = person
        self.on_action = on_action
        self.on_message = on_message
        self._version = -1                      # the chat version last read from the server
        self._messages: list[BotMessage] = []   # the chat as last read
        self._given: dict[int, tuple] = {}      # message id -> signature already given by reply()
        self._shown: dict[int, tuple] = {}      # message id -> signature already passed to on_message

    # -- reading -------------------------------------------------------------------------------------

    async def _read(self) -> list[BotMessage]:
        self._version = await self.api.version(self.user_id)
        self._messages = await self.api.messages(self.user_id)
        self._observe()
        return self._messages

    def _observe(self) -> None:
        if self.on_message is None:
            return
        for message in self._messages:
            if not message.from_bot or message.deleted:
                continue
            signature = _signature(message)
            if self._shown.get(message.message_id) != signature:
                self._shown[message.message_id] = signature
                self.on_message(self, message)

    async def _wait_change(self, deadline: float) -> bool:
        """Wait until the chat changes (True) or the deadline passes (False)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        version, _messages = await self.api.wait(self.user_id, self._version, remaining)
        if version == self._version:
            return False
        await self._read()
        return True

    def _pending(self) -> list[BotMessage]:
        return [
            message for message in self._messages
            if message.from_bot and not message.deleted
            and self._given.get(message.message_id) != _signature(message)
        ]

    async def messages(self) -> list[BotMessage]:
        """Every message of the chat (the user's too), oldest first, as it is now."""
        return list(await self._read())

    async def bot_messages(self) -> list[BotMessage]:
        return [message for message in await self._read() if message.from_bot and not message.deleted]

    async def flush(self) -> None:
        """Read the chat now (the observer sees anything new) without taking any reply."""
        await self._read()

    async def idle(self, settle: float = 0.3, timeout: float = 5) -> None:
        """Wait until the chat has been still for `settle` seconds (or `timeout` passed), taking no reply:
        the observer sees everything that came meanwhile."""
        deadline = time.monotonic() + timeout
        await self._read()
        while await self._wait_change(min(deadline, time.monotonic() + settle)):
            pass

    async def settled(self, timeout: float = 5) -> None:
        """Wait until the bot has fetched and finished handling everything sent to it so far (this user's
        last action included), then read the chat: the observer sees whatever it answered."""
        if self._settle is None:
            raise RuntimeError("this chat user was not made by a Stage: nothing knows when the bot is done")
        await self._settle(timeout=timeout)
        await self._read()

    async def pending_replies(self) -> list[BotMessage]:
        """The replies not taken yet (new or edited bot messages since the last action), as the chat is now."""
        await self._read()
        return self._pending()

    async def no_reply(self, timeout: float = 5) -> None:
        """Assert that the bot, once done with everything sent to it, has answered nothing more (no new or
        edited message; a button press may still have been acknowledged)."""
        await self.settled(timeout)
        extra = self._pending()
        if extra:
            raise AssertionError(f"user {self.user_id}: unexpected replies: {[m.text for m in extra]!r}")

    async def reply(self, timeout: float = 5) -> BotMessage:
        """The next bot message, new or edited, since the last action."""
        return await self.wait_for(lambda message: True, timeout=timeout, _what="a reply")

    async def replies(self, n: int, timeout: float = 5) -> list[BotMessage]:
        deadline = time.monotonic() + timeout
        found = []
        for _ in range(n):
            found.append(await self.wait_for(lambda message: True, timeout=max(0.0, deadline - time.monotonic()),
                                             _what=f"{n} replies (got {len(found)})"))
        return found

    async def wait_for(self, predicate: Callable[[BotMessage], bool], timeout: float = 5, *,
                       _what: str = "a matching reply") -> BotMessage:
        """The next reply that satisfies `predicate`; the replies before it are passed over."""
        deadline = time.monotonic() + timeout
        if self._version < 0:
            await self._read()
        while True:
            for message in self._pending():
                self._given[message.message_id] = _signature(message)
                if predicate(message):
                    return message
            if not await self._wait_change(deadline):
                last = [m.text for m in self._messages if m.from_bot][-3:]
                raise NoReply(f"user {self.user_id}: no {_what} within {timeout:g} s; last bot messages: {last!r}")

    async def quiet(self, settle: float = 0.3, timeout: float = 5) -> list[BotMessage]:
        """All replies until the chat has been still for `settle` seconds (or `timeout` passed): for the
        shell and the film, which show whatever comes without knowing how much will."""
        deadline = time.monotonic() + timeout
        found: list[BotMessage] = []
        if self._version < 0:
            await self._read()
        while True:
            for message in self._pending():
                self._given[message.message_id] = _signature(message)
                found.append(message)
            if not await self._wait_change(min(deadline, time.monotonic() + settle)):
                return found

    # -- acting --------------------------------------------------------------------------------------

    async def _before_action(self, description: str) -> None:
        """From now on, only what comes after this action is a reply."""
        await self._read()
        self._given = {message.message_id: _signature(message) for message in self._messages if message.from_bot}
        if self.on_action is not None:
            self.on_action(self, description)

    async def send(self, text: str) -> dict:
        await self._before_action(text)
        return await self.api.send_text(self.user_id, text)

    async def contact(self, phone: str | None = None, contact_user_id: int | None = None,
                      first_name: str | None = None) -> dict:
        """Share a contact: by default the person's own phone, with the user's own id (the "share my
        phone number" button)."""
        phone = phone if phone is not None else getattr(self.person, "phone", None)
        if not phone:
            raise ValueError("no phone to share")
        contact_user_id = self.user_id if contact_user_id is None else contact_user_id
        await self._before_action(f"📞 {display_phone(phone) if normalize_phone(phone) == phone else phone}")
        return await self.api.share_contact(self.user_id, phone, contact_user_id=contact_user_id,
                                            first_name=first_name)

    async def document(self, name: str, data: bytes, caption: str | None = None) -> dict:
        await self._before_action(f"📎 {name}" + (f" — {caption}" if caption else ""))
        return await self.api.send_document(self.user_id, name, data, caption=caption)

    async def photo(self, data: bytes, caption: str | None = None) -> dict:
        await self._before_action("🖼" + (f" {caption}" if caption else ""))
        return await self.api.send_photo(self.user_id, data, caption=caption)

    def find_button(self, wanted: str, message: BotMessage | int | None = None) -> tuple[BotMessage, str, str]:
        """(message, label, callback_data) of the button labelled `wanted` (exactly, else ignoring case
        and diacritics) or carrying that callback data (or that data followed by ":identity…"), in
        `message` or else the newest bot message that has it."""
        if isinstance(message, BotMessage):
            candidates: Iterable[BotMessage] = [message]
        elif isinstance(message, int):
            candidates = [m for m in self._messages if m.message_id == message]
        else:
            candidates = [m for m in reversed(self._messages) if m.from_bot and not m.deleted]
        candidates = list(candidates)
        for loose in (False, True):
            for candidate in candidates:
                for row in candidate.buttons or ():
                    for label, data in row:
                        if _button_matches((label, data), wanted) or (loose and fold(label) == fold(wanted)):
                            return candidate, label, data
        # Buttons that carry an identity after their action ("gc:send:3"): named by the action alone.
        for candidate in candidates:
            for row in candidate.buttons or ():
                for label, data in row:
                    if data.startswith(wanted + ":"):
                        return candidate, label, data
        labels = [label for m in candidates for row in (m.buttons or ()) for label, _data in row]
        raise LookupError(f"no button {wanted!r}; buttons: {labels!r}")

    async def press(self, label_or_callback_data: str, message: BotMessage | int | None = None) -> str:
        """Press an inline button; returns the callback query id."""
        await self._read()
        target, label, data = self.find_button(label_or_callback_data, message)
        await self._before_action(f"[ {label} ]")
        return await self.api.press_button(self.user_id, target.message_id, data)

    async def press_data(self, message_id: int, data: str) -> str:
        """Press a button with any callback data on any message id, as a modified client could (forgery,
        stale buttons); returns the callback query id."""
        await self._before_action(f"[ {data!r} ]")
        return await self.api.press_button(self.user_id, message_id, data)

    async def sticker(self) -> dict:
        await self._before_action("🙂 sticker")
        return await self.api.send_sticker(self.user_id)

    async def callback_answers(self) -> list[dict]:
        return await self.api.callback_answers(self.user_id)

    async def block(self) -> None:
        await self.api.block(self.user_id)

    async def unblock(self) -> None:
        await self.api.unblock(self.user_id)

    def __repr__(self) -> str:
        name = getattr(self.person, "full_name", None)
        return f"<ChatUser {self.user_id}{' ' + name if name else ''}>"
