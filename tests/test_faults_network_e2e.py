"""Transport faults end to end: the local Bot API server answers about one in ten of the bot's sends, edits
and callback answers with a 429, a 5xx, a time-out or a dropped connection (half of the drops after the
message was delivered), during a broadcast and during a burst of roll calls. Everything is delivered and
recorded once; duplicates come only from faults after which the message had been delivered, at most one
each (README "Delivery guarantees")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest

from bot.core.clock import VN_TZ
from bot.delivery import guidance_delivery as delivery
from bot.rules import guidance as guidance_rules
from bot.sandbox.localapi import FaultPlan
from storage import audit, drafts, guidance as guidance_store, org, outbox, roll_calls

pytestmark = pytest.mark.e2e

# Clients give up on a request after this long (`[telegram] request_timeout_seconds`); a "timeout" fault
# holds its answer a little longer. Short, to keep the test fast; not so short that a loaded machine's
# ordinary answer comes later than that.
REQUEST_TIMEOUT = 1.5
KINDS = {"429", "5xx", "timeout", "drop before", "drop after"}
APOLOGY = ("Xin lỗi", "Sorry")


@pytest.fixture
async def faulty(e2e, caplog):
    """The e2e bot with short request time-outs and quick retries, and a fault plan on its server
    (switched on by each test once its people are set up)."""
    e2e.config.telegram.request_timeout_seconds = REQUEST_TIMEOUT
    e2e.config.sender.retry_base_seconds = 0.5
    e2e.config.sender.max_attempts = 10
    await e2e.restart()
    caplog.set_level(logging.WARNING)
    yield e2e
    if e2e.server.faults is not None:
        e2e.server.faults.enabled = False   # let the bot stop without more faults


def errors_logged(caplog) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


@contextlib.asynccontextmanager
async def fast_clock(e2e, step=timedelta(seconds=1)):
    """Business time runs a second per 50 ms, so the sender's back-off (`not_before`) comes round fast."""
    async def run():
        while True:
            await asyncio.sleep(0.05)
            e2e.clock.advance(step)
            e2e.ctx.wake_sender()

    task = asyncio.create_task(run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def sent_faults_per_chat(plan: FaultPlan) -> Counter:
    return Counter(injected.chat_id for injected in plan.applied())


async def test_a_broadcast_under_faults_reaches_everyone_once_but_for_bounded_duplicates(faulty, caplog):
    e2e = faulty
    wards = (await org.units_of_kind(e2e.db, "ward"))[:3]
    cells = [cell for ward in wards for cell in await org.cells_under(e2e.db, ward.id)]
    leaders = [p for ward in wards for p in await e2e.people(("secretary", "deputy"), ward=ward.id)]
    assert 45 <= len(leaders) <= 100
    users = {p.id: await e2e.chat_as(p) for p in leaders}
    author = await e2e.person("ward_staff", ward=wards[0].id)
    author_chat = await e2e.chat_as(author)
    plan = e2e.server.faults = FaultPlan(rate=0.1, seed=11, hold_seconds=REQUEST_TIMEOUT + 0.5)

    started = time.monotonic()
    async with fast_clock(e2e):
        queued = await delivery.confirm(
            e2e.ctx, author_person_id=author.id, scope_unit_id=wards[0].parent_id, month="2026-12",
            text="<b>Hướng dẫn tháng 12</b>: kiểm điểm giữa nhiệm kỳ.", parse_mode="HTML",
            audience=guidance_rules.LEADERS, cell_ids=[c.id for c in cells], attachments=[])
        ref = guidance_store.ref(queued.guidance_id)
        await until(lambda: _settled(e2e, ref), 40, "every copy to be sent")
        report = await author_chat.wait_for(lambda m: "Hướng dẫn" in m.text and str(len(leaders)) in m.text,
                                            timeout=20)
    elapsed = time.monotonic() - started

    assert queued.queued == len(leaders)
    assert await outbox.counts_by_status(e2e.db, ref) == {"sent": len(leaders)}
    per_chat_faults = sent_faults_per_chat(plan)
    duplicates = 0
    for person_id, user in users.items():
        copies = [m for m in await user.bot_messages() if "kiểm điểm giữa nhiệm kỳ" in m.text]
        assert copies, f"person {person_id} has no copy"
        # more than one copy only where a fault left a delivered copy unheard, one at most per fault
        assert len(copies) <= 1 + per_chat_faults[str(user.user_id)], (person_id, len(copies))
        duplicates += len(copies) - 1
    assert duplicates <= len(plan.applied())
    assert KINDS <= set(plan.counts()), plan.counts()          # every kind of fault was met
    assert "Đã gửi" in report.text or "đã gửi" in report.text
    assert not errors_logged(caplog)
    assert not [m.text for m in await author_chat.bot_messages() if m.text.startswith(APOLOGY)]
    print(f"\nbroadcast to {len(leaders)} under faults {dict(plan.counts())}: {duplicates} duplicates, "
          f"{elapsed:.1f} s")


async def _settled(e2e, ref) -> bool:
    return not await outbox.open_count(e2e.db, ref)


# --- a burst of roll calls ----------------------------------------------------------------------------------


async def cells_without_exempt(db, low: int, high: int, count: int) -> list[org.Unit]:
    rows = await db.fetchall(
        """SELECT m.unit_id, count(*) AS n, sum(p.exempt) AS ex FROM memberships m JOIN people p ON p.id = m.person_id
           JOIN units u ON u.id = m.unit_id AND u.kind = 'cell'
           WHERE m.valid_to IS NULL AND p.active = 1 AND m.role IN ('secretary', 'deputy', 'member')
           GROUP BY m.unit_id HAVING n BETWEEN ? AND ? AND ex = 0 ORDER BY m.unit_id LIMIT ?""", (low, high, count))
    return [await org.get_unit(db, row["unit_id"]) for row in rows]


def marked(message, number: int, mark: str) -> bool:
    return any(data.endswith(f":t:{number}") and label.startswith(mark) for row in message.buttons
               for label, data in row)


def button(message, suffix: str) -> str:
    return next(data for row in message.buttons for _label, data in row if data.endswith(suffix))


async def roll_call(user, timeout: float) -> None:
    """The start roll call, half typed and half tapped: 3 and 5 absent, then saved."""
    await user.send("điểm danh")
    listed = await user.wait_for(lambda m: any(":t:" in d for row in m.buttons for _l, d in row), timeout=timeout)
    await user.press(button(listed, ":t:3"), listed)
    await user.wait_for(lambda m: marked(m, 3, "❌"), timeout=timeout)
    await user.send("vắng 5")
    listed = await user.wait_for(lambda m: marked(m, 5, "❌") and marked(m, 3, "❌"), timeout=timeout)
    await user.press(button(listed, ":done"), listed)
    await user.wait_for(lambda m: any(d.endswith(":save") for row in m.buttons for _l, d in row), timeout=timeout)
    await user.send("1")
    await user.wait_for(lambda m: any(d.startswith("rc:end:") for row in m.buttons for _l, d in row),
                        timeout=timeout)


async def test_a_burst_of_roll_calls_under_faults_saves_each_once(faulty, caplog):
    e2e = faulty
    e2e.clock.set(datetime(2026, 12, 3, 19, 30, tzinfo=VN_TZ))
    control_cell, *cells = await cells_without_exempt(e2e.db, 22, 45, 13)
    assert len(cells) == 12
    secretaries = [await e2e.person("secretary", cell=cell.id) for cell in cells]
    users = [await e2e.chat_as(person) for person in secretaries]
    control = await e2e.chat_as(await e2e.person("secretary", cell=control_cell.id))
    plan = e2e.server.faults = FaultPlan(rate=0.1, seed=5, hold_seconds=REQUEST_TIMEOUT + 0.5, enabled=False)
    # Without faults, the conversation leaves this many bot messages in the chat.
    await roll_call(control, timeout=5)
    baseline = len(await control.bot_messages())

    plan.enabled = True
    started = time.monotonic()
    await asyncio.gather(*(roll_call(user, timeout=25) for user in users))
    elapsed = time.monotonic() - started
    plan.enabled = False
    await e2e.settled()

    per_chat_faults = sent_faults_per_chat(plan)
    duplicates = 0
    for cell, person, user in zip(cells, secretaries, users):
        start = await roll_calls.get(e2e.db, cell.id, "2026-12", "start")
        assert start is not None and start.taken_by == person.id
        assert [m.number for m in start.members if m.status == "absent_excused"] == [3, 5]
        assert start.present == start.eligible - 2
        assert sorted(m.number for m in start.members) == list(range(1, start.eligible + 1))   # each once
        account_id = await e2e.db.fetchval("SELECT id FROM accounts WHERE person_id = ?", (person.id,))
        assert await drafts.load(e2e.db, account_id) is None
        messages = await user.bot_messages()
        assert not [m.text for m in messages if m.text.startswith(APOLOGY)]
        # nothing lost (every step's answer came), duplicates only from faults after delivery
        assert baseline <= len(messages) <= baseline + per_chat_faults[str(user.user_id)], (cell.id, len(messages))
        duplicates += len(messages) - baseline
    saved = [e for e in await audit.entries(e2e.db) if e.action == "roll_call.saved"]
    assert len(saved) == len(cells) + 1                           # once per cell (and the control's)
    assert await e2e.db.fetchval("SELECT count(*) FROM roll_calls") == len(cells) + 1
    assert {"429", "5xx", "timeout"} <= set(plan.counts()) and plan.counts()["drop before"] + plan.counts()["drop after"]
    assert not errors_logged(caplog)
    print(f"\n{len(cells)} roll calls at once under faults {dict(plan.counts())}: {duplicates} duplicates, "
          f"{elapsed:.1f} s")
