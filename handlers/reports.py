"""Reports on demand in chat: menu item "Reports" (`/baocao`) for ward staff (their ward) and city staff (the
city overview, any ward). The bot answers with a short summary, the XLSX file and the PNG chart.

A numbered choice at each step, as buttons and typed (a number alone answers): this month's report, last
month's, the quarter's evaluation results; city staff also pick a ward from a numbered list. Callback data
carries only an action and an opaque id (`rp:w:<ward id>:<months back>`); the ward is checked against the
person's scope in the database on every press, and a forged or stale button is refused and audited.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.core.i18n import N_
from bot.reports import charts, facts, xlsx
from bot.reports.evaluation import quarter_results
from bot.reports.labels import month_label, quarter_label
from bot.reports.summary import city_summary, quarter_summary, ward_summary
from bot.rules import access
from bot.rules import reports as rules
from bot.rules.schedule import period_of, shift_period
from bot.rules.text import fold
from handlers import common, menu, menu_registry
from handlers.menu_registry import MenuItem
from storage import drafts, org

FLOW = "reports.menu"
PREFIX = "rp:"
# rp:w:<ward>:<back> a ward's month · rp:c:<back> the city's month · rp:q:<ward or 0> the quarter's results
# rp:wl the list of wards (city staff)
WARD, CITY, QUARTER, WARD_LIST = "w", "c", "q", "wl"


def _current_month(ctx: AppContext) -> str:
    return period_of(ctx.clock.now().astimezone(ctx.clock.tz).date())


async def _staff_wards(ctx: AppContext, actor: common.Actor) -> tuple[bool, list[org.Unit]]:
    """(is city staff, the wards this person may report on)."""
    wards = await org.units_of_kind(ctx.db, "ward")
    city = bool(actor.scope.units([access.CITY_STAFF]))
    if city:
        return True, wards
    mine = actor.scope.units([access.WARD_STAFF])
    return False, [ward for ward in wards if ward.id in mine]


def _choices(t: i18n.Translator, city: bool, wards: list[org.Unit], month: str) -> list[tuple[str, str]]:
    """The first step's numbered choices: (label, callback data)."""
    _ = t.gettext
    previous = shift_period(month, -1)
    quarter = rules.quarter_of(month)
    choices = []
    if city:
        choices += [
            (_("City overview, {month}").format(month=month_label(t, month)), f"{PREFIX}{CITY}:0"),
            (_("City overview, {month}").format(month=month_label(t, previous)), f"{PREFIX}{CITY}:1"),
            (_("A ward's report"), f"{PREFIX}{WARD_LIST}"),
            (_("Evaluation of {quarter}, all wards").format(quarter=quarter_label(t, quarter)), f"{PREFIX}{QUARTER}:0"),
        ]
    else:
        for ward in wards:
            choices += [
                (_("{ward}, {month}").format(ward=ward.name, month=month_label(t, month)), f"{PREFIX}{WARD}:{ward.id}:0"),
                (_("{ward}, {month}").format(ward=ward.name, month=month_label(t, previous)), f"{PREFIX}{WARD}:{ward.id}:1"),
                (_("Evaluation of {quarter}, {ward}").format(quarter=quarter_label(t, quarter), ward=ward.name),
                 f"{PREFIX}{QUARTER}:{ward.id}"),
            ]
    return choices


def _keyboard(t: i18n.Translator, choices: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(f"{number}. {label}"[:60], callback_data=data)]
            for number, (label, data) in enumerate(choices, start=1)]
    rows.append([InlineKeyboardButton(t.gettext("Cancel"), callback_data=f"{PREFIX}x")])
    return InlineKeyboardMarkup(rows)


def _numbered(choices: list[tuple[str, str]]) -> str:
    return "\n".join(f"{number}. {label}" for number, (label, _data) in enumerate(choices, start=1))


async def _ask(update: Update, ctx: AppContext, actor: common.Actor, question: str,
               choices: list[tuple[str, str]]) -> None:
    """Show a numbered question (buttons, and the same numbers typed) and remember it in the draft."""
    await drafts.save(ctx.db, actor.account.id, FLOW, "choose", {"choices": [data for _l, data in choices]},
                      at=common.now_instant(ctx))
    _ = actor.t.gettext
    text = f"{question}\n{_numbered(choices)}\n" + _("Press a button or type its number.")
    await common.reply(update, text, reply_markup=_keyboard(actor.t, choices))


async def start(update: Update, context: Any) -> None:
    """The flow's one entry point (menu button, typed label, /baocao). A one-question picker: it never
    discards an unfinished conversation without asking."""
    await common.begin_flow(update, context, REPORT_PICKER)


async def _start(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    city, wards = await _staff_wards(ctx, actor)
    if not city and not wards:
        await common.refuse_forged(update, context, actor, what="reports.menu")
        return
    await _ask(update, ctx, actor, actor.t.gettext("Which report?"),
               _choices(actor.t, city, wards, _current_month(ctx)))


async def on_text(update: Update, context: Any) -> None:
    """A number typed answers the numbered question; anything else gets the hint again."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    choices = actor.draft.data.get("choices", [])
    text = (update.effective_message.text or "").strip()
    if text.isdigit() and 1 <= int(text) <= len(choices):
        await _act(update, context, actor, choices[int(text) - 1])
        return
    await common.reply(update, _("Please type a number from 1 to {count}, or /cancel.").format(count=len(choices)))


async def on_button(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    await _act(update, context, actor, update.callback_query.data or "")


async def _end_flow(ctx: AppContext, actor: common.Actor) -> None:
    """End this flow's draft — never another flow's (an old report button pressed mid-way through
    something else leaves that alone)."""
    if actor.in_flow(FLOW):
        await drafts.clear(ctx.db, actor.account.id)


async def _act(update: Update, context: Any, actor: common.Actor, data: str) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    parts = data.removeprefix(PREFIX).split(":")
    city, wards = await _staff_wards(ctx, actor)
    month = _current_month(ctx)
    try:
        if parts == ["x"]:
            await _end_flow(ctx, actor)
            await common.reply(update, _("Cancelled."), reply_markup=menu.menu_keyboard(actor))
            return
        if parts == [WARD_LIST] and city and not actor.in_flow(FLOW):
            await common.reply(update, _("This question is closed. Send /baocao to choose a report."))
            return
        if parts == [WARD_LIST] and city:
            ordered = sorted(wards, key=lambda ward: fold(ward.name))
            await _ask(update, ctx, actor, _("Which ward?"),
                       [(ward.name, f"{PREFIX}{WARD}:{ward.id}:0") for ward in ordered])
            return
        kind, rest = parts[0], [int(p) for p in parts[1:]]
    except (ValueError, IndexError):
        kind, rest = "", []
    if kind == WARD and len(rest) == 2 and rest[1] in (0, 1):
        ward_id, back = rest
        ward = next((w for w in wards if w.id == ward_id), None)
        if ward is None:
            await common.refuse_forged(update, context, actor, what="reports.ward", detail={"unit_id": ward_id})
            return
        if not await common.authorize_unit(update, context, actor, ward_id, what="reports.ward", roles=access.STAFF):
            return
        await _end_flow(ctx, actor)
        await _send_ward(update, ctx, actor, ward, shift_period(month, -back))
    elif kind == CITY and len(rest) == 1 and rest[0] in (0, 1) and city:
        await _end_flow(ctx, actor)
        await _send_city(update, ctx, actor, shift_period(month, -rest[0]))
    elif kind == QUARTER and len(rest) == 1 and (rest[0] == 0 and city or any(w.id == rest[0] for w in wards)):
        await _end_flow(ctx, actor)
        ward = next((w for w in wards if w.id == rest[0]), None)
        await _send_quarter(update, ctx, actor, rules.quarter_of(month), ward)
    else:
        await common.refuse_forged(update, context, actor, what="reports", detail={"data": data[:64]})


async def _files(update: Update, book, chart: bytes | None, book_name: str, chart_name: str) -> None:
    buffer = io.BytesIO()
    book.save(buffer)
    bot, chat_id = update.get_bot(), update.effective_chat.id
    await bot.send_document(chat_id, InputFile(buffer.getvalue(), filename=book_name))
    if chart is not None:
        await bot.send_photo(chat_id, InputFile(chart, filename=chart_name))


async def _send_ward(update: Update, ctx: AppContext, actor: common.Actor, ward: org.Unit, month: str) -> None:
    t = actor.t
    report = await facts.ward_report(ctx.db, ctx.config, ward, month)
    await common.reply(update, ward_summary(t, report), parse_mode="HTML", reply_markup=menu.menu_keyboard(actor))

    def draw():
        return xlsx.ward_workbook(report, t), charts.ward_attendance(report, ctx.config.meeting.target, t)

    book, chart = await asyncio.to_thread(draw)
    stem = t.gettext(N_("report-{month}")).format(month=month)
    await _files(update, book, chart, f"{stem}-{ward.id}.xlsx", f"{stem}-{ward.id}.png")


async def _send_city(update: Update, ctx: AppContext, actor: common.Actor, month: str) -> None:
    t = actor.t
    city = await facts.city_report(ctx.db, ctx.config, month)
    await common.reply(update, city_summary(t, city.report), parse_mode="HTML", reply_markup=menu.menu_keyboard(actor))

    def draw():
        return (xlsx.city_workbook(city.report, city.trend, t),
                charts.city_trend(city.trend, ctx.config.meeting.target, t))

    book, chart = await asyncio.to_thread(draw)
    stem = t.gettext(N_("report-{month}")).format(month=month)
    await _files(update, book, chart, f"{stem}-city.xlsx", f"{stem}-city.png")


async def _send_quarter(update: Update, ctx: AppContext, actor: common.Actor, quarter: str,
                        ward: org.Unit | None) -> None:
    t = actor.t
    cells = await quarter_results(ctx.db, ctx.config, quarter, ward_id=ward.id if ward else None)
    scope = ward.name if ward else ctx.config.organisation.name
    await common.reply(update, quarter_summary(t, scope, quarter, cells), parse_mode="HTML",
                       reply_markup=menu.menu_keyboard(actor))
    book = await asyncio.to_thread(xlsx.quarter_workbook, quarter, ctx.config.evaluation.framework(), cells, t, scope)
    stem = t.gettext(N_("evaluation-{quarter}")).format(quarter=quarter)
    await _files(update, book, None, f"{stem}-{ward.id if ward else 'city'}.xlsx", "")


on_other = common.step_hint(N_("Please press a button or type its number, or /cancel."))


REPORT_PICKER = common.define_flow(FLOW, N_("choosing a report"), _start, transient=True)


menu_registry.add(MenuItem("reports", label=N_("Reports"),
                           description=N_("The month's report of the cells' meetings, and the quarter's evaluation"),
                           roles=access.STAFF, callback=start, command="baocao", order=520))


def register(application: Application, ctx: AppContext) -> None:
    in_flow = common.InFlow(application, FLOW)
    application.add_handler(MessageHandler(
        common.PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM & in_flow, on_text))
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & ~filters.TEXT & in_flow, on_other))
    application.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}"))
