"""The quarterly evaluation in chat: ward staff score the manual criteria of the `[evaluation]` framework, cell
after cell (menu item "Score the quarter", `/chamdiem`). The computed criteria are filled in from the cells'
records and shown with how they were obtained; each total is classified once every criterion has points.

Steps, each with buttons and the same typed (a number alone answers): pick a cell (numbered list, with how
far each is scored) → one question per manual criterion (points 0..max: a button, or a typed number such as
`7,5`) → the cell's result, then the list again. Each score is written with the draft's next step in one
transaction: leaving (or a restart, or a day's pause) and coming back resumes at the next unscored
criterion. Buttons carry only the cell's id or the question's number and the points; the cell is checked
against the person's ward in the database at every step.
"""

from __future__ import annotations

import html
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.core.i18n import N_
from bot.reports.evaluation import quarter_results
from bot.reports.labels import explain, quarter_label
from bot.rules import access
from bot.rules import evaluation as rules
from bot.rules.reports import quarter_of
from bot.rules.schedule import period_of
from bot.rules.text import fold
from handlers import common, menu, menu_registry
from handlers.menu_registry import MenuItem
from storage import drafts, evaluations, org

FLOW = "evaluation.score"
PREFIX = "ev:"
_CELL, _SCORE, _STOP = "ev:c:", "ev:s:", "ev:x"
CELL_STEP, SCORE_STEP = "cell", "score"


def _quarter(ctx: AppContext) -> str:
    return quarter_of(period_of(ctx.clock.now().astimezone(ctx.clock.tz).date()))


def _wards(actor: common.Actor) -> frozenset[int]:
    return actor.scope.units([access.WARD_STAFF])


async def _cells(ctx: AppContext, actor: common.Actor) -> list[org.Unit]:
    found: dict[int, org.Unit] = {}
    for ward_id in _wards(actor):
        for cell in await org.cells_under(ctx.db, ward_id):
            found[cell.id] = cell
    return sorted(found.values(), key=lambda unit: (fold(unit.name), unit.id))


def _format_points(t: i18n.Translator, value: float) -> str:
    return t.format_number(int(value) if value == int(value) else value)


async def start(update: Update, context: Any) -> None:
    """The flow's one entry point (menu button, typed label, /chamdiem): resume a scoring in progress, or
    show the ward's cells. Another unfinished conversation is never discarded without asking."""
    actor = await common.require_actor(update, context)
    if actor is not None and actor.in_flow(FLOW):
        await _start(update, context)
        return
    await common.begin_flow(update, context, SCORING)


async def _start(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    if not _wards(actor):
        await common.refuse_forged(update, context, actor, what="evaluation.score")
        return
    draft = actor.draft
    if draft is not None and draft.flow == FLOW and draft.step == SCORE_STEP \
            and draft.data.get("quarter") == _quarter(ctx):
        await _ask_next(update, ctx, actor, draft.data["cell"], resumed=True)
        return
    await _ask_cell(update, ctx, actor)


async def _ask_cell(update: Update, ctx: AppContext, actor: common.Actor, lead: str = "") -> None:
    t, quarter = actor.t, _quarter(ctx)
    _ = t.gettext
    cells = await _cells(ctx, actor)
    framework = ctx.config.evaluation.framework()
    manual = [c.key for c in framework.manual]
    scores = await evaluations.scores(ctx.db, quarter, [cell.id for cell in cells])
    lines, buttons = [], []
    for number, cell in enumerate(cells, start=1):
        done = sum(1 for key in manual if key in scores.get(cell.id, {}))
        state = _("scored") if done == len(manual) else _("{done} of {count} scored").format(done=done, count=len(manual))
        lines.append(f"{number}. {html.escape(cell.name)} — {state}")
        buttons.append(InlineKeyboardButton(f"{number}. {cell.name}"[:40], callback_data=f"{_CELL}{cell.id}"))
    await drafts.save(ctx.db, actor.account.id, FLOW, CELL_STEP, {"quarter": quarter, "cells": [c.id for c in cells]},
                      at=common.now_instant(ctx))
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(_("Cancel"), callback_data=_STOP)])
    text = (lead + "\n\n" if lead else "") + _("<b>Evaluation of {quarter}</b>: which cell do you score?").format(
        quarter=quarter_label(t, quarter)) + "\n" + "\n".join(lines) + "\n" + _("Press a button or type its number.")
    await common.reply(update, text, reply_markup=InlineKeyboardMarkup(rows), parse_mode="HTML")


async def _cell_allowed(update: Update, context: Any, ctx: AppContext, actor: common.Actor, cell_id: int) -> bool:
    if cell_id in {cell.id for cell in await _cells(ctx, actor)}:
        return True
    await common.refuse_forged(update, context, actor, what="evaluation.cell", unit_id=None, detail={"cell": cell_id})
    return False


async def _result(ctx: AppContext, quarter: str, cell_id: int):
    found = await quarter_results(ctx.db, ctx.config, quarter, cell_ids={cell_id})
    return found[0] if found else None


def _computed_lines(t: i18n.Translator, result: rules.Result) -> list[str]:
    return [f"• {html.escape(line.criterion.name(t.lang))}: {_format_points(t, line.points)}/"
            f"{_format_points(t, line.criterion.points)} ({explain(t, line)})"
            for line in result.lines if line.computed is not None]


async def _ask_next(update: Update, ctx: AppContext, actor: common.Actor, cell_id: int, *, resumed: bool = False,
                    first: bool = False) -> None:
    """The next unscored manual criterion of the cell, or its result when none is left."""
    t, quarter = actor.t, _quarter(ctx)
    _ = t.gettext
    evaluated = await _result(ctx, quarter, cell_id)
    if evaluated is None:
        await _ask_cell(update, ctx, actor)
        return
    result = evaluated.result
    manual = [line.criterion for line in result.lines if line.criterion.manual]
    missing = [c for c in manual if c in result.missing]
    if not missing:
        lines = [_("<b>{cell}</b>: {total} of {max} points, {grade}").format(
            cell=html.escape(evaluated.cell_name), total=_format_points(t, result.total),
            max=_format_points(t, ctx.config.evaluation.framework().max_points), grade=result.grade.name(t.lang))]
        lines += [f"• {html.escape(line.criterion.name(t.lang))}: {_format_points(t, line.points)}/"
                  f"{_format_points(t, line.criterion.points)}" for line in result.lines]
        await _ask_cell(update, ctx, actor, lead="\n".join(lines))
        return
    criterion = missing[0]
    index = manual.index(criterion)
    await drafts.save(ctx.db, actor.account.id, FLOW, SCORE_STEP,
                      {"quarter": quarter, "cell": cell_id, "criterion": criterion.key, "index": index},
                      at=common.now_instant(ctx))
    parts = []
    if resumed:
        parts.append(_("We continue where you stopped."))
    if first or resumed:
        parts.append(_("<b>{cell}</b>, computed from the records:").format(cell=html.escape(evaluated.cell_name)))
        parts += _computed_lines(t, result)
    parts.append(_("Criterion {number} of {count}: <b>{name}</b> (0 to {max} points)").format(
        number=index + 1, count=len(manual), name=html.escape(criterion.name(t.lang)),
        max=_format_points(t, criterion.points)))
    parts.append(_("Press the points or type them (for example 7,5)."))
    choices = rules.score_choices(criterion)
    buttons = [InlineKeyboardButton(_format_points(t, value), callback_data=f"{_SCORE}{index}:{value:g}")
               for value in choices]
    rows = [buttons[i:i + 6] for i in range(0, len(buttons), 6)]
    rows.append([InlineKeyboardButton(_("Pause"), callback_data=_STOP)])
    await common.reply(update, "\n".join(parts), reply_markup=InlineKeyboardMarkup(rows), parse_mode="HTML")


async def _score(update: Update, context: Any, actor: common.Actor, value_text: str, index: int | None) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    data = actor.draft.data
    cell_id, key = data["cell"], data["criterion"]
    if index is not None and index != data.get("index"):
        await common.reply(update, _("That button belongs to an earlier question; please answer this one."))
        return
    if not await _cell_allowed(update, context, ctx, actor, cell_id):
        return
    criterion = ctx.config.evaluation.framework().criterion(key)
    value = rules.parse_score(value_text, criterion) if criterion is not None else None
    if value is None:
        await common.reply(update, _("Please give a number from 0 to {max} (for example 7,5), or /cancel.").format(
            max=_format_points(actor.t, criterion.points if criterion else 0)))
        return
    async with ctx.db.transaction() as conn:
        await evaluations.set_score(conn, cell_id=cell_id, quarter=data["quarter"], criterion=key, points=value,
                                    by=actor.person.id, at=common.now_instant(ctx))
    await _ask_next(update, ctx, actor, cell_id)


async def on_text(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    text = (update.effective_message.text or "").strip()
    if actor.draft.step == SCORE_STEP:
        await _score(update, context, actor, text, None)
        return
    cells = actor.draft.data.get("cells", [])
    if text.isdigit() and 1 <= int(text) <= len(cells):
        cell_id = cells[int(text) - 1]
        if await _cell_allowed(update, context, ctx, actor, cell_id):
            await _ask_next(update, ctx, actor, cell_id, first=True)
        return
    await common.reply(update, _("Please type a number from 1 to {count}, or /cancel.").format(count=len(cells)))


async def on_button(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    data = update.callback_query.data or ""
    if data == _STOP:
        if actor.in_flow(FLOW):
            await drafts.clear(ctx.db, actor.account.id)
        await common.reply(update, _("Paused. What you scored is kept; send /chamdiem to go on."),
                           reply_markup=menu.menu_keyboard(actor))
        return
    if data.startswith(_CELL) and not actor.in_flow(FLOW):
        await common.reply(update, _("This question is closed. Send /chamdiem to go on scoring."))
        return
    if data.startswith(_CELL) and data[len(_CELL):].isdigit():
        cell_id = int(data[len(_CELL):])
        if await _cell_allowed(update, context, ctx, actor, cell_id):
            await _ask_next(update, ctx, actor, cell_id, first=True)
        return
    if data.startswith(_SCORE) and actor.in_flow(FLOW, SCORE_STEP):
        index, _sep, value = data[len(_SCORE):].partition(":")
        if index.isdigit():
            await _score(update, context, actor, value, int(index))
            return
    if data.startswith(_SCORE):
        await common.reply(update, _("This question is closed. Send /chamdiem to go on scoring."))
        return
    await common.refuse_forged(update, context, actor, what="evaluation", detail={"data": data[:64]})


on_other = common.step_hint(N_("Please press a button or type its number, or /cancel."))


# Scores are saved as they are given, so resuming is starting again: it goes on at the next cell to score.
SCORING = common.define_flow(FLOW, N_("scoring the quarter's meetings"), _start, resume=_start)


menu_registry.add(MenuItem("evaluation.score", label=N_("Score the quarter"),
                           description=N_("Score the cells' meetings of the quarter"),
                           roles=frozenset({access.WARD_STAFF}), callback=start, command="chamdiem", order=530))


def register(application: Application, ctx: AppContext) -> None:
    in_flow = common.InFlow(application, FLOW)
    application.add_handler(MessageHandler(
        common.PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM & in_flow, on_text))
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & ~filters.TEXT & in_flow, on_other))
    application.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}"))
