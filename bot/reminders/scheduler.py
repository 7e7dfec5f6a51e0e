"""The reminder check: `tick(ctx, now)` decides what is due (bot/rules/schedule.py) and queues it in the
outbox; the bot's JobQueue runs it every `[reminders] tick_seconds` and once at start-up (to catch up
after downtime), `shcb tick --now` runs it once.

Exactly once: each decision is a reminders_log row, UNIQUE per (rule, subject, period), inserted in the
same transaction as the reminder's outbox rows (whose dedup_key also names the recipient). A second
check, a restart, or `shcb tick` running beside the bot finds the row and queues nothing; a crash between
deciding and queueing is impossible because both commit together. The sender then delivers the rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.jobstores.base import JobLookupError

from bot.core.context import AppContext
from bot.reminders import recommendation_checks
from bot.reminders.facts import Directory, load, load_recommendations, settings_from_config
from bot.reminders.texts import render
from bot.rules import schedule
from bot.rules.schedule import Due, Facts, Settings
from storage import codec, outbox, reminders

log = logging.getLogger(__name__)

JOB_NAME = "reminders.tick"
# Decisions recorded per transaction: a batch of a few hundred rows commits in milliseconds, and the
# sender can start on the first batch while the next is written.
BATCH = 200
_LOCK = "scheduler.lock"
_JOBS = "scheduler.jobs"
_STARTED = "scheduler.started"
_RUNS = "scheduler.runs"


def dedup_key(rule: str, subject: int, period: str, person_id: int, occurrence: str = "") -> str:
    """Names the reminder and the recipient; a moved meeting's reminders name its new day too."""
    if occurrence:
        period = f"{period}@{occurrence}"
    return f"reminder:{rule}:{subject}:{period}:{person_id}"


@dataclass
class TickResult:
    """What one check decided: each Due with the number of messages it queued."""

    now: datetime
    decisions: list[tuple[Due, int]] = field(default_factory=list)
    directory: Directory | None = None
    recommendations: recommendation_checks.CheckResult | None = None

    @property
    def sent(self) -> list[tuple[Due, int]]:
        return [(d, n) for d, n in self.decisions if d.action == schedule.SEND]

    @property
    def skipped(self) -> list[Due]:
        return [d for d, _n in self.decisions if d.action == schedule.SKIP]

    @property
    def messages(self) -> int:
        return sum(n for _d, n in self.decisions)


def settings_of(ctx: AppContext) -> Settings:
    return settings_from_config(ctx.config.reminders, ctx.clock.tz)


def _lock(ctx: AppContext) -> asyncio.Lock:
    # one check at a time per bot (the job and a demo/test poke may meet); other processes are kept out
    # by the UNIQUE key instead
    return ctx.extras.setdefault(_LOCK, asyncio.Lock())


def runs(ctx: AppContext) -> int:
    """How many checks have completed in this context (the start-up one included)."""
    return ctx.extras.get(_RUNS, 0)


async def tick(ctx: AppContext, now: datetime) -> TickResult:
    """Decide and queue every reminder due at `now`; wake the sender if anything was queued."""
    async with _lock(ctx):
        try:
            result = await _tick(ctx, now)
            try:   # the recommendations' digest and overdue flags: their failure must not stop the reminders
                result.recommendations = await recommendation_checks.check(ctx, now)
            except Exception:
                log.exception("recommendation check failed")
            return result
        finally:
            ctx.extras[_RUNS] = runs(ctx) + 1


async def _tick(ctx: AppContext, now: datetime) -> TickResult:
    settings = settings_of(ctx)
    periods = schedule.periods_around(now, settings.tz)
    facts, directory = await load(ctx.db, periods, both_channels=ctx.config.delivery.both_channels)
    result = TickResult(now=now, directory=directory)
    dues = schedule.due(now, facts, settings, periods)
    if not dues:
        return result
    decided_at = codec.instant(now)
    await load_recommendations(ctx.db, directory, [d for d in dues if d.action == schedule.SEND])
    for start in range(0, len(dues), BATCH):
        batch = dues[start:start + BATCH]
        messages = {id(d): _messages(d, directory, facts, settings) for d in batch}
        recorded = []
        async with ctx.db.transaction() as conn:
            for d in batch:
                queued = messages[id(d)]
                fresh = await reminders.record(
                    conn, rule=d.rule, subject=d.subject, period=d.period, occurrence=d.occurrence,
                    status=d.action, reason=d.reason,
                    due_at=codec.instant(d.at), decided_at=decided_at, recipients=len(queued))
                if not fresh:  # decided meanwhile by another process's check
                    continue
                added = await outbox.enqueue(conn, queued, at=decided_at) if queued else 0
                recorded.append((d, added))
        result.decisions += recorded
        if any(n for _d, n in recorded):
            ctx.wake_sender()
    _log(result)
    return result


def _messages(d: Due, directory: Directory, facts: Facts, settings: Settings) -> list[outbox.OutgoingMessage]:
    if d.action != schedule.SEND:
        return []
    found = []
    for person_id in d.recipients:
        for account in directory.accounts.get(person_id, []):
            if account.unreachable:
                continue
            found.append(outbox.OutgoingMessage(
                kind="reminder", chat_id=account.chat_id, person_id=person_id, platform=account.platform,
                payload=render(d, person_id, directory, facts, settings),
                ref=f"reminder:{d.rule}:{d.period}",
                dedup_key=dedup_key(d.rule, d.subject, d.period, person_id, d.occurrence)))
    return found


def _log(result: TickResult) -> None:
    """One INFO line per (rule, period, decision), naming the skipped ones (the first few)."""
    directory = result.directory
    groups: dict[tuple, list[tuple[Due, int]]] = defaultdict(list)
    for d, n in result.decisions:
        groups[(d.rule, d.period, d.action, d.reason)].append((d, n))
    for (rule, period, action, reason), items in groups.items():
        if action == schedule.SEND:
            log.info("reminder %s %s sent: %d units, %d messages queued",
                     rule, period, len(items), sum(n for _d, n in items))
            continue
        names = [directory.units[d.subject].name if directory and d.subject in directory.units else str(d.subject)
                 for d, _n in items[:10]]
        more = f" and {len(items) - 10} more" if len(items) > 10 else ""
        due_at = Counter(d.at.strftime("%Y-%m-%d %H:%M") for d, _n in items).most_common(1)[0][0]
        log.info("reminder %s %s skipped (%s), due %s: %d units: %s%s",
                 rule, period, reason, due_at, len(items), ", ".join(names), more)


# --- the job --------------------------------------------------------------------------------------

async def _job(context) -> None:
    ctx: AppContext = context.application.bot_data["ctx"]
    try:
        await tick(ctx, ctx.clock.now())
    except Exception:  # the next run tries again; nothing was half-written (one transaction per batch)
        log.exception("reminder check failed")


async def _startup_job(context) -> None:
    try:
        await _job(context)
    finally:
        context.application.bot_data["ctx"].extras[_STARTED].set()


async def started(ctx: AppContext, timeout: float = 10.0) -> bool:
    """Wait until the start-up check has run (the stage waits for it, so that a test or the demo that
    moves the clock on does not race the catch-up run). False if it has not within `timeout`."""
    event = ctx.extras.get(_STARTED)
    if event is None:
        return False
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except asyncio.TimeoutError:
        return False
    return True


async def start(application, ctx: AppContext) -> None:
    """Run the check once at start-up (catch-up after downtime), then every `tick_seconds`.

    APScheduler silently drops a run more than 1 s late by default (a busy or suspended host): no limit
    is set instead, and late runs coalesce into one — the check itself knows what is late. The start-up
    run is a job of its own: an interval job added before the JobQueue starts would skip its first run."""
    seconds = ctx.config.reminders.tick_seconds
    job_kwargs = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
    queue = application.job_queue
    ctx.extras[_STARTED] = asyncio.Event()
    ctx.extras[_JOBS] = [
        queue.run_once(_startup_job, when=0, name=f"{JOB_NAME}.startup", job_kwargs=job_kwargs),
        queue.run_repeating(_job, interval=seconds, first=seconds, name=JOB_NAME, job_kwargs=job_kwargs),
    ]
    log.info("reminder check at start-up and every %d s", seconds)


async def stop(application, ctx: AppContext) -> None:
    for job in ctx.extras.pop(_JOBS, []):
        try:
            job.schedule_removal()
        except JobLookupError:  # the start-up run is gone once it has run
            pass
    # a check in progress finishes its transaction before the database closes
    async with _lock(ctx):
        pass
