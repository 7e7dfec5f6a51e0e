"""The recommendations' part of the reminder check (run by `bot/reminders/scheduler.tick`): the daily
digest of new items to each ward's staff, and the flag on items the ward has left unanswered past their
deadline. What is due is decided by bot/rules/recommendations.py.

Exactly once, like the reminders: each digest (ward, day) and each item's overdue flag is a
`recommendation_notices` row, UNIQUE, inserted in the same transaction as its outbox rows; a second
check, a restart or `shcb tick` beside the bot finds it and queues nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.context import AppContext
from bot.reminders.facts import parse_time
from bot.rules import recommendations as rules
from handlers import recommendation_people as people
from handlers import recommendation_texts as texts
from storage import codec, org, outbox
from storage import recommendations as store

log = logging.getLogger(__name__)

DIGEST, OVERDUE = "digest", "overdue"


@dataclass
class CheckResult:
    digests: int = 0          # wards whose digest was decided now
    flagged: list[int] = field(default_factory=list)   # items flagged overdue now
    messages: int = 0


def deadlines_of(ctx: AppContext) -> rules.Deadlines:
    config = ctx.config.recommendations
    return rules.Deadlines(config.overdue_days, config.urgent_overdue_days)


async def check(ctx: AppContext, now: datetime) -> CheckResult:
    result = CheckResult()
    await _digests(ctx, now, result)
    await _overdue(ctx, now, result)
    if result.messages:
        ctx.wake_sender()
        log.info("recommendations: %d digests, %d items flagged overdue, %d messages queued",
                 result.digests, len(result.flagged), result.messages)
    return result


async def _digests(ctx: AppContext, now: datetime, result: CheckResult) -> None:
    window = rules.digest_window(now, parse_time(ctx.config.recommendations.digest_time), ctx.clock.tz)
    if window is None:
        return
    wards = await org.units_of_kind(ctx.db, "ward")
    decided = await store.notice_decided(ctx.db, DIGEST, [w.id for w in wards], window.period)
    pending = [w for w in wards if w.id not in decided]
    if not pending:
        return
    items = await store.submitted_between(ctx.db, codec.instant(window.start), codec.instant(window.end),
                                          urgency=rules.NORMAL)
    by_ward: dict[int, list[store.Recommendation]] = {}
    for item in items:
        by_ward.setdefault(item.ward_id, []).append(item)
    at = codec.instant(now)
    for ward in pending:
        found = by_ward.get(ward.id, [])
        messages = []
        if found:
            cells = await org.get_units(ctx.db, {i.cell_id for i in found})
            staff = await people.ward_staff(ctx, ward.id)

            def render(t, found=found, cells=cells, ward=ward):
                lines = [texts.short_line(t, i, cells[i.cell_id].name if i.cell_id in cells else None) for i in found]
                return {"text": texts.digest(t, ward.name, lines), "parse_mode": "HTML",
                        "buttons": texts.open_buttons(found) + texts.inbox_button(t)}
            messages = people.messages("recommendation.digest", staff, render, ref=f"recommendation:digest:{window.period}",
                                       dedup=f"recommendation:digest:{ward.id}:{window.period}")
        async with ctx.db.transaction() as conn:
            if not await store.record_notice(conn, kind=DIGEST, subject=ward.id, period=window.period, at=at,
                                             items=len(found)):
                continue
            result.messages += await outbox.enqueue(conn, messages, at=at) if messages else 0
        result.digests += 1


async def _overdue(ctx: AppContext, now: datetime, result: CheckResult) -> None:
    deadlines = deadlines_of(ctx)
    earliest = min(deadlines.normal_days, deadlines.urgent_days)
    candidates = await store.open_items(ctx.db, statuses=(rules.NEW, rules.RECEIVED),
                                        submitted_before=codec.instant(now - timedelta(days=earliest)))
    if not candidates:
        return
    flagged = await store.notice_decided(ctx.db, OVERDUE, [i.id for i in candidates], "")
    due = set(rules.newly_overdue([rules.OpenItem(i.id, i.status, i.urgency, codec.parse_instant(i.submitted_at))
                                   for i in candidates], now, deadlines, flagged))
    by_ward: dict[int, list[store.Recommendation]] = {}
    for item in candidates:
        if item.id in due:
            by_ward.setdefault(item.ward_id, []).append(item)
    at = codec.instant(now)
    for ward_id, found in by_ward.items():
        ward = await org.get_unit(ctx.db, ward_id)
        cells = await org.get_units(ctx.db, {i.cell_id for i in found})
        staff = await people.ward_staff(ctx, ward_id)

        def render(t, found=found, cells=cells, ward=ward):
            lines = [texts.short_line(t, i, cells[i.cell_id].name if i.cell_id in cells else None)
                     + f" · {texts.waited(t, i, now)}" for i in found]
            return {"text": texts.overdue(t, ward.name if ward else "", lines), "parse_mode": "HTML",
                    "buttons": texts.open_buttons(found) + texts.inbox_button(t)}
        async with ctx.db.transaction() as conn:
            fresh = [i for i in found if await store.record_notice(conn, kind=OVERDUE, subject=i.id, period="",
                                                                   at=at, items=1)]
            if not fresh:
                continue
            key = f"recommendation:overdue:{ward_id}:{','.join(str(i.id) for i in fresh)}"
            messages = people.messages("recommendation.overdue", staff, lambda t: render(t, found=fresh),
                                       ref="recommendation:overdue", dedup=key)
            result.messages += await outbox.enqueue(conn, messages, at=at) if messages else 0
        result.flagged += [i.id for i in fresh]

