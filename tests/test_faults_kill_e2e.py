"""`kill -9` of the bot, then a restart: during a broadcast (`shcb broadcast`, killed 20 times at random
moments), and in the middle of roll-call, meeting-record and recommendation conversations. The local Bot
API server runs in the test's process and sees every delivery; the bot runs in processes of its own
(tests/fixtures/bot_process.py) on the same SQLite file.

More kills: `FAULT_KILLS=200 .venv/bin/python -m pytest -q -o timeout=0 tests/test_faults_kill_e2e.py`
(`FAULT_SEED=N` for other random moments)."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter

import pytest

from bot.sandbox.localapi import LocalApiClient, LocalBotApi
from storage import accounts, codec, guidance as guidance_store, org, outbox
from tests.fixtures import bot_process
from tests.fixtures.e2e import e2e_limits

pytestmark = pytest.mark.e2e

TOKEN = "4242:KILL-TEST"
KILLS = int(os.environ.get("FAULT_KILLS", "20"))
SEED = int(os.environ.get("FAULT_SEED", "1"))
MARK = "kiểm điểm giữa nhiệm kỳ"


def write_config(tmp_path, db_path, server: LocalBotApi) -> str:
    limits = e2e_limits()
    path = tmp_path / "config.toml"
    path.write_text("\n".join([
        "[telegram]", f'token = "{TOKEN}"', f'base_url = "{server.base_url}"',
        f'base_file_url = "{server.base_file_url}"', "[storage]", f'path = "{db_path}"',
        "[logging]", 'level = "WARNING"',
        # The e2e room per chat (tests/fixtures/e2e.py), so that a conversation never waits a second a reply.
        "[sender]", f"per_chat_burst = {limits.per_chat_count}",
        f"per_chat_interval_seconds = {limits.per_chat_window / limits.per_chat_count}",
        "retry_base_seconds = 0.2", "poll_seconds = 0.2",
    ]) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
async def server():
    api = LocalBotApi(limits=e2e_limits())
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.fixture
async def client(server):
    api = LocalApiClient(server.user_url, TOKEN)
    try:
        yield api
    finally:
        await api.close()


async def join(db, client, people) -> dict[int, int]:
    """person id → chat id, as if each had joined."""
    chats = {}
    for person in people:
        user_id = 10_000_000 + person.id
        await client.create_user(user_id, person.full_name.split()[-1], started=True)
        await accounts.link(db, external_id=user_id, chat_id=user_id, person_id=person.id,
                            at=codec.instant(codec.parse_instant("2026-11-27T09:00:00+07:00")))
        chats[person.id] = user_id
    return chats


async def exited(process, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while process.exitcode is None:
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the bot process did not finish within {timeout:g} s")
        await asyncio.sleep(0.02)
    return process.exitcode


async def kill(process) -> None:
    process.kill()                       # SIGKILL: no handler runs, nothing is flushed
    await exited(process, 10)


async def deliveries_reach(server: LocalBotApi, count: int, process, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while server.stats(TOKEN)["sent"] < count and process.exitcode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.003)


async def test_kill_9_during_a_broadcast_twenty_times(roster_db, server, client, tmp_path):
    db = roster_db
    # About 70 recipients for 20 kills; more kills, more wards (all 34, 612 people, from 170 kills).
    wards = (await org.units_of_kind(db, "ward"))[:max(4, KILLS // 5)]
    leaders = []
    for ward in wards:
        cells = await org.cells_under(db, ward.id)
        leaders += [p for p, _m in await org.current_members(db, [c.id for c in cells], ("secretary", "deputy"))]
    chats = await join(db, client, leaders)
    assert len(chats) >= 60
    text = tmp_path / "huong-dan.md"
    text.write_text(f"# Hướng dẫn tháng 12\n\nNội dung: {MARK}.\n", encoding="utf-8")
    config = write_config(tmp_path, db.path, server)
    argv = ["--config", config, "broadcast", "--all", "--file", str(text), "--month", "2026-12"]
    log = str(tmp_path / "broadcast.log")
    rng = random.Random(SEED)

    started = time.monotonic()
    kills = 0
    while kills < KILLS:
        process = bot_process.start(bot_process.shcb, argv, log)
        if rng.random() < 0.5:
            # a random moment from the process's start: starting, recording, recovering or sending
            await asyncio.sleep(rng.uniform(0.0, 0.6))
        else:
            # just after a few more deliveries: the nasty moment, a copy delivered and not yet marked sent
            await deliveries_reach(server, server.stats(TOKEN)["sent"] + rng.randint(1, 4), process)
            await asyncio.sleep(rng.uniform(0.0, 0.01))
        if process.exitcode is not None:
            break   # it finished everything before the kill: no more broadcast to kill
        await kill(process)
        kills += 1
    # Restarted once more and left alone, it finishes the broadcast.
    process = bot_process.start(bot_process.shcb, argv, log)
    status = await exited(process, 60)
    elapsed = time.monotonic() - started
    output = open(log, encoding="utf-8").read()
    assert status == 0, output[-2000:]
    assert kills >= min(KILLS, 15), f"only {kills} kills landed during the broadcast"

    # One guidance, one copy queued per recipient, every copy sent.
    [guidance_id] = [row["id"] for row in await db.fetchall("SELECT id FROM guidance")]
    ref = guidance_store.ref(guidance_id)
    assert await outbox.counts_by_status(db, ref) == {"sent": len(chats)}
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE ref = ?", (ref,)) == len(chats)
    # Everyone has the guidance; duplicates bounded.
    copies = Counter()
    for person_id, chat in chats.items():
        copies[chat] = sum(1 for m in await client.messages(chat) if m.from_bot and MARK in m.text)
        assert copies[chat] >= 1, f"person {person_id} has no copy after {kills} kills"
    duplicates = sum(n - 1 for n in copies.values())
    max_in_flight = 4   # [sender] max_in_flight: the copies that can be delivered and not yet recorded
    assert max(copies.values()) <= 1 + kills
    assert duplicates <= kills * max_in_flight
    assert "Traceback" not in output
    print(f"\n{kills} kills during a broadcast to {len(chats)}: {duplicates} duplicates "
          f"(at most {max(copies.values()) - 1} to one person), {elapsed:.1f} s")
