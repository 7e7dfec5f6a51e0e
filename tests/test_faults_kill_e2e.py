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
from storage import accounts, guidance as guidance_store, meetings, org, outbox, roll_calls
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
    async with LocalBotApi(limits=e2e_limits()) as api:
        yield api


@pytest.fixture
async def client(server):
    async with LocalApiClient(server.user_url, TOKEN) as api:
        yield api


JOINED_AT = "2026-11-27T09:00:00+07:00"


async def join(db, client, people, language: str = "vi") -> dict[int, int]:
    """person id → chat id, as if each had joined (speaking `language`)."""
    chats = {}
    for person in people:
        user_id = 10_000_000 + person.id
        await client.create_user(user_id, person.full_name.split()[-1], language_code=language, started=True)
        await accounts.link(db, external_id=user_id, chat_id=user_id, person_id=person.id, at=JOINED_AT,
                            language=language, platform=accounts.TELEGRAM)
        if person.language != language:
            await org.set_language(db, person.id, language, JOINED_AT)
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
    unrecorded: list[int] = []   # per kill: copies delivered that the outbox does not say were sent
    counted: Counter = Counter()
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
        unrecorded.append(await delivered_but_unrecorded(db, server, counted))
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
        copies[chat] = copies_in(server, chat)
        assert copies[chat] >= 1, f"person {person_id} has no copy after {kills} kills"
    duplicates = sum(n - 1 for n in copies.values())
    # Each duplicate is a copy that was delivered when a kill came and not yet recorded as sent. A send
    # here takes less than a turn from its turn to its record, so the sender keeps one under way at a time
    # (bot/delivery/in_flight.py): at most one duplicate per kill.
    assert duplicates == sum(unrecorded)
    assert max(unrecorded, default=0) <= 1, unrecorded
    assert max(copies.values()) <= 1 + kills
    assert "Traceback" not in output
    print(f"\n{kills} kills during a broadcast to {len(chats)}: {duplicates} duplicates; kills leaving "
          f"0, 1, 2… duplicates: {sorted(Counter(unrecorded).items())}; {elapsed:.1f} s")


def copies_in(server: LocalBotApi, chat_id: int) -> int:
    """The guidance copies the server delivered to the chat (read from the server's memory: it runs here)."""
    chat = server.bot(TOKEN).chat(chat_id)
    return sum(1 for m in chat.messages.values() if m.from_bot and MARK in m.text) if chat else 0


async def delivered_but_unrecorded(db, server, counted: Counter) -> int:
    """Copies delivered since the last look to recipients whose copy the outbox still has to send: the next
    run sends it again. (`counted`: the copies of each chat looked at so far.)"""
    rows = await db.fetchall("SELECT chat_id FROM outbox WHERE ref LIKE 'guidance:%' AND status != 'sent'")
    found = 0
    for chat in {int(row["chat_id"]) for row in rows}:
        copies = copies_in(server, chat)
        found += max(0, copies - counted[chat])
        counted[chat] = max(copies, counted[chat])
    return found


# --- conversations --------------------------------------------------------------------------------------

MEETING_DAY = "2026-12-03T19:30:00+07:00"


def has_data(message, predicate) -> bool:
    return any(predicate(data) for row in message.buttons for _label, data in row)


def marked(message, number: int, mark: str) -> bool:
    return any(data.endswith(f":t:{number}") and label.startswith(mark) for row in message.buttons
               for label, data in row)


def member_tap(number: int):
    def find(message):
        return next(data for row in message.buttons for _l, data in row if data.endswith(f":t:{number}"))
    return find


# Each step: what the person does (a text, or a function finding the button on the last reply) and how
# they recognise the answer. People speak English, to recognise the answers by their words.
LISTED = lambda m: has_data(m, lambda d: ":t:" in d)                       # noqa: E731
SUMMARY = lambda m: has_data(m, lambda d: d.startswith("rc:") and d.endswith(":save"))   # noqa: E731
SAVED = lambda m: has_data(m, lambda d: d.startswith("rc:end:"))           # noqa: E731
ROLL_CALL = [
    ("roll call", LISTED),
    (member_tap(3), lambda m: marked(m, 3, "❌")),
    ("absent 5", lambda m: marked(m, 5, "❌") and marked(m, 3, "❌")),
    ("no reason 7", lambda m: marked(m, 7, "⛔") and marked(m, 5, "❌")),
    ("done", SUMMARY),
    ("1", SAVED),
]
RECORD = [
    ("roll call", LISTED), ("done", SUMMARY), ("1", SAVED),
    ("/bienban", lambda m: "What kind of meeting" in m.text),
    ("2", lambda m: "Type the topic" in m.text),
    ("Digital transformation in the ward", lambda m: "How many members spoke" in m.text),
    ("9", lambda m: "ward committee member in charge attend" in m.text),
    ("1", lambda m: "main conclusions" in m.text),
    ("Everyone learns the new app by January", lambda m: "grade the cell committee proposes" in m.text),
    ("2", lambda m: "photo or a document of the minutes" in m.text),
    ("skip", lambda m: "Save the record?" in m.text),
    ("1", lambda m: "The meeting record is saved." in m.text),
]
RECOMMENDATION = [
    ("/guikiennghi", lambda m: "(1/4)" in m.text),
    ("2", lambda m: "(2/4)" in m.text),
    ("The market drain overflows after rain", lambda m: "(3/4)" in m.text),
    ("2", lambda m: "(4/4)" in m.text),
    ("1", lambda m: "Send it" in str(m.buttons)),
    ("1", lambda m: "Tracking code" in m.text),
]


class Person:
    def __init__(self, client, user_id: int, steps):
        self.client, self.user_id, self.steps = client, user_id, list(steps)
        self.seen: set[tuple] = set()
        self.last = None

    async def _fresh(self):
        """The bot's messages not seen yet in their present form (new, or edited since)."""
        fresh = []
        for message in await self.client.messages(self.user_id):
            signature = (message.message_id, message.text, str(message.buttons))
            if message.from_bot and signature not in self.seen:
                self.seen.add(signature)
                fresh.append(message)
        return fresh

    async def step(self, timeout: float = 15) -> None:
        action, answered = self.steps.pop(0)
        await self._fresh()   # what came before this action is not its answer
        if isinstance(action, str):
            await self.client.send_text(self.user_id, action)
        else:
            await self.client.press_button(self.user_id, self.last.message_id, action(self.last))
        await self._answer(action, answered, timeout)

    async def wait_for_answer(self, timeout: float = 15) -> None:
        """The answer to an action already made (the next step's test), without acting again."""
        action, answered = self.steps.pop(0)
        await self._answer("(already made)", answered, timeout)

    async def _answer(self, action, answered, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        version = await self.client.version(self.user_id)
        while True:
            for message in await self._fresh():
                if answered(message):
                    self.last = message
                    return
            if time.monotonic() > deadline:
                texts = [m.text[:80] for m in await self.client.messages(self.user_id) if m.from_bot][-3:]
                raise AssertionError(f"user {self.user_id}: no answer to {action!r} in {timeout:g} s; last: {texts}")
            version, _messages = await self.client.wait(self.user_id, version, 0.5)


async def test_kill_9_in_the_middle_of_conversations_resumes_each_where_it_was(roster_db, server, client, tmp_path):
    db = roster_db
    rows = await db.fetchall(
        """SELECT m.unit_id FROM memberships m JOIN people p ON p.id = m.person_id
           JOIN units u ON u.id = m.unit_id AND u.kind = 'cell'
           WHERE m.valid_to IS NULL AND p.active = 1 AND m.role IN ('secretary', 'deputy', 'member')
           GROUP BY m.unit_id HAVING count(*) BETWEEN 12 AND 30 AND sum(p.exempt) = 0 ORDER BY m.unit_id LIMIT 3""")
    cells = [row["unit_id"] for row in rows]
    secretaries = [(await org.current_members(db, [cell], ("secretary",)))[0][0] for cell in cells]
    chats = await join(db, client, secretaries, language="en")
    people = [Person(client, chats[p.id], steps) for p, steps in zip(secretaries, (ROLL_CALL, RECORD, RECOMMENDATION))]
    config = write_config(tmp_path, db.path, server)
    log = str(tmp_path / "bot.log")
    rng = random.Random(SEED)

    started = time.monotonic()
    bot = bot_process.start(bot_process.bot_at, config, MEETING_DAY, log)
    kills = 0
    try:
        # One step at a time, by whoever's turn it is; before many steps, the bot is killed and restarted,
        # sometimes at once after the last answer, sometimes a moment later (the sender may be at work).
        while any(person.steps for person in people):
            person = rng.choice([p for p in people if p.steps])
            if rng.random() < 0.5:
                await asyncio.sleep(rng.uniform(0.0, 0.05))
                await kill(bot)
                kills += 1
                bot = bot_process.start(bot_process.bot_at, config, MEETING_DAY, log)
            await person.step()
    finally:
        if bot.exitcode is None:
            await kill(bot)
    elapsed = time.monotonic() - started
    output = open(log, encoding="utf-8").read()
    assert kills >= 6
    assert "Traceback" not in output and " ERROR " not in output, output[-3000:]

    roll_call_cell, record_cell, recommendation_cell = cells
    start = await roll_calls.get(db, roll_call_cell, "2026-12", "start")
    assert [m.number for m in start.members if m.status == "absent_excused"] == [3, 5]
    assert [m.number for m in start.members if m.status == "absent_unexcused"] == [7]
    assert sorted(m.number for m in start.members) == list(range(1, start.eligible + 1))
    record = await meetings.get_record(db, record_cell, "2026-12")
    assert (record.kind, record.topic, record.speakers, record.ward_member_attended) == (
        "thematic", "Digital transformation in the ward", 9, True)
    assert (record.conclusions, record.proposed_grade) == ("Everyone learns the new app by January", "fair")
    items = await db.fetchall("SELECT content, category FROM recommendations WHERE cell_id = ?", (recommendation_cell,))
    assert [row["content"] for row in items] == ["The market drain overflows after rain"]
    # Nothing saved twice, no draft left behind.
    actions = Counter(row["action"] for row in await db.fetchall("SELECT action FROM audit_log"))
    assert (actions["roll_call.saved"], actions["meeting.recorded"], actions["recommendation.submitted"]) == (2, 1, 1)
    assert await db.fetchval("SELECT count(*) FROM drafts") == 0
    print(f"\n{kills} kills in three conversations ({sum(len(s) for s in (ROLL_CALL, RECORD, RECOMMENDATION))} "
          f"steps): each resumed, {elapsed:.1f} s")



async def test_kill_9_while_a_tap_is_handled_loses_nothing(roster_db, server, client, tmp_path):
    """A kill while a tap is handled costs nothing. python-telegram-bot confirms an update to the server as
    soon as it has queued it, but the bot's queue writes it to the inbox first, and a restarted bot handles
    again what it had taken and not finished; one that had already changed the draft is not applied twice,
    only shown again (its answer may have been what the kill cost). Then the save, killed too, is saved
    once."""
    db = roster_db
    [row] = await db.fetchall(
        """SELECT m.unit_id FROM memberships m JOIN people p ON p.id = m.person_id
           JOIN units u ON u.id = m.unit_id AND u.kind = 'cell'
           WHERE m.valid_to IS NULL AND p.active = 1 AND m.role IN ('secretary', 'deputy', 'member')
           GROUP BY m.unit_id HAVING count(*) BETWEEN 12 AND 30 AND sum(p.exempt) = 0 ORDER BY m.unit_id LIMIT 1""")
    cell = row["unit_id"]
    secretary = (await org.current_members(db, [cell], ("secretary",)))[0][0]
    chat = (await join(db, client, [secretary], language="en"))[secretary.id]
    config = write_config(tmp_path, db.path, server)
    log = str(tmp_path / "bot.log")
    rng = random.Random(SEED)
    person = Person(client, chat, [("roll call", LISTED)])
    bot = bot_process.start(bot_process.bot_at, config, MEETING_DAY, log)
    outcomes = Counter()
    try:
        await person.step()
        for number in range(2, 7):
            tapped = lambda m, n=number: marked(m, n, "❌")            # noqa: E731
            await person._fresh()
            await client.press_button(chat, person.last.message_id, member_tap(number)(person.last))
            await asyncio.sleep(rng.uniform(0.0, 0.04))
            await kill(bot)
            answer = next((m for m in await person._fresh() if tapped(m)), None)
            outcomes["answered before the kill" if answer else await where_the_kill_left(db, client)] += 1
            bot = bot_process.start(bot_process.bot_at, config, MEETING_DAY, log)
            if answer is not None:
                person.last = answer
                continue
            # Whatever the kill interrupted, the person gets the answer to their tap, without tapping again.
            person.steps = [(lambda m: None, tapped)]
            await person.wait_for_answer()
        person.steps = [("done", SUMMARY), ("1", SAVED)]
        await person.step()
        await person._fresh()
        await client.send_text(chat, "1")
        await asyncio.sleep(rng.uniform(0.0, 0.04))
        await kill(bot)
        bot = bot_process.start(bot_process.bot_at, config, MEETING_DAY, log)
        assert (await client.fetched(timeout=10))["fetched"]
        await inbox_drained(db)
    finally:
        if bot.exitcode is None:
            await kill(bot)
    start = await roll_calls.get(db, cell, "2026-12", "start")
    assert [m.number for m in start.members if m.status != "present"] == [2, 3, 4, 5, 6]
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'roll_call.saved'") == 1
    assert await db.fetchval("SELECT count(*) FROM drafts") == 0
    assert "Traceback" not in open(log, encoding="utf-8").read()
    print(f"\n5 kills while a tap was handled, each answered after all: {dict(outcomes)}")


async def where_the_kill_left(db, client) -> str:
    """Where the kill came in the life of a tap's update not answered yet (the server's and the database's
    view)."""
    pending = await db.fetchval("SELECT max(update_id) FROM inbox WHERE handled_at IS NULL")
    if pending is None:
        confirmed = (await client.fetched(timeout=0))["fetched"]
        return "handled, its answer on its way" if confirmed else "not taken yet: taken after the restart"
    applied = await db.fetchval("SELECT update_id FROM drafts")
    if applied is not None and applied >= pending:
        return "applied, not marked handled: shown again after the restart"
    return "taken, not applied: handled after the restart"


async def inbox_drained(db, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while await db.fetchval("SELECT count(*) FROM inbox WHERE handled_at IS NULL"):
        assert time.monotonic() < deadline, "the restarted bot did not finish the updates in its inbox"
        await asyncio.sleep(0.02)
