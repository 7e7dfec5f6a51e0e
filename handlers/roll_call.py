"""The two roll calls (điểm danh) of a cell's monthly meeting, at its start and at its end.

A secretary or deputy starts it from the 3rd's reminder (its button carries the cell and the month), from
the menu item, with /diemdanh, or by typing `điểm danh`. The bot lists the cell's current members,
numbered, as a keyboard that starts from "everyone present": a tap cycles a member present → absent with
a reason → absent without → present; members exempt from meetings (miễn sinh hoạt) come last, absent until
tapped. Every step has its typed form (bot/rules/typed_forms.py). Before saving: present / eligible, the
rate against the target (`[meeting] target`), and confirm or go back. The end roll call starts from the
start's result, on the same frozen list. Below target, the secretary is told and the ward's staff get a
notice through the outbox.

Every step is a draft row (flow "roll_call"). Buttons of the list carry the draft's random key, so a button
of an older list is refused as out of date; the buttons that open a roll call carry the cell and the month,
and the cell is checked against the cells the person leads, in the database, every time.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, time
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of, platform_of
from bot.delivery import routing
from bot.core.i18n import N_
from bot.reminders.texts import month_name
from bot.rules import attendance, schedule
from bot.rules import typed_forms as forms
from handlers import common, menu, menu_registry
from handlers.meeting_common import closed_text, correctable, keyboard, leader_of, led_cells, show, stale
from handlers.roll_call_view import (PREFIX, confirm_screen, figures, length_line, mark_screen,
                                     moment_text, summary_line, taken_at)
from handlers.menu_registry import MenuItem
from storage import accounts, audit, codec, drafts, meetings, org, outbox, roll_calls
from storage.org import Unit

log = logging.getLogger(__name__)

FLOW = "roll_call"
MARK, REASON, TIME, CONFIRM, CONFLICT = "mark", "reason", "time", "confirm", "conflict"
OPEN = "rc:go:"        # rc:go:<cell id>:<YYYY-MM>          the reminder's and the menu's "start roll call"
OPEN_END = "rc:end:"   # rc:end:<cell id>:<YYYY-MM>         after the start one is saved
FIX = "rc:fix:"        # rc:fix:<start|end>:<cell id>:<YYYY-MM>  correct a saved roll call


# --- who, which cell, which month ----------------------------------------------------------------------


# --- opening ---------------------------------------------------------------------------------------------


async def open_from_menu(update: Update, context: Any) -> None:
    """The menu item, /diemdanh and `điểm danh`: resume a roll call in progress, else take the roll call
    due for this month's meeting (the start one, then the end one), else offer corrections."""
    found = await leader_of(update, context)
    if found is None:
        return
    actor, cell = found
    if actor.in_flow(FLOW):
        await _render(update, context, actor, dict(actor.draft.data), actor.draft.step, edit=False)
        return
    await begin(update, context, actor, cell, schedule.period_of(ctx_of(context).clock.now().date()))


# Started afresh (after discarding another draft) or resumed, it is the menu's entry: this month's due one.
ROLL_CALL = common.define_flow(FLOW, N_("taking the roll call"), open_from_menu, resume=open_from_menu)


async def begin(update: Update, context: Any, actor: common.Actor, cell: Unit, month: str,
                phase: str | None = None) -> None:
    """The one entry point of the roll-call flow (every button and command comes here): `phase` None
    means "whichever is due". Another unfinished conversation is never discarded without asking."""
    await common.begin_flow(update, context, ROLL_CALL, start=lambda u, c: _begin(u, c, actor, cell, month, phase))


async def _begin(update: Update, context: Any, actor: common.Actor, cell: Unit, month: str,
                 phase: str | None) -> None:
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    if not await correctable(ctx, cell.id, month):
        await common.reply(update, closed_text(t, ctx, cell, month))
        return
    saved = await roll_calls.of_meeting(ctx.db, cell.id, month)
    if phase is None:
        if roll_calls.START not in saved:
            phase = roll_calls.START
        elif roll_calls.END not in saved:
            phase = roll_calls.END
        else:
            await _offer_corrections(update, actor, cell, month, saved)
            return
    if phase == roll_calls.END and roll_calls.START not in saved:
        await common.reply(update, _("Please take the start-of-meeting roll call first."))
        return
    data = await _new_draft(ctx, cell, month, phase, saved)
    await _save(ctx, actor, MARK, data)
    await _render(update, context, actor, data, MARK, edit=False)


async def _offer_corrections(update: Update, actor: common.Actor, cell: Unit, month: str, saved: dict) -> None:
    t = actor.t
    _ = t.gettext
    lines = [_("Both roll calls of the {month} meeting of cell {cell} are saved:").format(
        month=month_name(t, month), cell=cell.name)]
    for phase in (roll_calls.START, roll_calls.END):
        lines.append("• " + summary_line(t, phase, saved[phase].present, saved[phase].eligible))
    lines.append(_("1. Correct the start roll call · 2. Correct the end roll call · 3. The meeting record"))
    rows = [[(_("Correct the start roll call"), f"{FIX}start:{cell.id}:{month}")],
            [(_("Correct the end roll call"), f"{FIX}end:{cell.id}:{month}")],
            [(_("📝 The meeting record"), f"mr:go:{cell.id}:{month}")]]
    await common.reply(update, "\n".join(lines), reply_markup=keyboard(rows))


async def _new_draft(ctx: AppContext, cell: Unit, month: str, phase: str, saved: dict) -> dict:
    """The list to start from: a saved roll call of this phase (a correction), else for the end the start's
    result, else the cell's current members — secretary and deputy first, the exempt last — everyone
    present."""
    base = saved.get(phase) or (saved.get(roll_calls.START) if phase == roll_calls.END else None)
    if base is not None:
        members = [[m.person_id, m.full_name, m.role, m.exempt] for m in base.members]
        status = [m.status for m in base.members]
        reasons = {str(m.number): m.reason for m in base.members if m.reason}
        count, guests, note = base.counted_present, base.guests, base.guest_note
    else:
        current = await org.current_members(ctx.db, [cell.id], [org.SECRETARY, org.DEPUTY, org.MEMBER])
        seen, regular, exempt = set(), [], []
        for person, membership in current:
            if person.id in seen:
                continue
            seen.add(person.id)
            (exempt if person.exempt else regular).append([person.id, person.full_name, membership.role,
                                                           person.exempt])
        members = regular + exempt
        status = [attendance.initial_status(bool(m[3])) for m in members]
        reasons, count, guests, note = {}, None, 0, None
    mine = saved.get(phase)
    return {"key": secrets.token_hex(3), "cell": cell.id, "month": month, "phase": phase, "members": members,
            "status": status, "reasons": reasons, "count": count, "guests": guests, "guest_note": note,
            "taken_at": mine.taken_at if mine else None, "page": 0, "base_rev": mine.revision if mine else 0}


async def _save(ctx: AppContext, actor: common.Actor, step: str, data: dict, conn=None) -> None:
    await drafts.save(conn or ctx.db, actor.account.id, FLOW, step, data, at=common.now_instant(ctx))


# --- the figures and the screens -------------------------------------------------------------------------


async def _cell_name(ctx: AppContext, data: dict) -> str:
    cell = await org.get_unit(ctx.db, data["cell"])
    return cell.name if cell else "?"


async def _render(update: Update, context: Any, actor: common.Actor, data: dict, step: str, *, edit: bool) -> None:
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    name = await _cell_name(ctx, data)
    if step == CONFIRM:
        text, markup = confirm_screen(ctx, t, data, name)
    elif step == REASON:
        text, markup = _("Type the member's number and the reason, for example: 3 ill (or /cancel)."), None
    elif step == TIME:
        text, markup = _("Type the time of the roll call, for example 19:30, or 19:30 3/12 for another day."), None
    else:
        text, markup = mark_screen(ctx, t, data, name, typed_only=platform_of(context) == accounts.ZALO)
    await show(update, text, markup, edit=edit)


# --- buttons ---------------------------------------------------------------------------------------------


async def on_open_button(update: Update, context: Any) -> None:
    """rc:go / rc:end / rc:fix: a roll call of the cell and month the button names, if the person leads
    that cell (from the database) and the month is the current one or still open for corrections."""
    data = update.callback_query.data or ""
    phase = None
    try:
        if data.startswith(FIX):
            phase, cell_text, month = data[len(FIX):].split(":")
            if phase not in (roll_calls.START, roll_calls.END):
                raise ValueError(phase)
        else:
            prefix = OPEN if data.startswith(OPEN) else OPEN_END
            phase = None if prefix == OPEN else roll_calls.END
            cell_text, month = data[len(prefix):].split(":")
        cell_id = int(cell_text)
        schedule.parse_period(month)
    except ValueError:
        actor = await common.actor_for(update, context)
        await common.refuse_forged(update, context, actor, what="roll_call.open")
        return
    found = await leader_of(update, context, cell_id, what="roll_call.open")
    if found is None:
        return
    actor, cell = found
    ctx = ctx_of(context)
    if data.startswith(OPEN) and month != schedule.period_of(ctx.clock.now().date()):
        await stale(update, actor)   # a reminder of another month
        return
    # (the press is acknowledged with the answer below, whichever it is)
    if actor.in_flow(FLOW) and actor.draft.data.get("cell") == cell.id and actor.draft.data.get("month") == month \
            and (phase is None or actor.draft.data.get("phase") == phase):
        await _render(update, context, actor, dict(actor.draft.data), actor.draft.step, edit=False)
        return
    await begin(update, context, actor, cell, month, phase)


async def on_button(update: Update, context: Any) -> None:
    """rc:<key>:<action>: a button of the list or of the summary, for the draft it was made for."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    parts = (update.callback_query.data or "").split(":")
    if len(parts) < 3 or not actor.in_flow(FLOW) or actor.draft.data.get("key") != parts[1]:
        await stale(update, actor)
        return
    ctx = ctx_of(context)
    data = dict(actor.draft.data)
    if not await _still_allowed(update, context, actor, data):
        return
    action, arg = parts[2], (parts[3] if len(parts) > 3 else "")
    step = actor.draft.step
    if action == "t" and arg.isdigit() and 1 <= int(arg) <= len(data["members"]) and step == MARK:
        index = int(arg) - 1
        status = list(data["status"])
        status[index] = attendance.toggle(status[index])
        if status[index] == attendance.ABSENT_EXCUSED and data.get("count") is not None:
            status, data["count"] = _named_again(status, index), None
        data["status"] = status
        if status[index] != attendance.ABSENT_EXCUSED:
            data["reasons"] = {k: v for k, v in data["reasons"].items() if k != arg}
        await _save(ctx, actor, MARK, data)
        await _render(update, context, actor, data, MARK, edit=True)
    elif action == "p" and arg.isdigit() and step == MARK:
        data["page"] = int(arg)
        await _save(ctx, actor, MARK, data)
        await _render(update, context, actor, data, MARK, edit=True)
    elif action == "g" and step == MARK:
        data["guests"] = min(int(data.get("guests", 0)) + 1, 99)
        await _save(ctx, actor, MARK, data)
        await _render(update, context, actor, data, MARK, edit=True)
    elif action in ("time", "why") and step == MARK:
        await _save(ctx, actor, TIME if action == "time" else REASON, data)
        await _render(update, context, actor, data, TIME if action == "time" else REASON, edit=False)
    elif action == "done" and step == MARK:
        await _save(ctx, actor, CONFIRM, data)
        await _render(update, context, actor, data, CONFIRM, edit=True)
    elif action == "back" and step in (CONFIRM, CONFLICT):
        await _save(ctx, actor, MARK, data)
        await _render(update, context, actor, data, MARK, edit=True)
    elif action == "save" and step == CONFIRM:
        await confirm(update, context, actor, data)
    elif action == "over" and step == CONFLICT:
        await confirm(update, context, actor, data, overwrite=True)
    elif action == "keep" and step == CONFLICT:
        await drafts.clear(ctx.db, actor.account.id)
        await show(update, actor.t.gettext("Kept the roll call already saved. Nothing of yours was saved."),
                   edit=True)
    elif action == "x":
        await drafts.clear(ctx.db, actor.account.id)
        await show(update, actor.t.gettext("Roll call cancelled. Nothing was saved."), edit=True)
    else:
        await stale(update, actor)


def _named_again(status: list[str], index: int) -> list[str]:
    """Leaving a roll call by count (a member named absent): the unnamed are present again."""
    return [attendance.PRESENT if s == attendance.UNNAMED and i != index else s for i, s in enumerate(status)]


async def _still_allowed(update: Update, context: Any, actor: common.Actor, data: dict) -> bool:
    """Still this cell's leader, and the month still open: checked at every step."""
    ctx = ctx_of(context)
    if data.get("cell") not in {c.id for c in led_cells(actor)}:
        await drafts.clear(ctx.db, actor.account.id)
        await common.refuse_forged(update, context, actor, what="roll_call", detail={"cell_id": data.get("cell")})
        return False
    if not await correctable(ctx, data["cell"], data["month"]):
        cell = await org.get_unit(ctx.db, data["cell"])
        await drafts.clear(ctx.db, actor.account.id)
        await common.reply(update, closed_text(actor.t, ctx, cell, data["month"]))
        return False
    return True


# --- typed forms -----------------------------------------------------------------------------------------


async def on_text(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None or not actor.in_flow(FLOW):
        return
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    data = dict(actor.draft.data)
    if not await _still_allowed(update, context, actor, data):
        return
    step = actor.draft.step
    text = update.effective_message.text or ""
    typed = forms.parse(text)
    if step == REASON and typed is not None and typed.form == forms.NUMBER:
        typed = None  # a number alone is not a reason
    if step == REASON:
        typed = forms.parse(f"lý do {text}") if typed is None or typed.form != forms.REASON else typed
    if step == TIME and typed is not None and typed.form != forms.TIME:
        typed = forms.parse(f"giờ {text}")
    if step == CONFIRM:
        if typed is not None and typed.form == forms.NUMBER and typed.numbers[0] in (1, 2):
            if typed.numbers[0] == 1:
                await confirm(update, context, actor, data)
            else:
                await _save(ctx, actor, MARK, data)
                await _render(update, context, actor, data, MARK, edit=False)
            return
        await common.reply(update, _("Please answer 1 to save or 2 to go back and fix, or use the buttons."))
        return
    if step == CONFLICT:
        await common.reply(update, _("Please use the buttons above: replace it with yours, or keep it."))
        return
    if typed is None:
        await common.reply(update, _("I did not understand that. For example: “absent 3 7”, “present 27”, a "
                                     "member's number, or “done” when the list is right."))
        return
    problem = _apply(ctx, t, data, typed)
    if problem:
        await common.reply(update, problem)
        if step in (REASON, TIME):
            return
        return
    next_step = CONFIRM if typed.form == forms.DONE else MARK
    await _save(ctx, actor, next_step, data)
    await _render(update, context, actor, data, next_step, edit=False)


def _apply(ctx: AppContext, t: i18n.Translator, data: dict, typed: forms.Typed) -> str | None:
    """Change `data` as the typed form says, or return why it cannot (and change nothing)."""
    _ = t.gettext
    total = len(data["members"])
    status = list(data["status"])
    if typed.form in (forms.ABSENT, forms.UNEXCUSED, forms.PRESENT, forms.NUMBER, forms.REASON):
        wrong = [n for n in typed.numbers if not 1 <= n <= total]
        if wrong:
            return t.ngettext("There is no member number {numbers}: the list goes from 1 to {total}. Nothing "
                              "was changed.", "There are no member numbers {numbers}: the list goes from 1 to "
                              "{total}. Nothing was changed.", len(wrong)).format(
                numbers=", ".join(str(n) for n in wrong), total=total)
    if typed.form in (forms.ABSENT, forms.UNEXCUSED, forms.REASON):
        if data.get("count") is not None:
            status = _named_again(status, -1)
            data["count"] = None
        for number in typed.numbers:
            status[number - 1] = attendance.mark_absent(status[number - 1], excused=typed.form != forms.UNEXCUSED)
            if typed.form == forms.REASON and not data["members"][number - 1][3]:
                data["reasons"] = {**data["reasons"], str(number): typed.text}
            elif typed.form == forms.UNEXCUSED:
                data["reasons"] = {k: v for k, v in data["reasons"].items() if k != str(number)}
    elif typed.form == forms.PRESENT:
        for number in typed.numbers:
            status[number - 1] = attendance.mark_present(status[number - 1])
            data["reasons"] = {k: v for k, v in data["reasons"].items() if k != str(number)}
    elif typed.form == forms.NUMBER:
        index = typed.numbers[0] - 1
        if data.get("count") is not None:
            status, data["count"] = _named_again(status, -1), None
        status[index] = attendance.toggle(status[index])
    elif typed.form == forms.ALL_PRESENT:
        status = [attendance.initial_status(bool(m[3])) if s != attendance.EXEMPT_PRESENT else s
                  for m, s in zip(data["members"], status)]
        data["reasons"], data["count"] = {}, None
    elif typed.form == forms.COUNT:
        regular = sum(1 for m in data["members"] if not m[3])
        present = typed.numbers[0]
        if not 0 <= present <= regular:
            return _("The number present must be between 0 and {regular}, the members counted (exempt members "
                     "who attend are marked on the list). Nothing was changed.").format(regular=regular)
        status = [attendance.UNNAMED if not m[3] else s for m, s in zip(data["members"], status)]
        data["count"], data["reasons"] = present, {}
    elif typed.form == forms.GUESTS:
        if typed.numbers[0] > 99:
            return _("Please type the number of guests, from 0 to 99. Nothing was changed.")
        data["guests"] = typed.numbers[0]
    elif typed.form == forms.TIME:
        problem = _set_time(ctx, t, data, typed)
        if problem:
            return problem
    elif typed.form == forms.SKIP:
        return _("There is nothing to skip here. Press Done (or type “done”) when the list is right.")
    data["status"] = status
    return None


def _set_time(ctx: AppContext, t: i18n.Translator, data: dict, typed: forms.Typed) -> str | None:
    _ = t.gettext
    example = _("Please write the time like 19:30, or 19:30 3/12 for another day. Nothing was changed.")
    if typed.time is None:
        return example
    hour, minute = typed.time
    now = ctx.clock.now()
    taken = taken_at(ctx, data).astimezone(ctx.clock.tz)
    year, month = schedule.parse_period(data["month"])
    try:
        if typed.day is not None:
            day, in_month, in_year = typed.day
            on = date(in_year or year, in_month, day)
        else:
            on = taken.date()
        when = datetime.combine(on, time(hour, minute), tzinfo=ctx.clock.tz)
    except ValueError:
        return example
    if schedule.period_of(on) != data["month"]:
        return _("The roll call must be in {month}. Nothing was changed.").format(month=month_name(t, data["month"]))
    if when > now:
        return _("That time is still to come. Please type the time the roll call was taken. Nothing was changed.")
    data["taken_at"] = codec.instant(when)
    return None


# --- saving ----------------------------------------------------------------------------------------------


async def confirm(update: Update, context: Any, actor: common.Actor, data: dict, *, overwrite: bool = False) -> None:
    """Save the roll call: its member rows, its figures, the notice to the ward's staff when below target,
    the audit entry and the end of the draft, in one transaction."""
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    cell = await org.get_unit(ctx.db, data["cell"])
    month, phase = data["month"], data["phase"]
    saved = await roll_calls.of_meeting(ctx.db, cell.id, month)
    existing = saved.get(phase)
    if existing is not None and existing.revision != data.get("base_rev", 0) and not overwrite:
        await _save(ctx, actor, CONFLICT, data)
        who = await org.get_person(ctx.db, existing.taken_by) if existing.taken_by else None
        text = _("Comrade {name} saved this roll call meanwhile, at {when}: {figures}. Replace it with yours?").format(
            name=who.full_name if who else "?", when=moment_text(t, codec.parse_instant(existing.saved_at or existing.taken_at)),
            figures=summary_line(t, phase, existing.present, existing.eligible))
        key = data["key"]
        await show(update, text, keyboard([[(_("Replace it with mine"), f"{PREFIX}{key}:over"),
                                            (_("Keep theirs"), f"{PREFIX}{key}:keep")]]), edit=True)
        return
    if phase == roll_calls.END and roll_calls.START not in saved:
        await drafts.clear(ctx.db, actor.account.id)
        await show(update, _("Please take the start-of-meeting roll call first."), edit=True)
        return
    count = figures(ctx, data)
    taken = taken_at(ctx, data)
    if schedule.period_of(taken.astimezone(ctx.clock.tz).date()) != month:
        # recorded after its month: the time must be typed, with its day
        await _save(ctx, actor, TIME, data)
        await show(update, _("This roll call belongs to {month}: please type when it was taken, for example "
                             "{example}.").format(month=month_name(t, month),
                                                  example=f"19:30 3/{schedule.parse_period(month)[1]}"), edit=True)
        return
    at = common.now_instant(ctx)
    marks = [roll_calls.MemberMark(m[0], i + 1, m[1], m[2], bool(m[3]), data["status"][i],
                                   data["reasons"].get(str(i + 1)) if data["status"][i] == attendance.ABSENT_EXCUSED
                                   else None)
             for i, m in enumerate(data["members"])]
    notices = [] if count.meets_target else await ward_notices(ctx, cell, month, phase, count, marks)
    async with ctx.db.transaction() as conn:
        roll_call_id = await roll_calls.save(
            conn, cell_id=cell.id, month=month, phase=phase, taken_at=codec.instant(taken),
            taken_by=actor.person.id, saved_at=at, members=marks, eligible=count.eligible, present=count.present,
            guests=count.guests, guest_note=data.get("guest_note"), counted_present=data.get("count"),
            held_on=taken.astimezone(ctx.clock.tz).date() if phase == roll_calls.START else None)
        for message in notices:
            message.dedup_key = f"{message.dedup_key}:{roll_call_id}:{at}"
        queued = await outbox.enqueue(conn, notices, at=at) if notices else 0
        await audit.record(conn, at=at, action="roll_call.saved", actor_person_id=actor.person.id,
                           platform=actor.platform, actor_external_id=update.effective_user.id, unit_id=cell.id,
                           detail={"month": month, "phase": phase, "present": count.present,
                                   "eligible": count.eligible, "guests": count.guests,
                                   "below_target": not count.meets_target})
        await drafts.clear(conn, actor.account.id)
    if queued:
        ctx.wake_sender()
    log.info("roll call %s of cell %s for %s saved: %s/%s", phase, cell.id, month, count.present, count.eligible)
    lines = [_("Saved: {line}.").format(line=summary_line(t, phase, count.present, count.eligible))]
    if not count.meets_target:
        lines.append(_("The attendance is below the target of {target}; the ward's party committee staff have "
                       "been told.").format(target=t.format_percent(ctx.config.meeting.target)))
    rows: list[list[tuple[str, str]]] = []
    if phase == roll_calls.START:
        lines.append(_("When the meeting ends, take the end-of-meeting roll call: press the button below, or "
                       "send /diemdanh."))
        rows = [[(_("Take the end-of-meeting roll call"), f"{OPEN_END}{cell.id}:{month}")]]
    else:
        start = saved[roll_calls.START]
        record = await meetings.get_record(ctx.db, cell.id, month)
        lines.append(length_line(ctx, t, codec.parse_instant(start.taken_at), taken, record.kind if record else None))
        lines.append(_("Now the meeting record: press the button below (you can also do it later from the menu)."))
        rows = [[(_("📝 The meeting record"), f"mr:go:{cell.id}:{month}")]]
    await show(update, "\n".join(lines), keyboard(rows), edit=True)


async def ward_notices(ctx: AppContext, cell: Unit, month: str, phase: str, count: attendance.Count,
                       marks: list[roll_calls.MemberMark]) -> list[outbox.OutgoingMessage]:
    """To each of the cell's ward's staff who joined, in their language: the cell, the rate, and the absent
    members with or without a reason. Nobody else."""
    ward = await common.ward_of(ctx, cell.id)
    if ward is None:
        return []
    staff = {person.id: person for person, _m in await org.current_members(ctx.db, [ward.id], [org.WARD_STAFF])}
    found = []
    for person_id, account in routing.each(await routing.reachable(ctx, staff)):
        t = i18n.get(staff[person_id].language)
        _ = t.gettext
        rate = t.format_percent(float(count.rate)) if count.rate is not None else "—"
        label = _("start of the meeting") if phase == roll_calls.START else _("end of the meeting")
        lines = [_("Attendance below target: cell {cell} ({ward}), {month} meeting, roll call at the {label}: "
                   "{present} of {eligible} present ({rate}; target {target}).").format(
            cell=cell.name, ward=ward.name, month=month_name(t, month), label=label,
            present=t.format_number(count.present), eligible=t.format_number(count.eligible), rate=rate,
            target=t.format_percent(ctx.config.meeting.target))]
        excused = [m for m in marks if m.status == attendance.ABSENT_EXCUSED]
        unexcused = [m for m in marks if m.status == attendance.ABSENT_UNEXCUSED]
        if excused:
            lines.append(_("Absent with a reason: {names}").format(names=", ".join(
                f"{m.full_name} ({m.reason})" if m.reason else m.full_name for m in excused)))
        if unexcused:
            lines.append(_("Absent without a reason: {names}").format(names=", ".join(m.full_name for m in unexcused)))
        if count.absent_unnamed:
            lines.append(t.ngettext("{n} member absent, not named (counted by number).",
                                    "{n} members absent, not named (counted by number).",
                                    count.absent_unnamed).format(n=t.format_number(count.absent_unnamed)))
        found.append(outbox.OutgoingMessage(
            kind="notice", chat_id=account.chat_id, person_id=person_id, payload={"text": "\n".join(lines)},
            platform=account.platform,
            ref=f"attendance-low:{cell.id}:{month}:{phase}", dedup_key=f"attendance-low:{person_id}"))
    return found


async def on_other(update: Update, context: Any) -> None:
    """A sticker, a photo, a voice note… during a roll call: what this step expects, nothing changed."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    await common.reply(update, _("This step does not take that. Please answer the question above, or /cancel."))


menu_registry.add(MenuItem(
    "roll_call", label=N_("Roll call"), description=N_("Take the roll call at the start and the end of the meeting"),
    roles=frozenset(org.CELL_LEADERS), callback=open_from_menu, command="diemdanh", order=20,
))


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)
    in_flow = common.InFlow(application, FLOW)
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND
                                           & ~menu.TYPED_MENU_ITEM & in_flow, on_text))
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & ~filters.TEXT & ~filters.COMMAND & in_flow,
                                           on_other))
    application.add_handler(CallbackQueryHandler(on_open_button, pattern=rf"^({OPEN}|{OPEN_END}|{FIX})"))
    application.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}[0-9a-f]+:"))
