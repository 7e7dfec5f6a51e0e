"""The one send budget per bot token (bot/delivery/pacing.py): turns, interactive priority, per-chat
windows, and — against the local server counting strictly on arrival over a jittery network — the outbox
sender and the application's replies together drawing no 429 only because they share it."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.core.config import Config, SenderConfig
from bot.core.context import AppContext
from bot.delivery.pacing import SendBudget, budget_for
from bot.delivery.rate_limit import SharedBudgetRateLimiter
from bot.delivery.sender import drain
from bot.sandbox.localapi import Network
from bot.delivery.http import tls_context
from storage import codec, outbox
from storage.outbox import OutgoingMessage
from tests.fixtures.localapi import LOCALAPI_TOKEN

# A sped-up Telegram: 10 sends in any second, over a network of 5-15 ms; the bot told the same.
RATE = 10


def sender_config(**overrides) -> SenderConfig:
    values = dict(overall_per_second=float(RATE), per_chat_interval_seconds=0.2, per_chat_burst=3,
                  network_jitter_seconds=0.02, max_in_flight=4)
    values.update(overrides)
    return SenderConfig(**values)


# --- The budget on its own -------------------------------------------------------------------------------


async def test_turns_are_evenly_spaced_by_the_rate_widened_by_the_jitter():
    budget = SendBudget(sender_config(overall_per_second=50.0, network_jitter_seconds=0.05))
    started = time.monotonic()
    times = []
    for _ in range(6):
        await budget.acquire(interactive=False)
        times.append(time.monotonic() - started)
    gaps = [b - a for a, b in zip(times, times[1:])]
    turn, allowance = 1.05 / 50, 0.05 / 10
    # On the grid: the sixth turn five turns after the first. A turn handed out late (a loaded machine) is
    # made up by the next, never closer than half a turn (less the lag allowance of pacing.py).
    assert times[-1] >= 5 * turn - 0.002, times
    assert min(gaps) >= turn / 2 - allowance - 0.002, gaps


async def test_a_turn_handed_out_late_is_made_up_within_the_window():
    """A busy event loop (here: 0.2 s blocked) delays a turn; the queue then gets turns half a turn apart
    until it is back on the grid — never more than the rate in any widened window."""
    budget = SendBudget(sender_config(overall_per_second=10.0, network_jitter_seconds=0.05))
    started = time.monotonic()
    times = []

    async def take() -> None:
        await budget.acquire(interactive=False)
        times.append(time.monotonic() - started)

    waiting = [asyncio.create_task(take()) for _ in range(20)]
    await asyncio.sleep(0.3)
    time.sleep(0.2)             # the loop is stuck: the turns due meanwhile are late
    await asyncio.gather(*waiting)
    # 20 turns on a grid of 0.105 s: the last at 19 × 0.105 ≈ 2.0 s, as if nothing had been late (without
    # the catch-up it would be 0.2 s later).
    assert times[-1] < 19 * 0.105 + 0.1, times
    # The times are taken when each task runs again, a little after its turn was granted (on a loaded
    # machine some more than others); the budget counts each turn from that moment (less a tenth of the
    # jitter margin), not from the grant, so even then no 11 fall within the widened window.
    allowance = 0.05 / 10
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.105 / 2 - allowance - 0.002, times
    assert min(b - a for a, b in zip(times, times[10:])) >= 1.05 - allowance - 0.002, times


def test_a_turn_granted_a_little_late_counts_from_when_it_was_due():
    """The dispatcher woke 3 ms late (a busy loop): within the lag allowance (a tenth of the jitter margin)
    the turn counts from its due moment, so the turn a window later is not 3 ms later too — those lags
    added up window after window. A lag beyond the allowance counts, less the allowance."""
    now = [100.0]
    budget = SendBudget(sender_config(overall_per_second=10.0, network_jitter_seconds=0.05),
                        monotonic=lambda: now[0])
    window, allowance = 1.05, 0.005
    for turn in range(10):
        due = 100.0 + turn * 0.105
        now[0] = due + 0.003
        budget._grant(now[0], False, due=due)
    assert budget._free_at() == pytest.approx(100.0 + window)          # not 3 ms later
    late = [200.0]
    budget = SendBudget(sender_config(overall_per_second=10.0, network_jitter_seconds=0.05),
                        monotonic=lambda: late[0])
    for turn in range(10):
        due = 200.0 + turn * 0.105
        budget._grant(due + 0.020, False, due=due)                     # 20 ms late: 15 ms of it counts
    assert budget._free_at() == pytest.approx(200.0 + 0.020 - allowance + window)


async def test_an_interactive_request_goes_before_waiting_broadcast_copies():
    budget = SendBudget(sender_config(overall_per_second=20.0))
    order: list[str] = []

    async def take(name: str, interactive: bool) -> None:
        await budget.acquire(interactive=interactive)
        order.append(name)

    bulk = [asyncio.create_task(take(f"copy {n}", False)) for n in range(6)]
    await asyncio.sleep(0)          # the copies are waiting (the first has its turn)
    reply = asyncio.create_task(take("reply", True))
    await asyncio.gather(reply, *bulk)
    assert order.index("reply") <= 2, order
    assert [name for name in order if name != "reply"] == [f"copy {n}" for n in range(6)]
    assert budget.granted == {"interactive": 1, "bulk": 6}


async def test_per_chat_at_most_the_burst_in_any_widened_window():
    budget = SendBudget(sender_config(overall_per_second=1000.0, per_chat_interval_seconds=0.1,
                                      network_jitter_seconds=0.02))
    started = time.monotonic()
    times = []
    for _ in range(4):
        await budget.acquire(7, interactive=True)
        times.append(time.monotonic() - started)
    await budget.acquire(8, interactive=True)   # another chat: at once
    assert times[2] < 0.05 and times[3] >= 0.3 + 0.02
    assert time.monotonic() - started - times[3] < 0.05


async def test_a_reply_does_not_wait_behind_a_broadcast_copy_waiting_for_a_sender_slot():
    """The sender takes one of its few slots after the chat has room (`before_turn`); a copy to this
    person waiting for a slot must not hold the chat's line, or their reply waits for the whole queue."""
    budget = SendBudget(sender_config(overall_per_second=1000.0))
    slot = asyncio.Event()

    async def take_slot() -> None:
        await slot.wait()

    copy = asyncio.ensure_future(budget.acquire(7, interactive=False, before_turn=take_slot))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(budget.acquire(7, interactive=True), 0.5)   # the reply, at once
    assert not copy.done()
    slot.set()
    await asyncio.wait_for(copy, 0.5)


async def test_one_budget_per_token_and_server():
    config = SenderConfig()
    one = budget_for("1:A", "http://x/bot", config)
    assert budget_for("1:A", "http://x/bot", config) is one
    assert budget_for("2:B", "http://x/bot", config) is not one
    assert budget_for("1:A", "http://y/bot", config) is not one


# --- Against the strict, jittery server -------------------------------------------------------------------


@pytest.fixture
async def strict(localapi, localapi_client):
    localapi.limits.global_count = RATE
    localapi.network = Network(0.005, 0.015, seed=11)
    for user_id in range(6000, 6040):
        await localapi_client.create_user(user_id, f"U{user_id}", started=True)
    return localapi


def _app_bot(server, api_root: str, config: SenderConfig) -> ExtBot:
    """A bot like the application's, its limiter on the budget of (token, api_root)."""
    limiter = SharedBudgetRateLimiter(token=LOCALAPI_TOKEN, api_root=api_root, config=config, max_retries=0)
    return ExtBot(LOCALAPI_TOKEN, base_url=server.base_url, rate_limiter=limiter,
                  request=HTTPXRequest(connection_pool_size=16, httpx_kwargs={"verify": tls_context()}))


async def _broadcast_with_replies(db, clock, server, localapi_bot, api_root: str, replies: int = 12):
    """30 outbox copies drained by the sender while the application answers `replies` people, one every
    100 ms. Returns (the sender's counts, the replies' results, each reply's time in seconds)."""
    config = Config()
    config.sender = sender_config()
    ctx = AppContext(config=config, db=db, clock=clock)
    async with db.transaction() as conn:
        await outbox.enqueue(conn, [OutgoingMessage(kind="notice", chat_id=str(6000 + n), payload={"text": "Tin"})
                                    for n in range(30)], at=codec.instant(clock.now()))
    app_bot = _app_bot(server, api_root, config.sender)

    async def reply(n: int):
        await asyncio.sleep(0.5 + 0.1 * n)   # while the broadcast runs
        started = time.monotonic()
        try:
            await app_bot.send_message(6030 + n % 10, f"Trả lời {n}")
        except RetryAfter as error:
            return error, time.monotonic() - started
        return None, time.monotonic() - started

    async with app_bot:
        report, *answers = await asyncio.gather(drain(localapi_bot, ctx), *(reply(n) for n in range(replies)))
    return report.counts, [a for a, _t in answers], [t for _a, t in answers]


async def test_sender_and_replies_on_one_budget_draw_no_429(db, clock, strict, localapi_bot):
    counts, errors, _times = await _broadcast_with_replies(db, clock, strict, localapi_bot, strict.base_url)
    assert counts["sent"] == 30 and counts["rate_limited"] == 0
    assert errors == [None] * 12
    assert strict.stats(LOCALAPI_TOKEN)["rate_limited"] == 0
    assert strict.stats(LOCALAPI_TOKEN)["sent"] == 42


async def test_with_a_budget_each_they_overshoot_the_limit_together(db, clock, strict, localapi_bot):
    # The application's limiter on a budget of its own (another server's key): each paces to the limit,
    # and together they break it.
    counts, errors, _times = await _broadcast_with_replies(db, clock, strict, localapi_bot, "http://elsewhere/bot")
    assert strict.stats(LOCALAPI_TOKEN)["rate_limited"] > 0
    assert counts["rate_limited"] + sum(error is not None for error in errors) > 0


async def test_replies_during_a_saturating_broadcast_wait_a_turn_not_the_queue(db, clock, strict, localapi_bot):
    # Eight copies in flight wait for their turns at 10/s: a reply behind them would wait 0.8 s or more.
    # The jitter margin is the real default's (5 %): the server's 5–15 ms network on a loaded machine can
    # bunch arrivals by more than 2 %.
    config_overrides = {"max_in_flight": 8, "network_jitter_seconds": 0.05}
    config = Config()
    config.sender = sender_config(**config_overrides)
    ctx = AppContext(config=config, db=db, clock=clock)
    async with db.transaction() as conn:
        await outbox.enqueue(conn, [OutgoingMessage(kind="notice", chat_id=str(6000 + n), payload={"text": "Tin"})
                                    for n in range(25)], at=codec.instant(clock.now()))
    app_bot = _app_bot(strict, strict.base_url, config.sender)

    async def reply(n: int) -> float:
        await asyncio.sleep(0.5 + 0.3 * n)
        started = time.monotonic()
        await app_bot.send_message(6030 + n, f"Trả lời {n}")
        return time.monotonic() - started

    async with app_bot:
        started = time.monotonic()
        report, *times = await asyncio.gather(drain(localapi_bot, ctx), *(reply(n) for n in range(5)))
        elapsed = time.monotonic() - started
    assert report.counts["sent"] == 25 and strict.stats(LOCALAPI_TOKEN)["rate_limited"] == 0
    assert max(times) < 0.35, times           # a turn (0.1 s) or two, plus the network
    # The broadcast yielded one turn per reply and no more: 30 turns, each 1.05 / 10 s.
    assert elapsed < (25 + 5) * 1.05 / RATE + 0.6
