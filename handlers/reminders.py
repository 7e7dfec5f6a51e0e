"""Moving this month's meeting: a cell's secretary or deputy types "hoãn sang ngày 5" (with or without
diacritics; "move to day 5" in English) or picks the day from the menu item. The cell is the one the
person leads, read from the database; the day must be today or later in the current month. The move is
recorded with its audit entry and a notice to the cell's other leaders in one transaction, and the
cell's reminders follow it (bot/rules/schedule.py).

The day picker is a short conversation (draft flow "meeting.move", step "day"): its buttons carry the
cell and the month they were shown for ("meeting:move:<cell>:<yyyy-mm>:<day>"), labelled "day 5"; while it
is open, a number typed is that day. Pressed in another month, after /cancel, or after the person went on
to something else (/menu, help, /language), a picker button is out of date and changes nothing."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.delivery import routing
from bot.core.i18n import N_
from bot.reminders.facts import load, settings_from_config
from bot.reminders.texts import month_name, when_text
from bot.rules import schedule
from handlers import common, menu, menu_registry
from handlers.menu_registry import MenuItem
from storage import audit, codec, drafts, meetings, org, outbox
from storage.org import Unit

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "meeting:move:"
FLOW, DAY = "meeting.move", "day"
DAYS_PER_ROW = 4   # "ngày 28" is wider than a bare number
_TYPED_DAY = re.compile(r"^\D{0,10}?(\d{1,2})\D{0,3}$")


class _MoveRequest(filters.MessageFilter):
    """Text that asks to move the meeting ("hoãn sang ngày 5")."""

    def filter(self, message) -> bool:
        return bool(message.text) and schedule.parse_move_request(message.text) is not None


MOVE_REQUEST = _MoveRequest(name="MoveRequest")


def leader_cell(actor: common.Actor) -> Unit | None:
    """The active cell this person is secretary or deputy of (the first, if several)."""
    for membership in actor.memberships:
        unit = actor.units.get(membership.unit_id)
        if membership.role in org.CELL_LEADERS and unit is not None and unit.kind == "cell" and unit.active:
            return unit
    return None


async def _plan(ctx: AppContext, cell: Unit, period: str, moves: dict | None = None):
    """(facts, this cell's planned reminders) for the month, with `moves` replacing the recorded ones."""
    facts, _directory = await load(ctx.db, [period], both_channels=ctx.config.delivery.both_channels,
                                   ward_ids=[cell.parent_id], with_guidance=False)
    if moves is not None:
        facts = replace(facts, moves={**facts.moves, **moves})
    rules_cell = next(c for c in facts.cells if c.id == cell.id)
    settings = settings_from_config(ctx.config.reminders, ctx.clock.tz)
    return facts, schedule.plan_cell(settings, facts, rules_cell, period)


def _meeting_day(planned: list[schedule.Planned]) -> date:
    return next(p.meeting_on for p in planned if p.rule == schedule.MEETING)


async def _leader(update: Update, context: Any) -> tuple[common.Actor, Unit] | None:
    """The actor and the cell they lead, or None (and they were told why)."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return None
    cell = leader_cell(actor)
    if cell is None:
        _ = actor.t.gettext
        await common.reply(update, _("Only a cell's secretary or deputy secretary can move its meeting."))
        return None
    return actor, cell


async def _refusal(ctx: AppContext, t: i18n.Translator, cell: Unit, period: str) -> str | None:
    """Why this month's meeting can no longer be moved at all, if it cannot."""
    _ = t.gettext
    if await meetings.has_roll_call(ctx.db, cell.id, period):
        return _("The {month} meeting of cell {cell} already has a roll call, so it can no longer be moved.").format(
            month=month_name(t, period), cell=cell.name)
    return None


async def show_days(update: Update, context: Any) -> None:
    """The menu item: the current meeting day and a button for each day from today to the month's end."""
    found = await _leader(update, context)
    if found is None:
        return
    actor, cell = found
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    today = ctx.clock.now().date()
    period = schedule.period_of(today)
    refusal = await _refusal(ctx, t, cell, period)
    if refusal:
        await common.reply(update, refusal)
        return
    _facts, planned = await _plan(ctx, cell, period)
    days = range(today.day, schedule.last_day(period) + 1)
    await drafts.save(ctx.db, actor.account.id, FLOW, DAY, {"cell": cell.id, "period": period},
                      at=common.now_instant(ctx))
    buttons = [InlineKeyboardButton(_("day {day}").format(day=t.format_number(day)),
                                    callback_data=common.button_data(CALLBACK_PREFIX, cell.id, period, day))
               for day in days]
    rows = [buttons[i:i + DAYS_PER_ROW] for i in range(0, len(buttons), DAYS_PER_ROW)]
    text = _("The {month} meeting of cell {cell} is on {day}. Which day of {month} should it move to? "
             "Press it, or type its number (for example {example}). /cancel leaves it as it is.").format(
        month=month_name(t, period), cell=cell.name, day=t.format_date(_meeting_day(planned), "full"),
        example=t.format_number(days[-1]))
    await common.reply(update, text, reply_markup=InlineKeyboardMarkup(rows))


MOVE = common.define_flow(FLOW, N_("moving the meeting"), show_days, transient=True)


async def begin_move(update: Update, context: Any) -> None:
    await common.begin_flow(update, context, MOVE)


async def on_text(update: Update, context: Any) -> None:
    day = schedule.parse_move_request(update.effective_message.text or "")
    if day is not None:
        await move(update, context, day)


async def on_picker_text(update: Update, context: Any) -> None:
    """Typed while the day picker is open: a number is that day (as the button labelled "day 5")."""
    match = _TYPED_DAY.match((update.effective_message.text or "").strip())
    if match is None:
        actor = await common.actor_for(update, context)
        await common.reply(update, actor.t.gettext(
            "Please type the day of the month as a number, for example 5, or /cancel."))
        return
    await move(update, context, int(match.group(1)), picker=True)


async def on_button(update: Update, context: Any) -> None:
    actor = await common.actor_for(update, context)
    parts = common.button_parts(update, CALLBACK_PREFIX, 3)
    if parts is None or not parts[0].isdigit() or not parts[2].isdigit():
        await common.refuse_forged(update, context, actor, what="meeting.move")
        return
    cell_id, period, day = int(parts[0]), parts[1], int(parts[2])
    draft = actor.draft
    current = schedule.period_of(ctx_of(context).clock.now().date())
    # Shown for another month, another cell, or a picker closed since: it must not move this month's meeting.
    if period != current or draft is None or not actor.in_flow(FLOW, DAY) or \
            draft.data.get("cell") != cell_id or draft.data.get("period") != period:
        await common.answer_out_of_date(update, actor, what="meeting.move")
        return
    await move(update, context, day, picker=True)


async def move(update: Update, context: Any, day: int, *, picker: bool = False) -> None:
    """Move the person's own cell's meeting of the current month to `day`, or say politely why not. From
    the picker (`picker`), only the cell it was shown for; a move, or a refusal that stands, closes it."""
    found = await _leader(update, context)
    if found is None:
        return
    actor, cell = found
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    now = ctx.clock.now()
    today = now.date()
    period = schedule.period_of(today)
    if picker and (not actor.in_flow(FLOW, DAY) or actor.draft.data.get("cell") != cell.id
                   or actor.draft.data.get("period") != period):
        await _close_picker(ctx, actor)
        await common.answer_out_of_date(update, actor, what="meeting.move")
        return
    last = schedule.last_day(period)
    month = month_name(t, period)
    problem = schedule.check_move(today, day)
    if problem is not None:
        values = dict(day=t.format_number(day), month=month, first=t.format_date(today, "long"),
                      last=t.format_date(date(today.year, today.month, last), "long"))
        if problem == schedule.PAST:
            text = _("Day {day} of {month} has already passed. Please choose a day from {first} to {last}.")
        elif today.day == last:
            text = _("{month} has no day {day}; today is its last day: {first}.")
        else:
            text = _("{month} has no day {day}. Please choose a day from {first} to {last}.")
        await common.reply(update, t.sentence(text.format(**values)))
        return
    refusal = await _refusal(ctx, t, cell, period)
    if refusal:
        await _close_picker(ctx, actor)
        await common.reply(update, refusal)
        return

    _facts, before = await _plan(ctx, cell, period)
    from_day, to_day = _meeting_day(before), date(today.year, today.month, day)
    if from_day == to_day:
        await _close_picker(ctx, actor)
        await common.reply(update, _("The {month} meeting of cell {cell} is already on {day}.").format(
            month=month, cell=cell.name, day=t.format_date(to_day, "full")))
        return
    at = codec.instant(now)
    notices = await _notices(ctx, actor, cell, period, to_day, at)
    async with ctx.db.transaction() as conn:
        meeting_id = await meetings.move(conn, cell_id=cell.id, month=period, from_day=from_day, to_day=to_day,
                                         by=actor.person.id, at=at)
        await audit.record(conn, at=at, action="meeting.moved", actor_person_id=actor.person.id,
                           platform=actor.platform, actor_external_id=update.effective_user.id,
                           unit_id=cell.id, detail={"month": period, "from": from_day.isoformat(),
                                                    "to": to_day.isoformat()})
        for message in notices:
            message.dedup_key = f"{message.dedup_key}:{meeting_id}"
        queued = await outbox.enqueue(conn, notices, at=at) if notices else 0
        if actor.in_flow(FLOW):
            await drafts.clear(conn, actor.account.id)
    if queued:
        ctx.wake_sender()
    log.info("meeting of cell %s for %s moved from %s to %s", cell.id, period, from_day, to_day)

    facts, after = await _plan(ctx, cell, period, {(cell.id, period): day})
    lines = [_("The {month} meeting of cell {cell} is moved to {day}.").format(
        month=month, cell=cell.name, day=t.format_date(to_day, "full"))]
    coming = [p for p in after if p.at > now and p.key not in facts.decided]
    if coming:
        lines.append(_("Reminders to come:"))
        labels = {schedule.COMMITTEE: _("the cell committee meets: {when}"),
                  schedule.MEETING: _("the meeting: {when}"),
                  schedule.FOLLOWUP: _("a follow-up, if no roll call is recorded: {when}")}
        lines += ["• " + labels[p.rule].format(when=when_text(t, p.at)) for p in coming]
    await common.reply(update, "\n".join(lines))


async def _close_picker(ctx: AppContext, actor: common.Actor) -> None:
    if actor.in_flow(FLOW):
        await drafts.clear(ctx.db, actor.account.id)


async def _notices(ctx: AppContext, actor: common.Actor, cell: Unit, period: str, to_day: date,
                   at: str) -> list[outbox.OutgoingMessage]:
    """A notice to each of the cell's other leaders who joined, in their language."""
    leaders = await org.current_members(ctx.db, [cell.id], org.CELL_LEADERS)
    others = {person.id: person for person, _m in leaders if person.id != actor.person.id}
    found = []
    for person_id, account in routing.each(await routing.reachable(ctx, others)):
        t = i18n.get(others[person_id].language)
        text = t.gettext("Comrade {name} has moved the {month} meeting of cell {cell} to {day}.").format(
            name=actor.person.full_name, month=month_name(t, period), cell=cell.name,
            day=t.format_date(to_day, "full"))
        found.append(outbox.OutgoingMessage(
            kind="notice", chat_id=account.chat_id, person_id=person_id, payload={"text": text},
            platform=account.platform,
            ref=f"meeting-moved:{cell.id}:{period}", dedup_key=f"meeting-moved:{at}:{person_id}"))
    return found


menu_registry.add(MenuItem(
    "meeting.move", label=N_("Move the meeting"), description=N_("Move this month's cell meeting to another day"),
    roles=frozenset(org.CELL_LEADERS), callback=begin_move, command="hoanhop", order=40,
))


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
                                           & MOVE_REQUEST, on_text))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
                                           & ~menu.TYPED_MENU_ITEM & common.InFlow(application, FLOW, DAY),
                                           on_picker_text))
    application.add_handler(CallbackQueryHandler(on_button, pattern=f"^{CALLBACK_PREFIX}"))
