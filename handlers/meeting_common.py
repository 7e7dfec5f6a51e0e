"""What the roll call and the meeting record share: the cell a person leads (from the database, for every
update), whether a month is still open for corrections, and the replies of a guided step (edit the
message the button was on, or send a new one; "this button is out of date")."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.core import i18n
from bot.core.context import AppContext
from bot.reminders.texts import month_name
from bot.rules import attendance
from handlers import common
from storage import meetings, org
from storage.org import Unit

log = logging.getLogger(__name__)


def led_cells(actor: common.Actor) -> list[Unit]:
    """The active cells this person is secretary or deputy of, from the memberships read for this update."""
    found = {}
    for membership in actor.memberships:
        unit = actor.units.get(membership.unit_id)
        if membership.role in org.CELL_LEADERS and unit is not None and unit.kind == "cell" and unit.active:
            found.setdefault(unit.id, unit)
    return list(found.values())


async def leader_of(update: Update, context: Any, cell_id: int | None = None,
                    *, what: str = "roll_call") -> tuple[common.Actor, Unit] | None:
    """The actor and the cell they lead (that cell, when a button names one); otherwise they are told
    why (a cell they do not lead is refused and audited), and None."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return None
    cells = led_cells(actor)
    if cell_id is not None:
        cell = next((c for c in cells if c.id == cell_id), None)
        if cell is None:
            await common.refuse_forged(update, context, actor, what=what, detail={"cell_id": cell_id})
            return None
        return actor, cell
    if not cells:
        _ = actor.t.gettext
        await common.reply(update, _("Only a cell's secretary or deputy secretary can take its roll call."))
        return None
    return actor, cells[0]


async def correctable(ctx: AppContext, cell_id: int, month: str) -> bool:
    """May the cell still record or correct that month (the window, or reopened by ward staff)?"""
    record = await meetings.get_record(ctx.db, cell_id, month)
    return attendance.may_correct(month, ctx.clock.now().date(),
                                  deadline_day=ctx.config.meeting.corrections_until_day,
                                  reopened_until=record.reopened_until if record else None)


def closed_text(t: i18n.Translator, ctx: AppContext, cell: Unit, month: str) -> str:
    deadline = attendance.corrections_deadline(month, ctx.config.meeting.corrections_until_day)
    return t.gettext("The {month} meeting of cell {cell} can no longer be changed: corrections closed after "
                     "{deadline}. Your ward's party committee staff can reopen it.").format(
        month=month_name(t, month), cell=cell.name, deadline=t.format_date(deadline, "long"))


async def stale(update: Update, actor: common.Actor) -> None:
    _ = actor.t.gettext
    text = _("This button is out of date. Send /diemdanh to see the roll call as it is now.")
    await common.notify(update, text)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


async def show(update: Update, text: str, markup=None, *, edit: bool) -> None:
    """Edit the message the button was on, or send a new one."""
    query = update.callback_query
    if edit and query is not None:
        try:
            await common.acknowledged(update, query.edit_message_text(text, reply_markup=markup))
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise
        return
    await common.reply(update, text, reply_markup=markup)
