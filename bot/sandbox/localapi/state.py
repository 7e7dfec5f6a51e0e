"""The server's memory, with no HTTP in it: one `BotState` per token (its users, private chats with
every message in its current state, the update queue, files, commands, webhook and counters).

Everything runs on one asyncio loop, so a change is never interleaved with another; waiting (long
polling, `wait` on a chat) uses `Signal`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.clock import Clock, SystemClock
from bot.sandbox.localapi import markup as keyboards
from bot.sandbox.localapi.files import FileStore
from bot.sandbox.localapi.limits import FloodControl


class Signal:
    """Wakes everyone waiting for something to change."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """True as soon as `predicate()` holds (checked after each notify), False after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = math.inf if timeout is None else loop.time() + max(0.0, timeout)
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), None if remaining == math.inf else remaining)
            except TimeoutError:
                pass
        return True


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"
    phone_number: str | None = None
    started: bool = False
    blocked: bool = False

    def to_json(self) -> dict:
        data = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    def chat_json(self) -> dict:
        data = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    def describe(self) -> dict:
        return {**self.to_json(), "phone_number": self.phone_number, "started": self.started,
                "blocked": self.blocked}


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    kind: str  # "text" | "document" | "photo" | "contact" | "sticker"
    text: str = ""  # the text, or the caption of a document or photo
    entities: list[dict] = field(default_factory=list)
    parse_mode: str | None = None
    inline_markup: dict | None = None  # editable, attached to the message
    other_markup: dict | None = None  # reply keyboard, removal or force-reply: shown with it, not editable
    file_id: str | None = None
    contact: dict | None = None
    reply_to: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    version: int = 0  # the chat's version when this message last changed


@dataclass
class PrivateChat:
    user: User
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    version: int = 0
    callback_answers: list[dict] = field(default_factory=list)
    changed: Signal = field(default_factory=Signal)

    def touch(self, message: StoredMessage | None = None) -> None:
        """The bot changed something here: a new version, and whoever waits on the chat wakes up."""
        self.version += 1
        if message is not None:
            message.version = self.version
        self.changed.notify()


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class BotStats:
    requests: Counter = field(default_factory=Counter)
    rate_limited: int = 0
    forbidden: int = 0
    sent: int = 0

    def to_json(self) -> dict:
        return {"requests": dict(self.requests), "rate_limited": self.rate_limited,
                "forbidden": self.forbidden, "sent": self.sent}


# Update types Telegram leaves out unless asked for explicitly.
_NOT_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}


class BotState:
    """One bot, named by its token; its id is the number before the colon, as on Telegram."""

    def __init__(self, token: str, *, username: str, first_name: str, clock: Clock | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.id = int(token.split(":", 1)[0])
        self.username = username
        self.first_name = first_name
        self.clock = clock or SystemClock()
        self.users: dict[int, User] = {}
        self.chats: dict[int, PrivateChat] = {}
        self.updates: deque[dict] = deque()
        self.updates_changed = Signal()
        self.allowed_updates: list[str] | None = None
        self.next_update_id = 1
        self.poller = 0  # bumped by each getUpdates; an older poll still waiting is then terminated
        self.closed = False  # the server is stopping: waiters return at once
        self.webhook: Webhook | None = None
        self.commands: dict[tuple, list[dict]] = {}
        self.files = FileStore()
        self.callback_queries: dict[str, CallbackQuery] = {}
        self._query_ids = itertools.count(1)
        self.flood = FloodControl(monotonic)
        self.stats = BotStats()

    # --- identity and time ---

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def user_json(self) -> dict:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    # --- users and chats ---

    def add_user(self, user: User) -> PrivateChat:
        """Creates the user and their private chat, or updates the user's details if known."""
        chat = self.chats.get(user.id)
        if chat is None:
            self.users[user.id] = user
            chat = self.chats[user.id] = PrivateChat(user)
        else:
            known = chat.user
            for name in ("first_name", "last_name", "username", "language_code", "phone_number"):
                setattr(known, name, getattr(user, name))
            known.started = known.started or user.started
        return chat

    def chat(self, chat_id: int) -> PrivateChat | None:
        return self.chats.get(chat_id)

    # --- messages ---

    def add_message(self, chat: PrivateChat, *, from_bot: bool, kind: str, **fields) -> StoredMessage:
        message = StoredMessage(message_id=chat.next_message_id, chat_id=chat.user.id, from_bot=from_bot,
                                date=self.now(), kind=kind, **fields)
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        if from_bot:
            chat.touch(message)
        return message

    def message_json(self, message: StoredMessage, *, with_reply: bool = True) -> dict:
        """The Message object Telegram would give for it."""
        chat = self.chats[message.chat_id]
        data: dict = {
            "message_id": message.message_id,
            "from": self.user_json() if message.from_bot else chat.user.to_json(),
            "chat": chat.user.chat_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if with_reply and message.reply_to is not None and message.reply_to in chat.messages:
            data["reply_to_message"] = self.message_json(chat.messages[message.reply_to], with_reply=False)
        text_key, entities_key = ("text", "entities") if message.kind == "text" else ("caption", "caption_entities")
        if message.text:
            data[text_key] = message.text
        if message.entities:
            data[entities_key] = message.entities
        if message.kind in ("document", "photo"):
            stored = self.files.get(message.file_id)
            data[message.kind] = stored.document_json() if message.kind == "document" else stored.photo_json()
        if message.kind == "sticker":
            stored = self.files.get(message.file_id)
            data["sticker"] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "type": "regular",
                               "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
        if message.contact is not None:
            data["contact"] = message.contact
        if message.inline_markup is not None:
            # Telegram returns only inline keyboards with a message; reply keyboards live in the chat.
            data["reply_markup"] = message.inline_markup
        return data

    def message_view(self, message: StoredMessage) -> dict:
        """The message as the user side sees it (the fields of `BotMessage`)."""
        stored = self.files.get(message.file_id) if message.file_id else None
        other = message.other_markup
        return {
            "message_id": message.message_id,
            "from_bot": message.from_bot,
            "text": message.text,
            "kind": message.kind,
            "buttons": keyboards.inline_buttons(message.inline_markup),
            "reply_keyboard": keyboards.reply_keyboard(other),
            "request_contact": keyboards.requests_contact(other),
            "remove_keyboard": bool(other and other.get("remove_keyboard")),
            "file_id": message.file_id,
            "filename": stored.file_name if stored and message.kind == "document" else None,
            "parse_mode": message.parse_mode,
            "edited": message.edit_date is not None,
            "deleted": message.deleted,
            "date": message.date,
            "version": message.version,
            "entities": message.entities,
            "contact": message.contact,
        }

    # --- updates ---

    def push_update(self, kind: str, payload: dict) -> dict | None:
        """Queues an update for the bot (polling or webhook); None if the bot does not take this kind."""
        allowed = self.allowed_updates  # set by getUpdates or setWebhook; empty means the default set
        if (kind not in allowed) if allowed else (kind in _NOT_BY_DEFAULT):
            return None
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        self.updates_changed.notify()
        return update

    def confirm_updates(self, offset: int) -> None:
        """getUpdates' offset: updates below it are confirmed and forgotten; a negative offset keeps
        only that many of the newest."""
        if offset < 0:
            while len(self.updates) > -offset:
                self.updates.popleft()
            return
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()

    def new_callback_query(self, user_id: int, message_id: int, data: str) -> CallbackQuery:
        query = CallbackQuery(f"{self.id}{next(self._query_ids):08d}", user_id, message_id, data)
        self.callback_queries[query.id] = query
        return query

    def wake_all(self) -> None:
        """Lets every waiter re-check its condition (used when the server stops)."""
        self.updates_changed.notify()
        for chat in self.chats.values():
            chat.changed.notify()
