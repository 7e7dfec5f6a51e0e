"""Flood control and keyboard checks of the local Bot API server, without HTTP (bot/sandbox/localapi/limits.py,
bot/sandbox/localapi/markup.py)."""

from __future__ import annotations

import pytest

from bot.sandbox.localapi import errors
from bot.sandbox.localapi.errors import ApiError
from bot.sandbox.localapi.limits import FloodControl, Limits
from bot.sandbox.localapi.markup import check_markup, inline_buttons, reply_keyboard, requests_contact


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_chat_burst_then_one_per_second():
    time = FakeMonotonic()
    flood = FloodControl(time)
    limits = Limits(per_chat_burst=5, per_chat_per_second=1.0)
    assert [flood.acquire(7, limits) for _ in range(5)] == [0] * 5
    assert flood.acquire(7, limits) == 1
    assert flood.acquire(8, limits) == 0  # another chat has its own bucket
    time.now += 0.5
    assert flood.acquire(7, limits) == 1  # half a token back: still wait, rounded up to 1 s
    time.now += 0.5
    assert flood.acquire(7, limits) == 0
    assert flood.acquire(7, limits) == 1


def test_retry_after_is_whole_seconds_until_a_token():
    time = FakeMonotonic()
    flood = FloodControl(time)
    limits = Limits(per_chat_burst=1, per_chat_per_second=0.25)
    assert flood.acquire(1, limits) == 0
    assert flood.acquire(1, limits) == 4
    time.now += 1.5
    assert flood.acquire(1, limits) == 3


def test_global_bucket_spans_chats():
    time = FakeMonotonic()
    flood = FloodControl(time)
    limits = Limits(global_burst=30, global_per_second=30.0)
    assert all(flood.acquire(chat, limits) == 0 for chat in range(30))
    assert flood.acquire(99, limits) == 1
    time.now += 1 / 30
    assert flood.acquire(99, limits) == 0


def test_refused_calls_use_no_token_and_limits_apply_when_changed():
    time = FakeMonotonic()
    flood = FloodControl(time)
    limits = Limits(per_chat_burst=1, per_chat_per_second=1.0)
    assert flood.acquire(1, limits) == 0
    assert flood.acquire(1, limits) == 1
    time.now += 1.0
    assert flood.acquire(1, limits) == 0  # the refused call above did not eat this token
    limits.enabled = False
    assert all(flood.acquire(1, limits) == 0 for _ in range(500))


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
