"""Telegram's limits: message sizes and keyboards (always checked), flood control (switchable) and the
network between the bot and the server (a random latency per call).

Flood control counts sends by their ARRIVAL time, as strictly as Telegram can be assumed to: at most
`global_count` sends of one bot in any sliding `global_window` seconds (30 in 1 s), and at most
`per_chat_count` to one chat in any sliding `per_chat_window` seconds (3 in 3 s). A send beyond either is
refused with 429 and the whole seconds until the window has room again. Nobody publishes how Telegram
counts; a sliding window is the strictest reading, so a bot that passes here passes there.

The network delays each call by a random latency drawn between `latency_min` and `latency_max` seconds
(seeded, so a run can be repeated) BEFORE the server sees it: requests sent evenly arrive bunched, as
over a real network, and pacing exactly at the limit draws 429s. A call is counted at its modelled
arrival — when the server received it plus its latency (`ARRIVAL`) — not when the server's wait for the
latency ended: in a process shared with the bot (the demo, the tests) a busy event loop ends many waits
late and at once, a bunching no network does. Time here is `time.monotonic` (pacing, not business time),
injectable for tests.
"""

from __future__ import annotations

import contextvars
import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Limits:
    """`enabled` switches flood control (429) on or off; the size limits below always apply, as they
    are Telegram's hard rules — raise them if a benchmark needs to."""

    enabled: bool = True
    global_count: int = 30
    global_window: float = 1.0
    per_chat_count: int = 3
    per_chat_window: float = 3.0
    max_text: int = 4096
    max_caption: int = 1024
    max_callback_data: int = 64
    max_buttons: int = 100
    max_buttons_per_row: int = 8


class SlidingWindow:
    """The arrival times of the last `count` accepted sends, to answer: may one more arrive now?"""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def wait_time(self, count: int, window: float, now: float) -> float:
        """Seconds until one more send fits in any window of `window` seconds ending at its arrival."""
        while self._times and self._times[0] <= now - window:
            self._times.popleft()
        if len(self._times) < count:
            return 0.0
        if count <= 0:
            return math.inf
        return self._times[-count] + window - now

    def take(self, now: float, count: int) -> None:
        self._times.append(now)
        while len(self._times) > max(count, 1):
            self._times.popleft()

    def idle(self, window: float, now: float) -> bool:
        return not self._times or self._times[-1] <= now - window


# The modelled arrival of the call being handled (httpbase.LocalServer.after_latency), on the same clock
# as FloodControl's; unset, a call is counted when it is handled.
ARRIVAL: contextvars.ContextVar[float | None] = contextvars.ContextVar("localapi_arrival", default=None)


class FloodControl:
    """The windows of one bot: one over all its sends, one per chat."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._global = SlidingWindow()
        self._chats: dict[int, SlidingWindow] = {}

    def acquire(self, chat_id: int, limits: Limits) -> int:
        """Count a send arriving now and return 0, or count nothing and return the whole seconds (at
        least 1) until it would fit: Telegram's `retry_after`."""
        if not limits.enabled:
            return 0
        arrival = ARRIVAL.get()
        now = arrival if arrival is not None else self._monotonic()
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) > 10_000:   # forget chats whose window is empty
                self._chats = {c: w for c, w in self._chats.items() if not w.idle(limits.per_chat_window, now)}
            chat = self._chats[chat_id] = SlidingWindow()
        wait = max(
            self._global.wait_time(limits.global_count, limits.global_window, now),
            chat.wait_time(limits.per_chat_count, limits.per_chat_window, now),
        )
        if wait > 0:
            return max(1, math.ceil(min(wait, 86400.0)))
        self._global.take(now, limits.global_count)
        chat.take(now, limits.per_chat_count)
        return 0


@dataclass
class Network:
    """The way from the bot to the server: each call waits a latency drawn uniformly from
    [latency_min, latency_max] seconds before it arrives. All zero (the default) is no network at all,
    as the tests want it; `Network.realistic()` is what the demo, the benchmark and `shcb localapi` use."""

    latency_min: float = 0.0
    latency_max: float = 0.0
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False, compare=False)

    REALISTIC = (0.020, 0.060)

    def __post_init__(self) -> None:
        if not 0 <= self.latency_min <= self.latency_max:
            raise ValueError("latency must satisfy 0 <= latency_min <= latency_max")
        self._random = random.Random(self.seed)

    @classmethod
    def realistic(cls, seed: int | None = 1) -> Network:
        return cls(*cls.REALISTIC, seed=seed)

    def latency(self) -> float:
        """The next call's latency in seconds (0 when there is no network)."""
        if self.latency_max <= 0:
            return 0.0
        return self._random.uniform(self.latency_min, self.latency_max)
