"""Reopening a closed meeting record, by ward staff: **Mở lại biên bản** (`/molai`) lists the closed
records of the past months in the cells they cover, numbered (a number typed picks one, like the
button); reopening gives the cell `[meeting] reopen_days` more days for corrections of the record and
its roll calls, and tells its secretary and deputy through the outbox. The button carries the meeting's
id only; whether this person covers its cell is read from the database."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.delivery import routing
from bot.core.i18n import N_
from bot.reminders.texts import month_name
from bot.rules import access, attendance, schedule
from bot.rules import typed_forms as forms
from handlers import common, menu, menu_registry
from handlers.meeting_common import keyboard
from handlers.meeting_record import OPEN
from handlers.menu_registry import MenuItem
from storage import audit, drafts, meetings, org, outbox, roll_calls
from storage.org import Unit

log = logging.getLogger(__name__)

FLOW = "meeting.reopen"
REOPEN = "mr:reopen:"      # mr:reopen:<meeting id>
REOPEN_MONTHS = 3          # ward staff see the closed records of this many past months


async def _closed_in_scope(ctx: AppContext, actor: common.Actor) -> list[tuple[meetings.Record, Unit]]:
    """Closed records (with a start roll call) of the past months, in the cells this staff member covers."""
    anchors = actor.scope.units(access.STAFF)
    today = ctx.clock.now().date()
    current = schedule.period_of(today)
    months = [schedule.shift_period(current, -k) for k in range(1, REOPEN_MONTHS + 1)]
    found = []
    for anchor in sorted(anchors):
        for cell in await org.cells_under(ctx.db, anchor):
            for month in months:
                record = await meetings.get_record(ctx.db, cell.id, month)
                if record is None or await roll_calls.get(ctx.db, cell.id, month, roll_calls.START) is None:
                    continue
                if not attendance.may_correct(month, today, deadline_day=ctx.config.meeting.corrections_until_day,
                                              reopened_until=record.reopened_until):
                    found.append((record, cell))
    unique = {record.meeting_id: (record, cell) for record, cell in found}
    return sorted(unique.values(), key=lambda pair: (pair[0].month, pair[1].name), reverse=True)[:40]


async def reopen_menu(update: Update, context: Any) -> None:
    """Ward staff: the closed records they may reopen, numbered (a number typed picks one). A one-question
    picker: it never discards an unfinished conversation without asking."""
    await common.begin_flow(update, context, REOPEN_PICKER, start=_reopen_menu)


async def _reopen_menu(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    closed = await _closed_in_scope(ctx, actor)
    if not closed:
        await common.reply(update, _("No closed meeting record in your cells to reopen."))
        return
    await drafts.save(ctx.db, actor.account.id, FLOW, "pick", {"ids": [r.meeting_id for r, _c in closed]},
                      at=common.now_instant(ctx))
    lines = [_("Which meeting record should be reopened for corrections? Type its number or press it.")]
    rows = []
    for number, (record, cell) in enumerate(closed, 1):
        label = f"{number}. {cell.name} — {month_name(t, record.month)}"
        lines.append(label)
        rows.append([(label[:60], f"{REOPEN}{record.meeting_id}")])
    await common.reply(update, "\n".join(lines), reply_markup=keyboard(rows))


async def on_reopen_button(update: Update, context: Any) -> None:
    raw = update.callback_query.data or ""
    meeting_id = raw[len(REOPEN):]
    await reopen(update, context, int(meeting_id) if meeting_id.isdigit() else None)


async def on_reopen_text(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None or not actor.in_flow(FLOW):
        return
    typed = forms.parse(update.effective_message.text or "")
    ids = actor.draft.data.get("ids", [])
    if typed is None or typed.form != forms.NUMBER or not 1 <= typed.numbers[0] <= len(ids):
        _ = actor.t.gettext
        await common.reply(update, _("Please type a number from the list (1 to {n}), or /cancel.").format(n=len(ids)))
        return
    await reopen(update, context, ids[typed.numbers[0] - 1])


async def reopen(update: Update, context: Any, meeting_id: int | None) -> None:
    """Reopen one record for `[meeting] reopen_days` days, if this staff member covers its cell."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    record = await meetings.get_record_by_id(ctx.db, meeting_id) if meeting_id is not None else None
    if record is None:
        await common.refuse_forged(update, context, actor, what="meeting.reopen", detail={"meeting_id": meeting_id})
        return
    if not await common.authorize_unit(update, context, actor, record.cell_id, what="meeting.reopen",
                                       roles=access.STAFF):
        return
    today = ctx.clock.now().date()
    cell = await org.get_unit(ctx.db, record.cell_id)
    if attendance.may_correct(record.month, today, deadline_day=ctx.config.meeting.corrections_until_day,
                              reopened_until=record.reopened_until):
        await common.reply(update, _("The {month} record of cell {cell} is open already.").format(
            month=month_name(t, record.month), cell=cell.name))
        return
    until = today + timedelta(days=ctx.config.meeting.reopen_days)
    at = common.now_instant(ctx)
    notices = await _reopen_notices(ctx, cell, record.month, until, actor)
    async with ctx.db.transaction() as conn:
        await meetings.reopen(conn, meeting_id=record.meeting_id, until=until, by=actor.person.id, at=at)
        await audit.record(conn, at=at, action="meeting.reopened", actor_person_id=actor.person.id,
                           platform=actor.platform, actor_external_id=update.effective_user.id, unit_id=cell.id,
                           detail={"month": record.month, "until": until.isoformat()})
        queued = await outbox.enqueue(conn, notices, at=at) if notices else 0
        await drafts.clear(conn, actor.account.id)
    if queued:
        ctx.wake_sender()
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except Exception:
            log.debug("callback query not answered", exc_info=True)
    await common.reply(update, _("The {month} record of cell {cell} is reopened until {until}; its secretary and "
                                 "deputy have been told.").format(month=month_name(t, record.month), cell=cell.name,
                                                                   until=t.format_date(until, "long")))


async def _reopen_notices(ctx: AppContext, cell: Unit, month: str, until, actor: common.Actor) -> list:
    leaders = {p.id: p for p, _m in await org.current_members(ctx.db, [cell.id], org.CELL_LEADERS)}
    found = []
    for person_id, account in routing.each(await routing.reachable(ctx, leaders)):
        t = i18n.get(leaders[person_id].language)
        text = t.gettext("Comrade {name} has reopened the {month} meeting record of cell {cell} for corrections "
                         "until {until}.").format(name=actor.person.full_name, month=month_name(t, month),
                                                  cell=cell.name, until=t.format_date(until, "long"))
        found.append(outbox.OutgoingMessage(
            kind="notice", chat_id=account.chat_id, person_id=person_id, platform=account.platform,
            payload={"text": text, "buttons": [[{"text": t.gettext("📝 The meeting record"),
                                                 "callback_data": f"{OPEN}{cell.id}:{month}"}]]},
            ref=f"record-reopened:{cell.id}:{month}",
            dedup_key=f"record-reopened:{cell.id}:{month}:{until.isoformat()}:{person_id}"))
    return found


REOPEN_PICKER = common.define_flow(FLOW, N_("choosing a meeting record to reopen"), _reopen_menu, transient=True)


menu_registry.add(MenuItem(
    "meeting.reopen", label=N_("Reopen a record"), description=N_("Reopen a closed meeting record for corrections"),
    roles=frozenset(access.STAFF), callback=reopen_menu, command="molai", order=70,
))


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND
                                           & ~menu.TYPED_MENU_ITEM & common.InFlow(application, FLOW), on_reopen_text))
    application.add_handler(CallbackQueryHandler(on_reopen_button, pattern=rf"^{REOPEN}"))
