"""The local Bot API server's transport faults (bot/sandbox/localapi/faults.py), seen through a real
python-telegram-bot `Bot`: each kind raises what Telegram's would, and the chat shows whether the request
was applied before the bot was left without its answer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import timedelta

import httpx

import pytest
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.sandbox.localapi import FaultPlan
from bot.sandbox.localapi.faults import DEFAULT_METHODS

USER = 601
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
async def user(localapi_client):
    await localapi_client.create_user(USER, "Lê", language_code="vi", started=True)
    return USER


def seconds(value) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def bot_texts(client) -> list[str]:
    return [m.text for m in await client.messages(USER) if m.from_bot]


async def test_a_429_asks_to_wait_and_sends_nothing(localapi, localapi_bot, localapi_client, user):
    localapi.faults = FaultPlan(rate=1.0, kinds=("429",), retry_after=3, seed=1)
    with pytest.raises(RetryAfter) as caught:
        await localapi_bot.send_message(USER, "một")
    assert seconds(caught.value.retry_after) == 3
    assert await bot_texts(localapi_client) == []
    assert localapi.faults.counts() == {"429": 1}


async def test_a_5xx_is_a_network_error_and_sends_nothing(localapi, localapi_bot, localapi_client, user):
    localapi.faults = FaultPlan(rate=1.0, kinds=("5xx",), seed=2)
    for _ in range(4):
        with pytest.raises(NetworkError) as caught:
            await localapi_bot.send_message(USER, "một")
        assert caught.value.message in ("Internal Server Error", "Bad Gateway")
    assert await bot_texts(localapi_client) == []
    assert {i.fault.status for i in localapi.faults.injected} <= {500, 502}


async def test_a_timeout_delivers_the_message_but_the_bot_never_hears(localapi, localapi_bot, localapi_client, user):
    localapi.faults = FaultPlan(rate=1.0, kinds=("timeout",), hold_seconds=1.0, seed=3)
    with pytest.raises(TimedOut):
        await localapi_bot.send_message(USER, "đã đến", read_timeout=0.3)
    assert await bot_texts(localapi_client) == ["đã đến"]
    [injected] = localapi.faults.applied()
    assert (injected.method, injected.chat_id, injected.fault.kind) == ("sendmessage", str(USER), "timeout")


async def test_a_drop_closes_the_connection_before_or_after_applying(localapi, localapi_bot, localapi_client, user):
    localapi.faults = FaultPlan(rate=1.0, kinds=("drop",), seed=4)
    localapi.limits.enabled = False   # twelve sends to one chat: flood control is not under test
    for n in range(12):
        with pytest.raises(NetworkError) as caught:
            await localapi_bot.send_message(USER, f"tin {n}")
        assert not isinstance(caught.value, TimedOut)   # an immediate disconnect, not a wait
    counts = localapi.faults.counts()
    assert counts["drop after"] and counts["drop before"] and sum(counts.values()) == 12
    delivered = [f"tin {n}" for n, i in enumerate(localapi.faults.injected) if i.fault.applied]
    assert await bot_texts(localapi_client) == delivered   # exactly the ones dropped after applying
    # The server goes on answering normally on new connections.
    localapi.faults.enabled = False
    assert (await localapi_bot.send_message(USER, "sau cùng")).text == "sau cùng"


async def test_the_rate_is_seeded_and_only_the_chosen_methods_are_hit(localapi, localapi_bot, localapi_client, user):
    def run(seed):
        plan = FaultPlan(rate=0.25, seed=seed)
        return [(i, plan.draw("sendMessage", "1")) for i in range(400)], plan

    first, plan = run(9)
    again, _plan = run(9)
    assert first == again
    hit = sum(1 for _i, fault in first if fault)
    assert 70 <= hit <= 130   # about a quarter of 400
    assert set(plan.counts()) == {"429", "5xx", "timeout", "drop before", "drop after"}
    assert plan.draw("getUpdates") is None and plan.draw("getMe") is None
    assert "getupdates" not in DEFAULT_METHODS
    # Over HTTP: getMe and getUpdates are never hit, whatever the rate.
    localapi.faults = FaultPlan(rate=1.0, seed=1)
    for _ in range(3):
        assert (await localapi_bot.get_me()).is_bot
        assert await localapi_bot.get_updates(timeout=0) == ()
    assert localapi.faults.injected == []


def test_a_plan_refuses_what_makes_no_sense():
    for bad in (dict(rate=1.5), dict(kinds=("404",)), dict(kinds=()), dict(retry_after=0), dict(hold_seconds=-1)):
        with pytest.raises(ValueError):
            FaultPlan(**bad)


def test_shcb_localapi_injects_the_faults_it_is_given(tmp_path):
    env = {**os.environ, "SHCB_LANG": "en"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "localapi", "--port", "0", "--latency-ms", "0", "--no-limits",
         "--faults", "1", "--fault-kinds", "5xx", "--fault-seed", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        banner = ""
        for line in process.stdout:
            banner += line
            if "Ctrl+C" in line:
                break
        assert "Faults: 100 % of the bot's sends, edits and answers get one of 5xx." in banner
        base_url = re.search(r'base_url = "(http://127\.0\.0\.1:\d+/bot)"', banner).group(1)
        assert httpx.get(f"{base_url}123:ABC/getMe", timeout=5).status_code == 200   # never hit
        answer = httpx.post(f"{base_url}123:ABC/sendMessage", data={"chat_id": "1", "text": "x"}, timeout=5)
        assert answer.status_code in (500, 502) and answer.json()["ok"] is False
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0


def test_shcb_localapi_refuses_unknown_fault_kinds_and_rates(capsys, monkeypatch):
    from bot.cli import main

    monkeypatch.setenv("SHCB_LANG", "en")
    for option, said in ((["--fault-kinds", "429,boom"], "not fault kinds: '429,boom'"),
                         (["--faults", "2"], "not a rate from 0 to 1: '2'")):
        with pytest.raises(SystemExit) as stopped:
            main(["localapi", *option])
        assert stopped.value.code == 2
        assert said in capsys.readouterr().err
