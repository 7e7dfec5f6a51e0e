"""How many outbox rows the sender works on at once: as few as keep the pace.

Each row under way when the process is killed may have reached Telegram without being recorded as sent,
and is sent again at the restart: a duplicate. One row at a time would make a kill cost at most one, but
send at most one message a round trip (about 4 a second from Vietnam to Telegram's servers, against the
30 allowed). So the number follows Little's law: the pace (turns a second) × how long a send takes from
its turn to its record (the 90th percentile of the last sends, with a quarter more for the spread) — one
while a send takes less than a turn (a nearby server, the local one), more on a long round trip, never
more than `[sender] max_in_flight`. Without an overall limit it is that maximum.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

SAMPLES = 32        # the last sends the estimate is made from
HEADROOM = 1.25     # sends vary: a quarter more than the 90th percentile keeps every turn taken


class InFlightLimit:
    """A semaphore whose size is recomputed from the sends it measures. Time is `time.monotonic` (pacing,
    not business time)."""

    def __init__(self, most: int, turn_seconds: Callable[[], float]) -> None:
        self.most = max(1, most)
        self._turn_seconds = turn_seconds
        self._sends: deque[float] = deque(maxlen=SAMPLES)
        self._active = 0
        self._waiters: deque[asyncio.Future] = deque()
        self.widest = 1     # the most under way at once so far (reported by the sender)

    @property
    def limit(self) -> int:
        turn = self._turn_seconds()
        if turn <= 0:
            return self.most
        if not self._sends:
            return 1
        ordered = sorted(self._sends)
        slow = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        return max(1, min(self.most, math.ceil(slow * HEADROOM / turn)))

    async def acquire(self) -> None:
        while self._active >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self._active += 1
        self.widest = max(self.widest, self._active)

    def slot(self) -> "Slot":
        """`async with limit.slot() as slot:` around one send: `slot.take` is awaited just before its turn,
        `slot.turn_came()` and `slot.recorded()` measure it; the slot is given back on leaving, whatever
        happened."""
        return Slot(self)

    def release(self) -> None:
        self._active -= 1
        self._wake()

    def observe(self, seconds: float) -> None:
        """A send took `seconds` from its turn to its record."""
        self._sends.append(seconds)
        self._wake()   # the limit may have grown

    def _wake(self) -> None:
        room = self.limit - self._active
        for waiter in list(self._waiters)[:max(0, room)]:
            if not waiter.done():
                waiter.set_result(None)


class Slot:
    def __init__(self, limit: InFlightLimit) -> None:
        self._limit = limit
        self._held = False
        self._turn: float | None = None

    async def take(self) -> None:
        await self._limit.acquire()
        self._held = True

    def turn_came(self) -> None:
        self._turn = time.monotonic()

    def recorded(self) -> None:
        if self._turn is not None:
            self._limit.observe(time.monotonic() - self._turn)

    async def __aenter__(self) -> "Slot":
        return self

    async def __aexit__(self, *_exc) -> None:
        if self._held:
            self._held = False
            self._limit.release()
