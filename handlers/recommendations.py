"""Recommendations (kiến nghị) from a cell: its secretary or deputy sends one up to the ward, and sees
their cell's items.

`/kiennghi`, the menu item **Kiến nghị** or typing `kiến nghị` (any case, with or without diacritics)
shows a secretary their cell's items with their statuses, and a button to send a new one (ward and city
staff get their inbox instead: handlers/recommendation_inbox.py); `/kiennghi KN-2612-0042` opens one.
**Gửi kiến nghị** starts a submission straight away.

Sending is a guided conversation: the category (from `[recommendations] categories`), the content (text,
with optional photos or a document), from whom (a party member, or citizens of the area), the urgency, a
preview, and on confirmation a tracking code such as `KN-2612-0042` and a summary. Every step has numbered
buttons and the same as a typed form (the number, or the label); each answer is a draft row at once, so a
restarted bot resumes; /cancel discards it. The submission, its first history row, the urgent notice to
the ward's staff and its audit entry are written in one transaction that also ends the draft (so pressing
Send twice submits once).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.core.i18n import N_
from bot.delivery.sender import send_now
from bot.rules import access
from bot.rules import recommendations as rules
from bot.rules.text import fold
from handlers import common, menu, menu_registry
from handlers import recommendation_inbox as inbox
from handlers import recommendation_people as people
from handlers import recommendation_texts as texts
from handlers.menu_registry import MenuItem
from storage import codec, drafts
from storage import recommendations as store
from storage.recommendations import Attachment, NewRecommendation

log = logging.getLogger(__name__)

FLOW = "recommendation.submit"
CATEGORY, CONTENT, SOURCE, URGENCY, PREVIEW = "category", "content", "source", "urgency", "preview"
STEPS = (CATEGORY, CONTENT, SOURCE, URGENCY, PREVIEW)
_S = "kn:s:"    # kn:s:<step>:<option index>: a choice at that step (refused when the draft is elsewhere)

SEND, EDIT_TEXT, EDIT_CHOICES, CANCEL = "send", "edit_text", "edit_choices", "cancel"
PREVIEW_LABELS = {SEND: N_("✅ Send it"), EDIT_TEXT: N_("✏️ Change the content"),
                  EDIT_CHOICES: N_("🔁 Change category, source or urgency"), CANCEL: N_("✖ Cancel")}


# --- The steps: their options, written once for buttons and typed answers ------------------------------


def _categories(ctx: AppContext) -> list[str]:
    return list(ctx.config.recommendations.categories)


def options(ctx: AppContext, t: i18n.Translator, step: str) -> list[tuple[str, str]]:
    """(value, label) of a step's numbered options (none for the content step)."""
    _ = t.gettext
    if step == CATEGORY:
        return [(name, name) for name in _categories(ctx)]
    if step == SOURCE:
        return [(value, _(texts.SOURCE_LABELS[value]).capitalize()) for value in rules.SOURCES]
    if step == URGENCY:
        return [(rules.NORMAL, _("Normal")), (rules.URGENT, _("Urgent: the ward is told at once"))]
    if step == PREVIEW:
        return [(value, _(label)) for value, label in PREVIEW_LABELS.items()]
    return []


def _keyboard(ctx: AppContext, t: i18n.Translator, step: str) -> InlineKeyboardMarkup | None:
    found = options(ctx, t, step)
    if not found:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"{n}. {label}"[:60], callback_data=f"{_S}{step}:{n - 1}")]
                                 for n, (_value, label) in enumerate(found, start=1)])


def typed_choice(ctx: AppContext, t: i18n.Translator, step: str, text: str) -> str | None:
    """The value a typed answer names: its number, or its label (any case, with or without diacritics)."""
    found = options(ctx, t, step)
    index = rules.pick_numbered(text, len(found))
    if index is not None:
        return found[index][0]
    wanted = fold(text).strip(" .")
    if not wanted:
        return None
    labels = list(found)
    if step in (SOURCE, URGENCY, PREVIEW):  # the labels in the other language mean the same
        labels += options(ctx, i18n.get("en" if t.lang == "vi" else "vi"), step)
    exact = {value for value, label in labels if wanted in (fold(label), fold(value))}
    if len(exact) == 1:
        return exact.pop()
    # the start of one label only ("nhân dân", "khẩn"): that one
    starts = {value for value, label in labels if len(wanted) >= 3 and _words(label).startswith(_words(wanted))}
    return starts.pop() if len(starts) == 1 else None


def _words(text: str) -> str:
    """Folded, without emoji or punctuation: "✅ Gửi đi" -> "gui di"."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in fold(text)).split())


def next_step(ctx: AppContext, data: dict) -> str:
    return rules.missing_field(data, _categories(ctx)) or PREVIEW


# --- Starting ---------------------------------------------------------------------------------------------


async def begin_submission(update: Update, context: Any) -> None:
    """The one entry point of a submission (the menu item, the list's button): resumes a draft in
    progress, else starts one for the cell the person leads. (handlers/common may wrap it at integration,
    to ask before another flow's draft is replaced.)"""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    await inbox.ack(update)
    cells = people.leader_cells(actor)
    if not cells:
        await inbox.say(update, ctx, _("Only a cell's secretary or deputy secretary can send a recommendation."))
        return
    if actor.in_flow(FLOW):
        data = dict(actor.draft.data)
        if data.get("cell") in {c.id for c in cells}:
            await inbox.say(update, ctx, _("You have a recommendation in progress: let us continue it."))
            await show_step(update, ctx, actor, data, next_step(ctx, data))
            return
    data = {"cell": cells[0].id, "category": None, "content": None, "attachments": [], "source": None,
            "urgency": None}
    # Another unfinished conversation (the same one for a former cell included) is never discarded
    # without asking.
    await common.begin_flow(update, context, SUBMISSION, start=lambda u, c: show_step(u, ctx, actor, data, CATEGORY))


# Started afresh after discarding another draft, or resumed: the same entry (it resumes a draft of its own).
SUBMISSION = common.define_flow(FLOW, N_("writing a recommendation"), begin_submission, resume=begin_submission)


async def _save(ctx: AppContext, actor: common.Actor, step: str, data: dict) -> None:
    await drafts.save(ctx.db, actor.account.id, FLOW, step, data, at=common.now_instant(ctx))


async def show_step(update: Update, ctx: AppContext, actor: common.Actor, data: dict, step: str) -> None:
    """Save the draft at `step` and ask its question."""
    t = actor.t
    _ = t.gettext
    await _save(ctx, actor, step, data)
    if step == CATEGORY:
        text = _("<b>New recommendation</b> (1/4). Which category is it? Press a button or type its number.")
    elif step == CONTENT:
        text = _("(2/4) Type the content of the recommendation, as the members or citizens put it. You can add "
                 "photos or a document (put the text in the caption, or send it separately).")
    elif step == SOURCE:
        text = _("(3/4) From whom does it come? Press a button or type its number. You can still send photos "
                 "or a document now.")
    elif step == URGENCY:
        text = _("(4/4) How urgent is it? Press a button or type its number.")
    else:
        await _preview(update, ctx, actor, data)
        return
    await inbox.say(update, ctx, text + "\n" + _("/cancel stops."), reply_markup=_keyboard(ctx, t, step),
                    parse_mode="HTML")


async def _preview(update: Update, ctx: AppContext, actor: common.Actor, data: dict) -> None:
    t = actor.t
    _ = t.gettext
    files = len(data.get("attachments") or [])
    lines = [_("<b>Please check before sending</b>"),
             _("Category: {category}").format(category=texts.esc(data["category"])),
             _("From: {source} · Urgency: {urgency}").format(source=_(texts.SOURCE_LABELS[data["source"]]),
                                                             urgency=_(texts.URGENCY_LABELS[data["urgency"]]))]
    if files:
        lines.append(t.ngettext("{n} file attached.", "{n} files attached.", files).format(n=files))
    lines += ["", texts.esc(data["content"])]
    keyboard = _keyboard(ctx, t, PREVIEW)
    await send_now(ctx, update.get_bot(), update.effective_chat.id, {
        "text": "\n".join(lines), "parse_mode": "HTML",
        "buttons": [[{"text": b.text, "callback_data": b.callback_data} for b in row]
                    for row in keyboard.inline_keyboard]})


# --- Answers: buttons and typed forms meet here ----------------------------------------------------------


async def _answer(update: Update, context: Any, actor: common.Actor, step: str, value: str) -> None:
    """A choice `value` at `step` (from a button or typed)."""
    ctx = ctx_of(context)
    _ = actor.t.gettext
    data = dict(actor.draft.data)
    if step == CATEGORY:
        data["category"] = value
    elif step == SOURCE:
        data["source"] = value
    elif step == URGENCY:
        data["urgency"] = value
    elif step == PREVIEW:
        if value == SEND:
            await _confirm(update, context, actor, data)
            return
        if value == CANCEL:
            await drafts.clear(ctx.db, actor.account.id)
            await common.reply(update, _("Cancelled. Nothing was sent."), reply_markup=menu.menu_keyboard(actor))
            return
        if value == EDIT_TEXT:
            data["content"], data["attachments"] = None, []
        else:
            data["category"] = data["source"] = data["urgency"] = None
    await show_step(update, ctx, actor, data, next_step(ctx, data))


async def on_button(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    query = update.callback_query
    step, _sep, index = (query.data or "")[len(_S):].partition(":")
    found = options(ctx_of(context), actor.t, step)
    if not actor.in_flow(FLOW, step) or not index.isdigit() or int(index) >= len(found):
        await inbox.stale(update, actor)
        return
    await inbox.ack(update)
    await _answer(update, context, actor, step, found[int(index)][0])


async def on_text(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    t = actor.t
    _ = t.gettext
    step = actor.draft.step
    text = update.effective_message.text or ""
    if step == CONTENT:
        data = dict(actor.draft.data)
        data["content"] = text
        await show_step(update, ctx, actor, data, next_step(ctx, data))
        return
    value = typed_choice(ctx, t, step, text)
    if value is None:
        count = len(options(ctx, t, step))
        await inbox.say(update, ctx, _("Please press one of the buttons, or type a number from 1 to {n}. "
                                       "/cancel stops.").format(n=count), reply_markup=_keyboard(ctx, t, step))
        return
    await _answer(update, context, actor, step, value)


async def on_file(update: Update, context: Any) -> None:
    """A photo or a document, at any step but the category: kept with the content (its caption too)."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    t = actor.t
    _ = t.gettext
    message = update.effective_message
    data = dict(actor.draft.data)
    step = actor.draft.step
    files = list(data.get("attachments") or [])
    if step == CATEGORY:
        await inbox.say(update, ctx, _("Please choose the category first; then you can send the photos."),
                        reply_markup=_keyboard(ctx, t, step))
        return
    if len(files) >= rules.MAX_ATTACHMENTS:
        await inbox.say(update, ctx, _("That is the most files one recommendation can carry ({n}).").format(
                        n=rules.MAX_ATTACHMENTS))
        return
    if message.document is not None:
        files.append({"kind": "document", "file_id": message.document.file_id,
                      "filename": message.document.file_name})
    else:
        files.append({"kind": "photo", "file_id": message.photo[-1].file_id})
    data["attachments"] = files
    if message.caption:
        data["content"] = f"{data['content']}\n{message.caption}" if data.get("content") else message.caption
    if step == CONTENT and not data.get("content"):
        await _save(ctx, actor, CONTENT, data)
        await inbox.say(update, ctx, _("File kept. Now type the content of the recommendation."))
        return
    await inbox.say(update, ctx, t.ngettext("{n} file is attached.", "{n} files are attached.", len(files)).format(
                    n=len(files)))
    await show_step(update, ctx, actor, data, next_step(ctx, data) if step == CONTENT else step)


async def on_other(update: Update, context: Any) -> None:
    """A sticker, a voice note, a contact… while sending a recommendation."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    step = actor.draft.step if actor.draft else CATEGORY
    if step == CONTENT:
        await inbox.say(update, ctx, _("Please type the content as text, or send a photo or a document. "
                                       "/cancel stops."))
    else:
        await inbox.say(update, ctx, _("Please press one of the buttons, or type its number. /cancel stops."),
                        reply_markup=_keyboard(ctx, actor.t, step))


# --- Confirming -------------------------------------------------------------------------------------------


async def _confirm(update: Update, context: Any, actor: common.Actor, data: dict) -> None:
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    cells = {c.id: c for c in people.leader_cells(actor)}
    cell = cells.get(data.get("cell"))
    if cell is None:   # no longer leading that cell since the draft was started
        await drafts.clear(ctx.db, actor.account.id)
        await common.refuse_forged(update, context, actor, what="recommendation.submit",
                                   detail={"cell": data.get("cell")})
        return
    missing = rules.missing_field(data, _categories(ctx))
    if missing is not None:   # a category removed from the config meanwhile
        await show_step(update, ctx, actor, data, missing)
        return
    ward = await common.ward_of(ctx, cell.id)
    now = ctx.clock.now()
    at = codec.instant(now)
    new = NewRecommendation(
        category=data["category"], content=data["content"], source=data["source"], urgency=data["urgency"],
        cell_id=cell.id, ward_id=ward.id if ward else cell.parent_id, submitted_by=actor.person.id,
        attachments=tuple(Attachment(a["kind"], a["file_id"], a.get("filename")) for a in data["attachments"]))
    staff = await people.ward_staff(ctx, ward.id if ward else None) if data["urgency"] == rules.URGENT else []
    other_leaders = await people.cell_leaders(ctx, cell.id)

    def messages(item: store.Recommendation):
        place = people.Place(cell, ward, actor.person.full_name)
        found = inbox.urgent_messages(item, place, staff)
        found += people.messages(
            "recommendation.status", other_leaders, lambda tt: {"text": texts.submitted_notice(
                tt, item, cell_name=cell.name, submitter=actor.person.full_name), "parse_mode": "HTML"},
            ref=f"recommendation:{item.id}", dedup=f"recommendation:{item.id}:submitted", exclude=[actor.person.id])
        return found

    item = await store.submit(
        ctx.db, new, month=rules.month_of(now.astimezone(ctx.clock.tz).date()), at=at,
        make_code=rules.tracking_code, messages=messages, draft_account_id=actor.account.id,
        audit_entry=inbox.audit_entry(ctx, update, actor, "recommendation.submitted", cell.id,
                                      {"urgency": new.urgency, "category": new.category}))
    if item is None:
        await inbox.stale(update, actor)
        return
    ctx.wake_sender()
    lines = [_("✅ Sent to {ward}. Tracking code: <b>{code}</b>").format(
                 ward=texts.esc(ward.name if ward else ""), code=item.code),
             _("Category: {category}").format(category=texts.esc(item.category)),
             _("From: {source} · Urgency: {urgency}").format(source=_(texts.SOURCE_LABELS[item.source]),
                                                             urgency=_(texts.URGENCY_LABELS[item.urgency]))]
    if item.attachments:
        lines.append(t.ngettext("{n} file attached.", "{n} files attached.", len(item.attachments)).format(
            n=len(item.attachments)))
    lines.append(_("The ward is told at once.") if item.urgency == rules.URGENT else
                 _("The ward gets it in today's digest."))
    lines.append(_("You will be told here of every step. /kiennghi shows your cell's recommendations."))
    await common.reply(update, "\n".join(lines), parse_mode="HTML", reply_markup=menu.menu_keyboard(actor))


# --- /kiennghi: a cell's own items ------------------------------------------------------------------------


async def show_recommendations(update: Update, context: Any) -> None:
    """The menu item, `/kiennghi` and `/kiennghi CODE`: a code opens that item (if this person may see
    it); otherwise staff get their inbox and a secretary their cell's items."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    message = update.effective_message
    text = (message.text or "") if message is not None and update.callback_query is None else ""
    argument = text.split(maxsplit=1)[1] if text.startswith("/") and len(text.split(maxsplit=1)) > 1 else ""
    if argument:
        await inbox.open_by_code(update, context, actor, argument)
        return
    viewer = people.viewer_of(actor)
    if viewer.wards or viewer.city:
        await inbox.begin_inbox(update, context)
        return
    await show_mine(update, context, actor, page=0)


async def show_mine(update: Update, context: Any, actor: common.Actor, *, page: int) -> None:
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    cells = people.leader_cells(actor)
    if not cells:
        await inbox.say(update, ctx, _("Only a cell's secretary or deputy secretary can send a recommendation."))
        return
    size = ctx.config.recommendations.page_size
    items: list[store.Recommendation] = []
    for cell in cells:
        items += await store.for_cell(ctx.db, cell.id, limit=200)
    items.sort(key=lambda i: i.id, reverse=True)
    pages = max(1, (len(items) + size - 1) // size)
    page = min(max(page, 0), pages - 1)
    shown = items[page * size:(page + 1) * size]
    names = {c.id: c.name for c in cells}
    if items:
        lines = [_("<b>Recommendations of cell {cell}</b>").format(cell=texts.esc(", ".join(names.values())))]
        lines += [f"{n}. " + texts.short_line(t, item) for n, item in enumerate(shown, start=2)]
        lines.append(_("Press one to see it and its answer, or type its number or its code."))
    else:
        lines = [_("Your cell has not sent any recommendation yet.")]
    rows = [[InlineKeyboardButton(_("1. ➕ Send a new recommendation"), callback_data=texts.NEW)]]
    rows += [[InlineKeyboardButton(texts.button_label(t, n, item), callback_data=f"{texts.OPEN}{item.id}")]
             for n, item in enumerate(shown, start=2)]
    if pages > 1:
        rows.append(inbox.page_row(f"{texts.MINE}", page, pages))
    await inbox.remember_list(ctx, actor, [None] + [item.id for item in shown], {"mine": page})
    await inbox.show(update, ctx, "\n".join(lines), InlineKeyboardMarkup(rows))


async def on_mine_page(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    page = (update.callback_query.data or "")[len(texts.MINE):]
    if not page.isdigit():
        await inbox.stale(update, actor)
        return
    await inbox.ack(update)
    await show_mine(update, context, actor, page=int(page))


# --- Wiring -----------------------------------------------------------------------------------------------

menu_registry.add(MenuItem("recommendations.submit", label=N_("Send a recommendation"),
                           description=N_("Pass a concern of the members or citizens up to the ward"),
                           roles=access.CELL_LEADERS, callback=begin_submission, command="guikiennghi", order=300))
menu_registry.add(MenuItem("recommendations", label=N_("Recommendations"),
                           description=N_("The recommendations and their answers; /kiennghi CODE opens one"),
                           roles=access.ACTING_ROLES, callback=show_recommendations, command="kiennghi", order=310))


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)

    def at(*steps: str):
        found = common.InFlow(application, FLOW, steps[0])
        for step in steps[1:]:
            found = found | common.InFlow(application, FLOW, step)
        return found

    message = common.PRIVATE_MESSAGE
    typed = filters.TEXT & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM
    files = filters.Document.ALL | filters.PHOTO
    application.add_handler(MessageHandler(message & typed & at(*STEPS), on_text))
    application.add_handler(MessageHandler(message & files & at(*STEPS), on_file))
    application.add_handler(MessageHandler(message & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM &
                                           common.InFlow(application, FLOW), on_other))
    application.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{_S}"))
    application.add_handler(CallbackQueryHandler(begin_submission, pattern=rf"^{texts.NEW}$"))
    application.add_handler(CallbackQueryHandler(on_mine_page, pattern=rf"^{texts.MINE}"))
