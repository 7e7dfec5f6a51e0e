"""The meeting record (biên bản): after the end roll call, or later from the menu while the month is open
for corrections. Steps: the meeting's kind (regular, thematic, or both together), its topic, how many
members spoke, whether the ward committee member in charge attended, the main conclusions, the grade the
cell committee proposes (Tốt / Khá / Trung bình / Kém), a photo or document of the minutes; then a summary
to save. Every step but the kind can be skipped (skipping keeps what was saved before), and each has its
typed form: a number answers a numbered question, `bỏ qua` / `skip` skips, text is the answer.

The secretary and the deputy share one record: whoever saves second, after the other saved, is shown what
the other saved and asked before overwriting (replacing keeps the other's answers to the steps they
skipped). After the corrections deadline (`[meeting]
corrections_until_day` of the next month) the record is closed; ward staff reopen it with **Mở lại biên
bản** (`/molai`, handlers/meeting_reopen.py).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.core.i18n import N_
from bot.reminders.texts import month_name
from bot.rules import attendance, schedule
from bot.rules import typed_forms as forms
from bot.rules.text import fold
from handlers import common, menu, menu_registry, recommendation_people, recommendation_texts
from handlers.menu_registry import MenuItem
from handlers.roll_call import closed_text, correctable, keyboard, leader_of, led_cells, length_line, show, stale
from storage import audit, codec, drafts, meetings, org, roll_calls
from storage.org import Unit

log = logging.getLogger(__name__)

FLOW = "meeting.record"
KIND, TOPIC, SPEAKERS, WARD, CONCLUSIONS, GRADE, MINUTES, ANSWERS, CONFIRM, CONFLICT = (
    "kind", "topic", "speakers", "ward", "conclusions", "grade", "minutes", "answers", "confirm", "conflict")
# ANSWERS ("were the answers to the cell's recommendations reported to the members?") is asked only when
# the cell received answers since its previous meeting (handlers/recommendation_people.answers_to_report).
STEPS = (KIND, TOPIC, SPEAKERS, WARD, CONCLUSIONS, GRADE, MINUTES, ANSWERS, CONFIRM)
OPEN = "mr:go:"            # mr:go:<cell id>:<YYYY-MM>
PREFIX = "mr:"
MAX_TEXT = 1000

KIND_LABELS = {attendance.REGULAR: N_("Regular"), attendance.THEMATIC: N_("Thematic"),
               attendance.BOTH: N_("Regular and thematic together")}
GRADE_LABELS = {"good": N_("Good (Tốt)"), "fair": N_("Fair (Khá)"), "average": N_("Average (Trung bình)"),
                "poor": N_("Poor (Kém)")}


# --- opening ---------------------------------------------------------------------------------------------


async def open_from_menu(update: Update, context: Any) -> None:
    """The menu item (/bienban): resume the record in progress, else the latest month with a saved roll
    call that is still open (this month, else last month)."""
    found = await leader_of(update, context, what="meeting.record")
    if found is None:
        return
    actor, cell = found
    if actor.in_flow(FLOW):
        await _prompt(update, context, actor, dict(actor.draft.data), actor.draft.step, edit=False)
        return
    ctx = ctx_of(context)
    _ = actor.t.gettext
    current = schedule.period_of(ctx.clock.now().date())
    for month in (current, schedule.shift_period(current, -1)):
        if await roll_calls.get(ctx.db, cell.id, month, roll_calls.START) is not None:
            await begin(update, context, actor, cell, month)
            return
    await common.reply(update, _("There is no roll call of this month's meeting of cell {cell} yet. The record "
                                 "comes after the roll call: send /diemdanh.").format(cell=cell.name))


# Started afresh (after discarding another draft) or resumed, it is the menu's entry.
RECORD = common.define_flow(FLOW, N_("writing the meeting record"), open_from_menu, resume=open_from_menu)


async def on_open_button(update: Update, context: Any) -> None:
    raw = update.callback_query.data or ""
    try:
        cell_text, month = raw[len(OPEN):].split(":")
        cell_id = int(cell_text)
        schedule.parse_period(month)
    except ValueError:
        actor = await common.actor_for(update, context)
        await common.refuse_forged(update, context, actor, what="meeting.record")
        return
    found = await leader_of(update, context, cell_id, what="meeting.record")
    if found is None:
        return
    actor, cell = found
    try:
        await update.callback_query.answer()
    except Exception:
        log.debug("callback query not answered", exc_info=True)
    if actor.in_flow(FLOW) and actor.draft.data.get("cell") == cell.id and actor.draft.data.get("month") == month:
        await _prompt(update, context, actor, dict(actor.draft.data), actor.draft.step, edit=False)
        return
    await begin(update, context, actor, cell, month)


async def begin(update: Update, context: Any, actor: common.Actor, cell: Unit, month: str) -> None:
    """The one entry point of the record flow. Another unfinished conversation is never discarded without
    asking."""
    await common.begin_flow(update, context, RECORD, start=lambda u, c: _begin(u, c, actor, cell, month))


async def _begin(update: Update, context: Any, actor: common.Actor, cell: Unit, month: str) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    if not await correctable(ctx, cell.id, month):
        await common.reply(update, closed_text(actor.t, ctx, cell, month))
        return
    if await roll_calls.get(ctx.db, cell.id, month, roll_calls.START) is None:
        await common.reply(update, _("Please take the start-of-meeting roll call first."))
        return
    record = await meetings.get_record(ctx.db, cell.id, month)
    answers = len(await recommendation_people.answers_to_report(ctx, cell.id, month))
    fields = {name: getattr(record, name) for name in meetings.RECORD_FIELDS
              if name != "answers_reported" or answers}
    data = {"key": secrets.token_hex(3), "cell": cell.id, "month": month, "meeting": record.meeting_id,
            "base_rev": record.rev, "fields": fields, "answers": answers}
    await _save(ctx, actor, KIND, data)
    await _prompt(update, context, actor, data, KIND, edit=False)


async def _save(ctx: AppContext, actor: common.Actor, step: str, data: dict, conn=None) -> None:
    await drafts.save(conn or ctx.db, actor.account.id, FLOW, step, data, at=common.now_instant(ctx))


# --- the steps -------------------------------------------------------------------------------------------


def _value_text(t: i18n.Translator, name: str, value) -> str:
    _ = t.gettext
    if value is None:
        return "—"
    if name == "kind":
        return _(KIND_LABELS[value])
    if name == "proposed_grade":
        return _(GRADE_LABELS[value])
    if name == "ward_member_attended":
        return _("yes") if value else _("no")
    if name == "speakers":
        return t.format_number(value)
    return str(value)


def _summary(t: i18n.Translator, fields: dict) -> list[str]:
    _ = t.gettext
    minutes = fields.get("minutes_file_name") or (_("a photo") if fields.get("minutes_kind") == "photo" else None)
    return [
        _("• Kind: {value}").format(value=_value_text(t, "kind", fields.get("kind"))),
        _("• Topic: {value}").format(value=_value_text(t, "topic", fields.get("topic"))),
        _("• Members who spoke: {value}").format(value=_value_text(t, "speakers", fields.get("speakers"))),
        _("• Ward committee member in charge attended: {value}").format(
            value=_value_text(t, "ward_member_attended", fields.get("ward_member_attended"))),
        _("• Conclusions: {value}").format(value=_value_text(t, "conclusions", fields.get("conclusions"))),
        _("• Proposed grade: {value}").format(value=_value_text(t, "proposed_grade", fields.get("proposed_grade"))),
        _("• Minutes: {value}").format(value=minutes or ("✓" if fields.get("minutes_file_id") else "—")),
    ] + ([_("• Answers to recommendations reported to the members: {value}").format(
        value=_value_text(t, "ward_member_attended", fields.get("answers_reported")))]
        if "answers_reported" in fields else [])


async def _prompt(update: Update, context: Any, actor: common.Actor, data: dict, step: str, *, edit: bool) -> None:
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    key = data["key"]
    fields = data["fields"]
    cell = await org.get_unit(ctx.db, data["cell"])
    head = _("Meeting record — cell {cell}, {month}").format(cell=cell.name, month=month_name(t, data["month"]))
    skip = (_("Skip ▶"), f"{PREFIX}{key}:s")
    now_line = ""
    rows: list[list[tuple[str, str]]] = []
    if step == KIND:
        question = _("What kind of meeting was it? 1. Regular · 2. Thematic · 3. Regular and thematic together")
        rows = [[(_(KIND_LABELS[kind]), f"{PREFIX}{key}:k:{index}")] for index, kind in enumerate(attendance.KINDS, 1)]
        now_line = fields.get("kind") and _value_text(t, "kind", fields["kind"])
    elif step == TOPIC:
        question = _("Type the topic of the meeting (or skip).")
        rows = [[skip]]
        now_line = fields.get("topic")
    elif step == SPEAKERS:
        question = _("How many members spoke? Type the number (or skip).")
        rows = [[(t.format_number(n), f"{PREFIX}{key}:n:{n}") for n in range(0, 8)], [skip]]
        now_line = fields.get("speakers") is not None and _value_text(t, "speakers", fields["speakers"])
    elif step == WARD:
        question = _("Did the ward committee member in charge attend? 1. Yes · 2. No")
        rows = [[(_("Yes"), f"{PREFIX}{key}:w:1"), (_("No"), f"{PREFIX}{key}:w:2")], [skip]]
        now_line = fields.get("ward_member_attended") is not None and \
            _value_text(t, "ward_member_attended", fields["ward_member_attended"])
    elif step == CONCLUSIONS:
        question = _("Type the main conclusions of the meeting, briefly (or skip).")
        rows = [[skip]]
        now_line = fields.get("conclusions")
    elif step == GRADE:
        question = _("The grade the cell committee proposes? 1. Good (Tốt) · 2. Fair (Khá) · 3. Average "
                     "(Trung bình) · 4. Poor (Kém)")
        rows = [[(_(GRADE_LABELS[g]), f"{PREFIX}{key}:g:{i}") for i, g in enumerate(attendance.GRADES[:2], 1)],
                [(_(GRADE_LABELS[g]), f"{PREFIX}{key}:g:{i}") for i, g in enumerate(attendance.GRADES[2:], 3)],
                [skip]]
        now_line = fields.get("proposed_grade") and _value_text(t, "proposed_grade", fields["proposed_grade"])
    elif step == MINUTES:
        question = _("Send a photo or a document of the minutes (or skip).")
        rows = [[skip]]
        now_line = fields.get("minutes_file_id") and (fields.get("minutes_file_name") or _("a photo"))
    elif step == ANSWERS:
        question = t.ngettext(
            "The cell received {n} answer to its recommendations since its last meeting. Was it reported to "
            "the members? 1. Yes · 2. No",
            "The cell received {n} answers to its recommendations since its last meeting. Were they reported "
            "to the members? 1. Yes · 2. No", data.get("answers", 0)).format(n=t.format_number(data.get("answers", 0)))
        rows = [[(_("Yes"), f"{PREFIX}{key}:a:1"), (_("No"), f"{PREFIX}{key}:a:2")], [skip]]
        now_line = fields.get("answers_reported") is not None and \
            _value_text(t, "ward_member_attended", fields["answers_reported"])
    else:
        question = "\n".join(_summary(t, fields) + [_("Save the record? 1. Save · 2. Start again")])
        rows = [[(_("💾 Save"), f"{PREFIX}{key}:save"), (_("◀ Start again"), f"{PREFIX}{key}:again")]]
    lines = [head, question]
    if now_line:
        lines.append(_("Saved now: {value}").format(value=now_line))
    rows.append([(_("Cancel"), f"{PREFIX}{key}:x")])
    await show(update, "\n".join(lines), keyboard(rows), edit=edit)


def _next(step: str, data: dict) -> str:
    following = STEPS[STEPS.index(step) + 1]
    if following == ANSWERS and not data.get("answers"):
        return _next(ANSWERS, data)
    return following


async def _advance(update: Update, context: Any, actor: common.Actor, data: dict, step: str, *, edit: bool) -> None:
    ctx = ctx_of(context)
    following = _next(step, data)
    await _save(ctx, actor, following, data)
    await _prompt(update, context, actor, data, following, edit=edit)


async def _allowed(update: Update, context: Any, actor: common.Actor, data: dict) -> bool:
    ctx = ctx_of(context)
    if data.get("cell") not in {c.id for c in led_cells(actor)}:
        await drafts.clear(ctx.db, actor.account.id)
        await common.refuse_forged(update, context, actor, what="meeting.record", detail={"cell_id": data.get("cell")})
        return False
    if not await correctable(ctx, data["cell"], data["month"]):
        await drafts.clear(ctx.db, actor.account.id)
        cell = await org.get_unit(ctx.db, data["cell"])
        await common.reply(update, closed_text(actor.t, ctx, cell, data["month"]))
        return False
    return True


async def on_button(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    parts = (update.callback_query.data or "").split(":")
    if len(parts) < 3 or not actor.in_flow(FLOW) or actor.draft.data.get("key") != parts[1]:
        await stale(update, actor)
        return
    data = dict(actor.draft.data)
    if not await _allowed(update, context, actor, data):
        return
    ctx = ctx_of(context)
    step = actor.draft.step
    action, arg = parts[2], (parts[3] if len(parts) > 3 else "")
    fields = dict(data["fields"])
    if action == "s" and step not in (KIND, CONFIRM, CONFLICT):
        await _advance(update, context, actor, data, step, edit=True)
        return
    answer = None
    if action == "k" and step == KIND:
        answer = _choice(arg, attendance.KINDS)
    elif action == "n" and step == SPEAKERS:
        answer = int(arg) if arg.isdigit() and int(arg) < 8 else None
    elif action == "w" and step == WARD:
        answer = {"1": True, "2": False}.get(arg)
    elif action == "g" and step == GRADE:
        answer = _choice(arg, attendance.GRADES)
    elif action == "a" and step == ANSWERS:
        answer = {"1": True, "2": False}.get(arg)
    elif action == "save" and step == CONFIRM:
        await confirm(update, context, actor, data)
        return
    elif action == "over" and step == CONFLICT:
        await confirm(update, context, actor, data, overwrite=True)
        return
    elif action == "keep" and step == CONFLICT:
        await drafts.clear(ctx.db, actor.account.id)
        await show(update, actor.t.gettext("Kept the record already saved. Nothing of yours was saved."), edit=True)
        return
    elif action == "again" and step in (CONFIRM, CONFLICT):
        await _save(ctx, actor, KIND, data)
        await _prompt(update, context, actor, data, KIND, edit=True)
        return
    elif action == "x":
        await drafts.clear(ctx.db, actor.account.id)
        await show(update, actor.t.gettext("Meeting record cancelled. Nothing was saved."), edit=True)
        return
    if answer is None:
        await stale(update, actor)
        return
    fields[_FIELD[step]] = answer
    data["fields"] = fields
    data["answered"] = sorted(set(data.get("answered", [])) | {_FIELD[step]})
    await _advance(update, context, actor, data, step, edit=True)


_FIELD = {KIND: "kind", TOPIC: "topic", SPEAKERS: "speakers", WARD: "ward_member_attended",
          CONCLUSIONS: "conclusions", GRADE: "proposed_grade", ANSWERS: "answers_reported"}


def _choice(arg: str, options: tuple[str, ...]):
    return options[int(arg) - 1] if arg.isdigit() and 1 <= int(arg) <= len(options) else None


async def on_text(update: Update, context: Any) -> None:
    """The typed form of each step."""
    actor = await common.require_actor(update, context)
    if actor is None or not actor.in_flow(FLOW):
        return
    data = dict(actor.draft.data)
    if not await _allowed(update, context, actor, data):
        return
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    step = actor.draft.step
    text = " ".join((update.effective_message.text or "").split())
    typed = forms.parse(text)
    number = typed.numbers[0] if typed is not None and typed.form == forms.NUMBER else None
    fields = dict(data["fields"])
    if typed is not None and typed.form == forms.SKIP:
        if step == KIND:
            await common.reply(update, _("The kind of meeting cannot be skipped. Please answer 1, 2 or 3."))
        elif step in (CONFIRM, CONFLICT):
            await common.reply(update, _("Please answer 1 to save or 2 to start again, or use the buttons."))
        else:
            await _advance(update, context, actor, data, step, edit=False)
        return
    problem = None
    if step == KIND:
        answer = _choice(str(number), attendance.KINDS) if number is not None else None
        problem = None if answer else _("Please answer 1 (regular), 2 (thematic) or 3 (both together).")
    elif step in (TOPIC, CONCLUSIONS):
        answer = text[:MAX_TEXT] if text else None
        problem = None if answer else _("Please type the text, or skip.")
    elif step == SPEAKERS:
        start = await roll_calls.get(ctx.db, data["cell"], data["month"], roll_calls.START)
        limit = max(start.present if start else 0, 0)
        answer = number if number is not None and number <= limit else None
        problem = None if answer is not None else _(
            "Please type a whole number from 0 to {limit} (the members present), or skip.").format(limit=limit)
    elif step in (WARD, ANSWERS):
        answer = {1: True, 2: False}.get(number) if number is not None else None
        if answer is None and text:
            answer = {"co": True, "yes": True, "khong": False, "no": False}.get(fold(text))
        problem = None if answer is not None else _("Please answer 1 (yes) or 2 (no), or skip.")
    elif step == GRADE:
        answer = _choice(str(number), attendance.GRADES) if number is not None else None
        problem = None if answer else _("Please answer 1 (Good), 2 (Fair), 3 (Average) or 4 (Poor), or skip.")
    elif step == MINUTES:
        answer, problem = None, _("Please send a photo or a document of the minutes, or skip.")
    elif step == CONFIRM:
        if number == 1:
            await confirm(update, context, actor, data)
            return
        if number == 2:
            await _save(ctx, actor, KIND, data)
            await _prompt(update, context, actor, data, KIND, edit=False)
            return
        problem = _("Please answer 1 to save or 2 to start again, or use the buttons.")
    else:
        problem = _("Please use the buttons above: replace it with yours, or keep it.")
    if problem:
        await common.reply(update, problem + " " + _("Nothing was changed."))
        return
    fields[_FIELD[step]] = answer
    data["fields"] = fields
    data["answered"] = sorted(set(data.get("answered", [])) | {_FIELD[step]})
    await _advance(update, context, actor, data, step, edit=False)


async def on_file(update: Update, context: Any) -> None:
    """The minutes, as a photo or a document (step MINUTES)."""
    actor = await common.require_actor(update, context)
    if actor is None or not actor.in_flow(FLOW, MINUTES):
        return
    data = dict(actor.draft.data)
    if not await _allowed(update, context, actor, data):
        return
    message = update.effective_message
    fields = dict(data["fields"])
    if message.document is not None:
        fields.update(minutes_file_id=message.document.file_id, minutes_kind="document",
                      minutes_file_name=(message.document.file_name or "")[:200] or None)
    else:
        fields.update(minutes_file_id=message.photo[-1].file_id, minutes_kind="photo", minutes_file_name=None)
    data["fields"] = fields
    data["answered"] = sorted(set(data.get("answered", [])) | {"minutes_file_id", "minutes_kind", "minutes_file_name"})
    await _advance(update, context, actor, data, MINUTES, edit=False)


async def on_other(update: Update, context: Any) -> None:
    """A photo or file at a step that does not take one, a sticker, …: what this step expects."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    await common.reply(update, _("This step does not take that. Please answer the question above, or /cancel."))


# --- saving ----------------------------------------------------------------------------------------------


async def confirm(update: Update, context: Any, actor: common.Actor, data: dict, *, overwrite: bool = False) -> None:
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    fields = data["fields"]
    if not fields.get("kind"):
        await _save(ctx, actor, KIND, data)
        await _prompt(update, context, actor, data, KIND, edit=True)
        return
    at = common.now_instant(ctx)
    current = await meetings.get_record_by_id(ctx.db, data["meeting"])
    if overwrite:
        # what this person answered replaces the other's; what they skipped keeps the other's answer
        saved_fields = {k: v for k, v in current.fields().items() if k != "answers_reported"}
        fields = {**saved_fields, **{k: fields[k] for k in data.get("answered", []) if k in fields}}
    async with ctx.db.transaction() as conn:
        saved = await meetings.save_record(conn, meeting_id=data["meeting"], fields=fields, by=actor.person.id, at=at,
                                           expected_rev=None if overwrite else data["base_rev"])
        if saved:
            await audit.record(conn, at=at, action="meeting.recorded", actor_person_id=actor.person.id,
                               platform=actor.platform, actor_external_id=update.effective_user.id,
                               unit_id=data["cell"], detail={"month": data["month"], "kind": fields["kind"],
                                                             "overwrote": bool(overwrite)})
            await drafts.clear(conn, actor.account.id)
    if not saved:
        await _save(ctx, actor, CONFLICT, data)
        who = await org.get_person(ctx.db, current.saved_by) if current and current.saved_by else None
        lines = [_("Comrade {name} saved this record meanwhile, at {when}:").format(
            name=who.full_name if who else "?",
            when=t.format_datetime(codec.parse_instant(current.saved_at), "short") if current.saved_at else "?")]
        lines += _summary(t, current.fields())
        lines.append(_("Replace it with yours?"))
        key = data["key"]
        await show(update, "\n".join(lines), keyboard([[(_("Replace it with mine"), f"{PREFIX}{key}:over"),
                                                        (_("Keep theirs"), f"{PREFIX}{key}:keep")]]), edit=True)
        return
    lines = [_("The meeting record is saved.")] + _summary(t, fields)
    saved_calls = await roll_calls.of_meeting(ctx.db, data["cell"], data["month"])
    if roll_calls.START in saved_calls and roll_calls.END in saved_calls:
        lines.append(length_line(ctx, t, codec.parse_instant(saved_calls["start"].taken_at),
                                 codec.parse_instant(saved_calls["end"].taken_at), fields["kind"]))
    deadline = attendance.corrections_deadline(data["month"], ctx.config.meeting.corrections_until_day)
    lines.append(_("It can be corrected until {deadline} (menu: Meeting record).").format(
        deadline=t.format_date(max(deadline, current.reopened_until or deadline), "long")))
    # the members' and citizens' concerns raised at the meeting go up from here (handlers/recommendations.py)
    await show(update, "\n".join(lines), keyboard([[(_("➕ Send a recommendation raised at the meeting"),
                                                     recommendation_texts.NEW)]]), edit=True)


menu_registry.add(MenuItem(
    "meeting.record", label=N_("Meeting record"),
    description=N_("Record the meeting: kind, topic, speakers, conclusions, proposed grade, minutes"),
    roles=frozenset(org.CELL_LEADERS), callback=open_from_menu, command="bienban", order=25,
))



def register(application: Application, ctx: AppContext) -> None:
    common.install(application)
    message = common.PRIVATE_MESSAGE
    in_flow = common.InFlow(application, FLOW)
    application.add_handler(MessageHandler(message & filters.TEXT & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM
                                           & in_flow, on_text))
    application.add_handler(MessageHandler(message & (filters.PHOTO | filters.Document.ALL)
                                           & common.InFlow(application, FLOW, MINUTES), on_file))
    application.add_handler(MessageHandler(message & ~filters.TEXT & ~filters.COMMAND & in_flow, on_other))
    application.add_handler(CallbackQueryHandler(on_open_button, pattern=rf"^{OPEN}"))
    application.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}[0-9a-f]+:"))
