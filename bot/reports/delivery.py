"""The monthly ward report delivered on its own (bot/rules/report_delivery.py says when): for each ward due,
its report is drawn (XLSX and PNG, in each recipient's language, written under `[reports] files_dir`) and one
outbox message per ward staff member is queued — the chat summary with the two files — in the same
transaction as its `ward_report` row in the reminders' log, so that a second check, a restart or a second
process never sends it twice (`shcb tick` does not run this check). A background service: checks at start-up and every
`[reminders] tick_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from apscheduler.jobstores.base import JobLookupError

from bot.core import i18n
from bot.core.context import AppContext
from bot.reminders.facts import parse_time
from bot.reports import charts, facts, xlsx
from bot.reports.summary import ward_summary
from bot.rules import report_delivery, schedule
from bot.delivery import routing
from storage import codec, org, outbox, reminders

log = logging.getLogger(__name__)

KIND = "report"
JOB_NAME = "reports.delivery"
_JOBS, _LOCK, _RUNS = "reports.jobs", "reports.lock", "reports.runs"


def files_dir(ctx: AppContext) -> Path:
    configured = ctx.config.reports.files_dir
    return Path(configured) if configured else Path(ctx.db.path).resolve().parent / "reports"


def dedup_key(ward_id: int, period: str, person_id: int) -> str:
    return f"report:ward:{ward_id}:{period}:{person_id}"


@dataclass(frozen=True)
class Decided:
    ward_id: int
    period: str
    action: str
    reason: str
    queued: int


async def report_files(ctx: AppContext, report, lang: str, folder: Path) -> tuple[Path, Path]:
    """The report's XLSX and PNG in one language, written to `folder` (drawn in a worker thread: the
    event loop keeps answering people meanwhile)."""
    t = i18n.get(lang)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"bao-cao-{report.month}-{report.ward_id}" if lang == "vi" else f"report-{report.month}-{report.ward_id}"
    book_path, chart_path = folder / f"{stem}-{lang}.xlsx", folder / f"{stem}-{lang}.png"

    def draw() -> None:
        xlsx.save(xlsx.ward_workbook(report, t), book_path)
        charts.ward_attendance(report, ctx.config.meeting.target, t, chart_path)

    await asyncio.to_thread(draw)
    return book_path, chart_path


def payload(t: i18n.Translator, report, book: Path, chart: Path) -> dict:
    return {
        "text": ward_summary(t, report),
        "parse_mode": "HTML",
        "attachments": [
            {"kind": "document", "path": str(book), "filename": book.name},
            {"kind": "photo", "path": str(chart), "filename": chart.name},
        ],
    }


async def tick(ctx: AppContext, now: datetime) -> list[Decided]:
    async with ctx.extras.setdefault(_LOCK, asyncio.Lock()):
        try:
            return await _tick(ctx, now)
        finally:
            ctx.extras[_RUNS] = runs(ctx) + 1


def runs(ctx: AppContext) -> int:
    """How many checks have completed in this context (the start-up one included)."""
    return ctx.extras.get(_RUNS, 0)


async def _tick(ctx: AppContext, now: datetime) -> list[Decided]:
    settings = ctx.config.reports
    tz = ctx.clock.tz
    period = schedule.period_of(schedule.local(now, tz).date())
    decided = {(entry.subject, entry.period) for entry in await reminders.log(ctx.db, period=period,
                                                                             rule=report_delivery.RULE)}
    wards = await org.units_of_kind(ctx.db, "ward")
    staff = await org.current_members(ctx.db, [ward.id for ward in wards], [org.WARD_STAFF])
    found = await routing.reachable(ctx, [person.id for person, _m in staff])
    people = {person.id: person for person, _m in staff}
    recipients: dict[int, list[int]] = {ward.id: [] for ward in wards}
    for person, membership in staff:
        if person.id in found and person.id not in recipients[membership.unit_id]:
            recipients[membership.unit_id].append(person.id)
    dues = report_delivery.due(now, {ward: tuple(ids) for ward, ids in recipients.items()}, decided,
                               day=settings.delivery_day, at=parse_time(settings.delivery_time), tz=tz)
    by_id = {ward.id: ward for ward in wards}
    results = []
    for d in dues:
        messages = []
        if d.action == schedule.SEND:
            report = await facts.ward_report(ctx.db, ctx.config, by_id[d.ward_id], d.period)
            files: dict[str, tuple[Path, Path]] = {}
            for person_id in d.recipients:
                lang = i18n.normalize_language(found[person_id][0].language or people[person_id].language)
                if lang not in files:
                    files[lang] = await report_files(ctx, report, lang, files_dir(ctx) / d.period)
                messages += [outbox.OutgoingMessage(
                    kind=KIND, chat_id=account.chat_id, person_id=person_id, platform=account.platform,
                    payload=payload(i18n.get(lang), report, *files[lang]), ref=f"report:ward:{d.period}",
                    dedup_key=dedup_key(d.ward_id, d.period, person_id)) for account in found[person_id]]
        async with ctx.db.transaction() as conn:
            fresh = await reminders.record(conn, rule=report_delivery.RULE, subject=d.ward_id, period=d.period,
                                           status=d.action, reason=d.reason, due_at=codec.instant(d.at),
                                           decided_at=codec.instant(now), recipients=len(messages))
            queued = await outbox.enqueue(conn, messages, at=codec.instant(now)) if fresh and messages else 0
        if fresh:
            results.append(Decided(d.ward_id, d.period, d.action, d.reason, queued))
    if any(r.queued for r in results):
        ctx.wake_sender()
    for r in results:
        log.info("ward report %s of ward %s %s (%s): %d messages queued", r.period, r.ward_id, r.action, r.reason,
                 r.queued)
    return results


async def _job(context) -> None:
    ctx: AppContext = context.application.bot_data["ctx"]
    try:
        await tick(ctx, ctx.clock.now())
    except Exception:   # the next run tries again; nothing was half-written (one transaction per ward)
        log.exception("ward report delivery check failed")


async def start(application, ctx: AppContext) -> None:
    seconds = ctx.config.reminders.tick_seconds
    job_kwargs = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
    queue = application.job_queue
    ctx.extras[_JOBS] = [
        queue.run_once(_job, when=0, name=f"{JOB_NAME}.startup", job_kwargs=job_kwargs),
        queue.run_repeating(_job, interval=seconds, first=seconds, name=JOB_NAME, job_kwargs=job_kwargs),
    ]


async def stop(application, ctx: AppContext) -> None:
    for job in ctx.extras.pop(_JOBS, []):
        try:
            job.schedule_removal()
        except JobLookupError:
            pass
    async with ctx.extras.setdefault(_LOCK, asyncio.Lock()):
        pass
