"""The Zalo server's memory, with no HTTP in it: one `ZaloBot` per token (its users, each private chat's
messages in order, the update queue, the webhook and counters).

Zalo ids (users, chats, messages) are strings of 20 hex digits, as in Zalo's documented samples; here
they are derived from the token and a counter, so a run can be repeated. A user's chat id is their user
id. Dates are milliseconds since the epoch. Everything runs on one asyncio loop; waiting uses `Signal`.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.clock import Clock, SystemClock
from bot.sandbox.localapi.limits import FloodControl
from bot.sandbox.localapi.state import BotStats, Signal, Webhook

EVENTS = {
    "text": "message.text.received",
    "image": "message.image.received",
    "sticker": "message.sticker.received",
    "unsupported": "message.unsupported.received",
}


@dataclass
class ZaloMessage:
    """A message of a private chat: `kind` is "text", "photo" or "sticker" from the bot; "text",
    "image", "sticker" or "unsupported" from the user."""

    message_id: str
    from_bot: bool
    kind: str
    date: int
    text: str = ""
    photo: str | None = None
    caption: str = ""
    sticker: str | None = None
    index: int = 0  # its place among the bot's messages in this chat (0, 1, …); user messages: -1

    def view(self) -> dict:
        """As the user side shows it (the fields of `client.ZaloBotMessage`)."""
        return {"message_id": self.message_id, "from_bot": self.from_bot, "kind": self.kind, "date": self.date,
                "text": self.text, "photo": self.photo, "caption": self.caption, "sticker": self.sticker,
                "index": self.index}


@dataclass
class ZaloUser:
    id: str
    display_name: str
    wrote: bool = False  # has written to the bot: only then may the bot write to them
    messages: list[ZaloMessage] = field(default_factory=list)
    sent_by_bot: int = 0
    typing: int = 0  # chat actions the bot showed
    changed: Signal = field(default_factory=Signal)

    def describe(self) -> dict:
        return {"id": self.id, "display_name": self.display_name, "wrote": self.wrote}

    def bot_messages(self, since: int = 0) -> list[ZaloMessage]:
        return [m for m in self.messages if m.from_bot and m.index >= since]


class ZaloBot:
    """One bot, named by its token `<bot id>:<secret>`."""

    def __init__(self, token: str, *, account_name: str, clock: Clock | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.id = token.split(":", 1)[0]
        self.account_name = account_name
        self.clock = clock or SystemClock()
        self.users: dict[str, ZaloUser] = {}
        self.updates: deque[dict] = deque()  # waiting for the bot; leave only when taken
        self.updates_changed = Signal()
        self.pushed = 0  # updates queued so far; the n-th is taken once `taken >= n`
        self.webhook: Webhook | None = None
        self.webhook_updated_at = 0
        self.closed = False
        self.flood = FloodControl(monotonic)
        self.stats = BotStats()
        self._ids = itertools.count(1)

    # --- identity and time ---

    def now(self) -> int:
        """Milliseconds since the epoch, Zalo's dates."""
        return int(self.clock.now().timestamp() * 1000)

    def new_id(self) -> str:
        return hashlib.sha1(f"{self.token}/{next(self._ids)}".encode()).hexdigest()[:20]

    def me(self) -> dict:
        return {"id": self.id, "account_name": self.account_name, "account_type": "BASIC", "can_join_groups": False}

    # --- users and messages ---

    def add_user(self, user_id: str | None, display_name: str, wrote: bool = False) -> ZaloUser:
        """Creates a user (a new id unless given), or renames a known one."""
        user = self.users.get(user_id) if user_id else None
        if user is None:
            user = ZaloUser(user_id or self.new_id(), display_name, wrote)
            self.users[user.id] = user
        else:
            user.display_name = display_name
            user.wrote = user.wrote or wrote
        return user

    def add_bot_message(self, user: ZaloUser, kind: str, **fields) -> ZaloMessage:
        message = ZaloMessage(self.new_id(), True, kind, self.now(), index=user.sent_by_bot, **fields)
        user.sent_by_bot += 1
        user.messages.append(message)
        self.stats.sent += 1
        user.changed.notify()
        return message

    def from_user(self, user: ZaloUser, kind: str, **fields) -> tuple[ZaloMessage, int]:
        """The user's message, kept and queued for the bot; (message, its update's number)."""
        user.wrote = True
        message = ZaloMessage(self.new_id(), False, kind, self.now(), index=-1, **fields)
        user.messages.append(message)
        body: dict = {
            "from": {"id": user.id, "display_name": user.display_name, "is_bot": False},
            "chat": {"id": user.id, "chat_type": "PRIVATE"},
            "message_id": message.message_id, "date": message.date,
        }
        if kind == "text":
            body["text"] = message.text
        elif kind == "image":
            body["photo"] = message.photo
            if message.caption:
                body["caption"] = message.caption
        elif kind == "sticker":
            body["sticker"] = message.sticker
        self.updates.append({"event_name": EVENTS[kind], "message": body})
        self.pushed += 1
        self.updates_changed.notify()
        return message, self.pushed

    # --- updates ---

    @property
    def taken(self) -> int:
        """How many updates the bot has taken (by getUpdates, or accepted by its webhook)."""
        return self.pushed - len(self.updates)

    def take_update(self) -> dict:
        update = self.updates.popleft()
        self.updates_changed.notify()
        return update

    def wake_all(self) -> None:
        self.updates_changed.notify()
        for user in self.users.values():
            user.changed.notify()
