"""Telegram's limits: message sizes and keyboards (always checked) and flood control (switchable).

Flood control is a pair of token buckets per bot, as Telegram roughly behaves: one across all the
bot's sending calls (about 30 per second) and one per chat (about 1 per second sustained, with a small
burst). A call that finds either bucket empty is refused with 429 and the whole seconds until a token
is back. Time here is `time.monotonic` (pacing, not business time), injectable for tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Limits:
    """`enabled` switches flood control (429) on or off; the size limits below always apply, as they
    are Telegram's hard rules — raise them if a benchmark needs to."""

    enabled: bool = True
    global_per_second: float = 30.0
    global_burst: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 5
    max_text: int = 4096
    max_caption: int = 1024
    max_callback_data: int = 64
    max_buttons: int = 100
    max_buttons_per_row: int = 8


class TokenBucket:
    """Holds up to `capacity` tokens, refilled at `rate` per second; rate and capacity are passed at
    each use so a change to Limits applies at once."""

    def __init__(self, now: float) -> None:
        self._tokens: float | None = None  # full until first use
        self._updated = now

    def _level(self, rate: float, capacity: int, now: float) -> float:
        if self._tokens is None:
            return float(capacity)
        return min(float(capacity), self._tokens + max(0.0, now - self._updated) * rate)

    def wait_time(self, rate: float, capacity: int, now: float) -> float:
        """Seconds until one token is available (0 when one is)."""
        level = self._level(rate, capacity, now)
        if level >= 1.0 - 1e-9:  # float sums of refills fall a hair short
            return 0.0
        if rate <= 0:
            return math.inf
        return (1.0 - level) / rate

    def take(self, rate: float, capacity: int, now: float) -> None:
        self._tokens = self._level(rate, capacity, now) - 1.0
        self._updated = now


class FloodControl:
    """The buckets of one bot."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._global = TokenBucket(monotonic())
        self._chats: dict[int, TokenBucket] = {}

    def acquire(self, chat_id: int, limits: Limits) -> int:
        """Take a token from both buckets and return 0, or take nothing and return the whole seconds
        (at least 1) to wait."""
        if not limits.enabled:
            return 0
        now = self._monotonic()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = TokenBucket(now)
        wait = max(
            self._global.wait_time(limits.global_per_second, limits.global_burst, now),
            chat.wait_time(limits.per_chat_per_second, limits.per_chat_burst, now),
        )
        if wait > 0:
            return max(1, math.ceil(min(wait, 86400.0)))
        self._global.take(limits.global_per_second, limits.global_burst, now)
        chat.take(limits.per_chat_per_second, limits.per_chat_burst, now)
        return 0
