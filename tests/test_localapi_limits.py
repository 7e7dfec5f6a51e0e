"""Flood control, the network and keyboard checks of the local Bot API server, mostly without HTTP
(bot/sandbox/localapi/limits.py, bot/sandbox/localapi/markup.py)."""

from __future__ import annotations

import pytest

from bot.sandbox.localapi import errors
from bot.sandbox.localapi.errors import ApiError
from bot.sandbox.localapi.limits import ARRIVAL, FloodControl, Limits, Network
from bot.sandbox.localapi.markup import check_markup, inline_buttons, reply_keyboard, requests_contact


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_chat_at_most_three_in_any_three_seconds():
    time = FakeMonotonic()
    flood = FloodControl(time)
    limits = Limits()   # 3 per chat in any 3 s
    assert [flood.acquire(7, limits) for _ in range(3)] == [0, 0, 0]
    assert flood.acquire(7, limits) == 3
    assert flood.acquire(8, limits) == 0  # another chat has its own window
    time.now += 2.5
    assert flood.acquire(7, limits) == 1  # half a second to go: rounded up to 1 s
    time.now += 0.5
    assert flood.acquire(7, limits) == 0  # the first three have left the window...
    assert [flood.acquire(7, limits) for _ in range(2)] == [0, 0]
    assert flood.acquire(7, limits) == 3  # ...and three more filled it


def test_a_sliding_window_is_stricter_than_a_bucket_refilling_at_one_per_second():
    """A token bucket (burst 3, then 1/s) would take a fourth send one second after a burst of three;
    any window of 3 s that holds all four breaks the limit."""
    time = FakeMonotonic()
    flood = FloodControl(time)
    limits = Limits()
    for _ in range(3):
        assert flood.acquire(7, limits) == 0
    time.now += 1.0
    assert flood.acquire(7, limits) == 2
    time.now += 1.999
    assert flood.acquire(7, limits) == 1
    time.now += 0.001
    assert flood.acquire(7, limits) == 0


def test_thirty_in_any_second_across_chats_counted_at_arrival():
    time = FakeMonotonic()
    flood = FloodControl(time)
    limits = Limits()
    # 30 sends spread evenly over the first half second, then one just before the second is out.
    for chat in range(30):
        assert flood.acquire(chat, limits) == 0
        time.now += 0.5 / 30
    time.now = 1000.999
    assert flood.acquire(99, limits) == 1
    time.now = 1001.0   # the first one has left the window
    assert flood.acquire(99, limits) == 0
    assert flood.acquire(100, limits) == 1


def test_refused_calls_count_nothing_and_limits_apply_when_changed():
    time = FakeMonotonic()
    flood = FloodControl(time)
    limits = Limits(per_chat_count=1, per_chat_window=1.0)
    assert flood.acquire(1, limits) == 0
    assert flood.acquire(1, limits) == 1
    time.now += 1.0
    assert flood.acquire(1, limits) == 0  # the refused call above did not take room in the window
    limits.enabled = False
    assert all(flood.acquire(1, limits) == 0 for _ in range(500))
    limits.enabled = True
    limits.per_chat_count = 600
    assert flood.acquire(1, limits) == 0


def test_network_latency_is_seeded_and_in_range():
    first = Network(0.02, 0.06, seed=5)
    second = Network(0.02, 0.06, seed=5)
    draws = [first.latency() for _ in range(1000)]
    assert draws == [second.latency() for _ in range(1000)]
    assert all(0.02 <= d <= 0.06 for d in draws)
    assert max(draws) - min(draws) > 0.035          # it does spread over the range
    assert draws[:10] != [Network(0.02, 0.06, seed=6).latency() for _ in range(10)]
    assert Network().latency() == 0.0
    with pytest.raises(ValueError):
        Network(0.05, 0.01)


def test_even_sends_at_exactly_the_limit_arrive_bunched_over_a_jittery_network():
    """Why the bot must leave a margin: 30/s sent evenly, each delayed 20-60 ms, break a strict
    30-in-any-second window; the same pace slowed by the jitter's width does not."""
    def refused(rate: float) -> int:
        time = FakeMonotonic()
        flood = FloodControl(time)
        network = Network.realistic(seed=3)
        arrivals = sorted(1000.0 + n / rate + network.latency() for n in range(300))
        count = 0
        for chat, arrival in enumerate(arrivals):
            time.now = arrival
            count += flood.acquire(chat, Limits()) > 0
        return count

    assert refused(30.0) > 0
    assert refused(30.0 / 1.05) == 0


def _row(n, data="x"):
    return [{"text": str(i), "callback_data": data} for i in range(n)]


def _refusal(markup, limits=None):
    with pytest.raises(ApiError) as caught:
        check_markup(markup, limits or Limits())
    return caught.value.code, caught.value.description


def test_inline_keyboard_limits():
    limits = Limits()
    assert check_markup({"inline_keyboard": [_row(8)] * 12 + [_row(4)]}, limits)  # 100 buttons
    assert _refusal({"inline_keyboard": [_row(8)] * 12 + [_row(5)]}) == (400, errors.MARKUP_TOO_LONG)
    assert _refusal({"inline_keyboard": [_row(9)]}) == (400, errors.MARKUP_TOO_LONG)


def test_callback_data_counts_utf8_bytes():
    limits = Limits()
    assert check_markup({"inline_keyboard": [_row(1, "đ" * 32)]}, limits)  # 64 bytes
    assert _refusal({"inline_keyboard": [_row(1, "đ" * 33)]}) == (400, errors.BUTTON_DATA_INVALID)  # 33 chars, 66 bytes
    assert _refusal({"inline_keyboard": [_row(1, "")]}) == (400, errors.BUTTON_DATA_INVALID)


def test_button_without_action_and_garbage_markup():
    code, description = _refusal({"inline_keyboard": [[{"text": "only text"}]]})
    assert code == 400 and "Text buttons are unallowed in the inline keyboard" in description
    assert _refusal({"nothing": 1}) == (400, errors.CANT_PARSE_MARKUP)
    assert _refusal("[]") == (400, errors.CANT_PARSE_MARKUP)


def test_reading_keyboards_back():
    inline = {"inline_keyboard": [[{"text": "Có", "callback_data": "yes:1"}, {"text": "Web", "url": "https://x.vn"}]]}
    assert inline_buttons(inline) == [[("Có", "yes:1"), ("Web", "https://x.vn")]]
    keyboard = {"keyboard": [[{"text": "Gửi số điện thoại", "request_contact": True}], ["Huỷ"]]}
    assert reply_keyboard(keyboard) == [["Gửi số điện thoại"], ["Huỷ"]]
    assert requests_contact(keyboard) and not requests_contact({"keyboard": [["a"]]})


async def test_over_http_each_call_crosses_the_network_before_it_is_counted(localapi, localapi_bot, localapi_client):
    """A send made first but delayed longer arrives second: the window counts arrivals, so it is the
    one refused."""
    import asyncio
    import time as clock

    from telegram.error import RetryAfter

    await localapi_client.create_user(801, "An", started=True)
    localapi.limits.per_chat_count = 1
    started = clock.monotonic()
    localapi.network = Network(0.2, 0.2)
    slow = asyncio.create_task(localapi_bot.send_message(801, "sent first, arrives second"))
    await asyncio.sleep(0.05)
    localapi.network = Network(0.0, 0.0)
    fast = await localapi_bot.send_message(801, "sent second, arrives first")
    with pytest.raises(RetryAfter):
        await slow
    assert clock.monotonic() - started >= 0.2
    assert fast.text == "sent second, arrives first"
    assert [m.text for m in await localapi_client.messages(801)] == ["sent second, arrives first"]


def test_a_call_is_counted_at_its_modelled_arrival_not_when_it_is_handled():
    """A busy event loop may handle three calls at the same moment that arrived (were received, plus
    their latency) seconds apart: they are counted apart. Unmodelled, the same moment counts once each."""
    limits = Limits(global_count=2, global_window=1.0, per_chat_count=10, per_chat_window=1.0)
    flood = FloodControl(lambda: 100.0)      # every call handled at 100 s
    for arrival in (10.0, 11.5, 13.0):
        token = ARRIVAL.set(arrival)
        try:
            assert flood.acquire(1, limits) == 0
        finally:
            ARRIVAL.reset(token)
    token = ARRIVAL.set(13.5)                 # 13.0 and 13.5 and this: 3 within a second
    try:
        assert flood.acquire(1, limits) == 0
        assert flood.acquire(1, limits) == 1
    finally:
        ARRIVAL.reset(token)
    unmodelled = FloodControl(lambda: 100.0)
    assert [unmodelled.acquire(1, limits) for _ in range(3)] == [0, 0, 1]
