"""How many outbox rows are under way at once (bot/delivery/in_flight.py): as few as keep the pace."""

from __future__ import annotations

import asyncio

from bot.delivery.in_flight import InFlightLimit

TURN = 0.035   # 30 a second, widened by the jitter margin


def limit_after(sends: list[float], most: int = 8, turn: float = TURN) -> int:
    limit = InFlightLimit(most, lambda: turn)
    for seconds in sends:
        limit.observe(seconds)
    return limit.limit


def test_one_at_a_time_until_a_send_is_measured_and_while_sends_take_less_than_a_turn():
    assert limit_after([]) == 1
    assert limit_after([0.012] * 40) == 1          # a nearby server: a kill costs at most one duplicate


def test_as_many_as_the_round_trip_needs_to_keep_the_pace_and_never_more_than_the_most():
    assert limit_after([0.060] * 40) == 3          # 60 ms × 1.25 ÷ 35 ms = 2.1 → 3
    assert limit_after([0.250] * 40) == 8          # from Vietnam to Telegram's servers: 9 needed, 8 at most
    assert limit_after([0.250] * 40, most=4) == 4


def test_the_estimate_is_the_90th_percentile_of_the_last_sends():
    assert limit_after([0.010] * 30 + [0.500] * 2) == 1    # two slow ones among 32: not the 90th percentile
    assert limit_after([0.500] * 40 + [0.010] * 32) == 1   # only the last 32 count


def test_without_an_overall_limit_the_most():
    assert limit_after([], turn=0.0) == 8


async def test_a_waiting_slot_is_given_when_one_is_released_or_the_limit_grows():
    limit = InFlightLimit(4, lambda: TURN)
    await limit.acquire()
    second = asyncio.ensure_future(limit.acquire())
    await asyncio.sleep(0.01)
    assert not second.done()                       # one at a time so far
    for _ in range(32):
        limit.observe(0.060)                       # the round trip is longer than a turn: 3 at once
    await asyncio.sleep(0)
    assert second.done()
    third = asyncio.ensure_future(limit.acquire())
    await asyncio.sleep(0)
    assert third.done()
    fourth = asyncio.ensure_future(limit.acquire())
    await asyncio.sleep(0.01)
    assert not fourth.done()
    limit.release()
    await asyncio.sleep(0)
    assert fourth.done() and limit.widest == 3


async def test_a_slot_is_given_back_whatever_happens_inside():
    limit = InFlightLimit(1, lambda: TURN)
    try:
        async with limit.slot() as slot:
            await slot.take()
            raise RuntimeError("the send failed")
    except RuntimeError:
        pass
    async with limit.slot() as slot:
        await asyncio.wait_for(slot.take(), 1)     # not held by the first
        slot.turn_came()
        slot.recorded()
    assert limit.limit == 1
