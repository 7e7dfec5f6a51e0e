"""SQLite busy: another program holds the database's write lock while a person acts. Within the busy
timeout the write waits and completes; past it the person is told, in their language, that the system
is busy and nothing was changed — and nothing was."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from bot.core import i18n
from storage import org
from tests.fixtures.e2e import _close_stage, _open_stage

pytestmark = pytest.mark.e2e

vi = i18n.get("vi").gettext
en = i18n.get("en").gettext
BUSY = "The system is busy right now. Nothing was changed: please try again in a moment."
SWITCHED_TO_EN = "I will speak English with you from now on."

# Another program: takes the write lock, says so, and holds it for `hold` seconds (or, with 0, until its
# stdin closes).
_LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
hold = float(sys.argv[2])
time.sleep(hold) if hold else sys.stdin.read()
conn.execute("ROLLBACK")
"""


async def hold_lock(path: str, hold: float) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", _LOCKER, path, str(hold),
                                                   stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert await asyncio.wait_for(process.stdout.readline(), 10) == b"locked\n"
    return process


async def release(process: asyncio.subprocess.Process) -> None:
    process.stdin.close()
    assert await asyncio.wait_for(process.wait(), 10) == 0


@pytest.fixture
async def short_busy(tmp_path, roster_template_db):
    """The e2e bot with a busy timeout of half a second ([storage] busy_timeout_seconds)."""
    stage = await _open_stage(tmp_path, roster_template_db, busy_timeout=0.5)
    try:
        await stage.start_app("polling")
        yield stage
    finally:
        await _close_stage(stage)


async def test_a_lock_shorter_than_the_timeout_is_waited_out_and_the_action_completes(e2e):
    secretary = await e2e.person("secretary")
    u = await e2e.chat_as(secretary)
    locker = await hold_lock(e2e.db.path, 2.0)
    started = time.monotonic()
    await u.send("/language")
    answer = await u.reply(timeout=8)
    assert answer.text == SWITCHED_TO_EN
    assert time.monotonic() - started > 1.5, "the write waited for the other program's lock"
    assert await asyncio.wait_for(locker.wait(), 10) == 0
    assert (await org.get_person(e2e.db, secretary.id)).language == "en"


@pytest.mark.parametrize("language", ["vi", "en"])
async def test_a_lock_past_the_timeout_tells_the_person_to_wait_and_changes_nothing(short_busy, language):
    t = i18n.get(language).gettext
    secretary = await short_busy.person("secretary")
    u = await short_busy.chat_as(secretary, language=language)
    locker = await hold_lock(short_busy.db.path, 0)
    try:
        await u.send("/language")
        assert (await u.reply()).text == t(BUSY)
        await u.no_reply()
    finally:
        await release(locker)
    assert (await org.get_person(short_busy.db, secretary.id)).language == language, "nothing changed"
    # Once the other program lets go, the same action works.
    await u.send("/language")
    other = "en" if language == "vi" else "vi"
    assert (await u.reply()).text == i18n.get(other).gettext(SWITCHED_TO_EN)
    assert (await org.get_person(short_busy.db, secretary.id)).language == other
