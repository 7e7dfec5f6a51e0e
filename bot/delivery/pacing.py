"""One send budget per bot token: every request that counts against Telegram's flood limits — the outbox
sender's copies, the application's direct replies and edits — takes its turn here, whichever `Bot`
object makes it. Two limiters on one token would each keep their own pace and together overshoot it.

Telegram is assumed to count the strict way (ptb-facts.md): at most `overall_per_second` requests
ARRIVING in any sliding second, and at most `per_chat_burst` messages to one chat arriving in any
`per_chat_burst × per_chat_interval_seconds` (3 in 3 s). Requests sent evenly arrive bunched (the
network delays each one differently), so every window is widened by `network_jitter_seconds`:
- overall: turns on an even grid `(1 + jitter) / overall_per_second` apart (30/s becomes about 28.6/s),
  so that a person's reply waits at most about one turn behind a broadcast, and a crowd's answers come
  out evenly rather than in bursts of a window's worth that the bot then has to digest all at once (tried:
  the answers came later, benchmarks/bench_burst.py). A turn handed out late (a busy event loop
  oversleeps) is made up by the next ones, at least half a turn apart, while a queue waits (at most
  `CREDIT_TURNS` turns' worth), so a long queue gets the whole pace, not 0.93 of it; and never more
  than `overall_per_second` turns in any `1 + jitter` seconds, counted from the moment each request
  really left (its task ran again, a little after its turn; more on a loaded machine; a lag of up to a
  tenth of the jitter margin is not counted, or the lags would add up window after window), so that the
  server, counting arrivals, never sees more than the limit in a second;
- per chat: a message may start once the `per_chat_burst`-th last one to that chat started at least
  `window + jitter` ago.
Interactive requests (a person's own action being answered) take the next turn before any waiting
broadcast copy, so a person is answered within a turn or two however large the broadcast.
A 429 pauses every turn for its `retry_after` and halves the pace, which recovers by a little with each
request that goes through. Time is `time.monotonic` (pacing, not business time).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.config import SenderConfig

# How far behind its grid a waiting queue may fall and still make the turns up (a late wake-up of the
# event loop, a few ms; a stall of up to this many turns). More would let a stall turn into a burst that
# the sliding window then repeats window after window, and a reply waits for the window to open.
CREDIT_TURNS = 3
SLOWEST = 1.0       # requests per second the pace never drops below after 429s
RECOVERY = 1.02     # pace regained per request that went through


class SendBudget:
    def __init__(self, config: SenderConfig, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._monotonic = monotonic
        self._slowdown = 1.0          # 1 = the configured pace; 2 = half of it, after a 429
        self._next = 0.0              # the grid: when the next turn is due
        # When the last turns (at most a window's) left: each stamp is the grant's moment, moved on to when
        # its request's task really ran again.
        self._granted: deque[list[float]] = deque()
        self._paused_until = 0.0
        self._urgent: deque[asyncio.Future] = deque()
        self._bulk: deque[asyncio.Future] = deque()
        self._dispatcher: asyncio.Task | None = None
        self._chats: dict[Any, deque[float]] = {}
        self._chat_locks: dict[Any, asyncio.Lock] = {}
        self.granted = {"interactive": 0, "bulk": 0}

    # -- the figures, read at each turn so that a change to the config applies at once --

    def _window(self) -> tuple[int, float]:
        """(turns, seconds): at most that many turns in any sliding window of that length; (0, 0) when
        there is no overall limit."""
        rate = self.config.overall_per_second
        if rate <= 0:
            return 0, 0.0
        turns = max(1, int(rate))
        return turns, self._slowdown * turns * (1.0 + self.config.network_jitter_seconds) / rate

    @property
    def interval(self) -> float:
        turns, seconds = self._window()
        return seconds / turns if turns else 0.0

    def _free_at(self) -> float:
        """When the next turn may be granted: its place on the grid, half a turn after the last one, and
        room in the sliding window."""
        turns, seconds = self._window()
        free = max(self._paused_until, self._next)
        if self._granted:
            free = max(free, self._granted[-1][0] + self.interval / 2)
        if turns and len(self._granted) >= turns:
            free = max(free, self._granted[-turns][0] + seconds)
        return free

    def _chat_window(self) -> float:
        return self.config.per_chat_burst * self.config.per_chat_interval_seconds + self.config.network_jitter_seconds

    # -- taking a turn --

    async def acquire(self, chat_id: Any = None, *, interactive: bool,
                      before_turn: Callable[[], Awaitable[None]] | None = None) -> None:
        """Wait for this request's turn. `chat_id`: the chat a new message goes to (None for requests
        that count only overall, such as edits). `before_turn`: awaited once the chat has room, before
        the turn is asked for (the sender takes a slot there). It is awaited outside the chat's line, so
        that a reply to that person does not wait behind a broadcast copy waiting for a slot."""
        if chat_id is None or self.config.per_chat_interval_seconds <= 0:
            if before_turn is not None:
                await before_turn()
            await self._turn(interactive)
            return
        if before_turn is not None:
            await self._chat_room(chat_id)
            await before_turn()
        async with self._chat_lock(chat_id):   # one request per chat at a time takes the chat's room, in order
            await self._chat_room(chat_id)      # (still there, unless a reply took it meanwhile)
            await self._turn(interactive)
            sent = self._chats.setdefault(chat_id, deque())
            sent.append(self._monotonic())
            while len(sent) > max(1, self.config.per_chat_burst):
                sent.popleft()

    async def _chat_room(self, chat_id: Any) -> None:
        """Until the chat may have another message: its `per_chat_burst`-th last one started at least
        the widened window ago."""
        sent = self._chats.setdefault(chat_id, deque())
        burst = max(1, self.config.per_chat_burst)
        while len(sent) >= burst:
            wait = sent[-burst] + self._chat_window() - self._monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(wait)

    def _chat_lock(self, chat_id: Any) -> asyncio.Lock:
        if len(self._chat_locks) > 5000:   # forget chats with nothing under way and nothing recent
            horizon = self._monotonic() - self._chat_window()
            for chat in [c for c, lock in self._chat_locks.items()
                         if not lock.locked() and (not self._chats.get(c) or self._chats[c][-1] < horizon)]:
                self._chat_locks.pop(chat, None)
                self._chats.pop(chat, None)
        return self._chat_locks.setdefault(chat_id, asyncio.Lock())

    async def _turn(self, interactive: bool) -> None:
        now = self._monotonic()
        if not self._urgent and not self._bulk and self._free_at() <= now:
            # Nobody was waiting: the grid starts again from now (idle time is no credit).
            self._next = now
            self._grant(now, interactive)
            return
        waiter = asyncio.get_running_loop().create_future()
        (self._urgent if interactive else self._bulk).append(waiter)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch(), name="shcb.pacing")
        try:
            stamp = await waiter
        except asyncio.CancelledError:
            for queue in (self._urgent, self._bulk):
                if waiter in queue:
                    queue.remove(waiter)
            raise
        # The request leaves now, a little after its turn (more on a busy loop): counted from when it left,
        # so that the server never sees more than the limit in a second (see _lag_allowance).
        stamp[0] = max(stamp[0], self._monotonic() - self._lag_allowance())

    def _lag_allowance(self) -> float:
        """How late a request may leave after its turn and still count as leaving on time: the first tenth
        of the jitter margin (a few ms of a busy event loop: the dispatcher waking late, the request's task
        running late). Counting every such lag in full lost a turn in 300, and since each turn counts
        against the one a window later, the lags added up: a crowd's answers fell further behind, about
        1.5 ms every second, as long as the queue lasted. Beyond it a lag counts in full."""
        return self.config.network_jitter_seconds / 10

    async def _dispatch(self) -> None:
        """Hands out the turns while anyone waits: interactive requests first, then in order."""
        while self._urgent or self._bulk:
            now = self._monotonic()
            interactive = bool(self._urgent)
            slot = self._free_at()
            if slot > now:
                await asyncio.sleep(slot - now)
                continue
            queue = self._urgent if interactive else self._bulk
            waiter = queue.popleft()
            if waiter.done():   # given up meanwhile
                continue
            waiter.set_result(self._grant(now, interactive, due=slot))

    def _grant(self, now: float, interactive: bool, due: float | None = None) -> list[float]:
        """The turn, stamped with when it leaves: now, or its due moment if now is within the lag allowance
        of it (the dispatcher woke a little late)."""
        # The grid moves on by one turn from where it was, not from now: a late turn is made up.
        self._next = max(self._next, now - CREDIT_TURNS * self.interval) + self.interval
        stamp = [now if due is None else max(due, now - self._lag_allowance())]
        self._granted.append(stamp)
        turns, _seconds = self._window()
        while len(self._granted) > max(turns, 1):
            self._granted.popleft()
        self.granted["interactive" if interactive else "bulk"] += 1
        return stamp

    # -- what Telegram answered --

    def went_through(self) -> None:
        if self._slowdown > 1.0:
            self._slowdown = max(1.0, self._slowdown / RECOVERY)

    def flood_wait(self, seconds: float, chat_id: Any = None) -> None:
        """A 429: Telegram's limit was lower than we thought. Everything waits `seconds`, then goes on
        at half the pace."""
        rate = self.config.overall_per_second
        if rate > 0:
            self._slowdown = min(self._slowdown * 2.0, max(1.0, rate / SLOWEST))
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
        if chat_id is not None:
            sent = self._chats.setdefault(chat_id, deque())
            # As if the chat's window were full until the pause is over.
            until = self._monotonic() + seconds - self._chat_window()
            sent.extend([until] * max(1, self.config.per_chat_burst))
            while len(sent) > max(1, self.config.per_chat_burst):
                sent.popleft()


# --- the registry: one budget per token (and Bot API server) in this process ------------------------------

_BUDGETS: dict[tuple[str, str], tuple[weakref.ref, SendBudget]] = {}

TELEGRAM_API = "https://api.telegram.org/bot"


def budget_for(token: str, api_root: str, config: SenderConfig) -> SendBudget:
    """The budget of `token` on the Bot API server at `api_root` (`[telegram] base_url`, Telegram's own
    when empty), made on first use in this event loop. Its figures follow `config` from then on."""
    loop = asyncio.get_running_loop()
    key = (token, api_root or TELEGRAM_API)
    known = _BUDGETS.get(key)
    if known is not None and known[0]() is loop:
        budget = known[1]
        budget.config = config
        return budget
    for stale in [k for k, (ref, _b) in _BUDGETS.items() if ref() is None or ref().is_closed()]:
        del _BUDGETS[stale]
    budget = SendBudget(config)
    _BUDGETS[key] = (weakref.ref(loop), budget)
    return budget


def budget_of_bot(bot: Any, config: SenderConfig) -> SendBudget:
    """The budget of a python-telegram-bot `Bot` (its token and server)."""
    return budget_for(bot.token, bot.base_url.removesuffix(bot.token), config)
