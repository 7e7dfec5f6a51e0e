"""The month's guidance in chat.

Ward staff (for their ward) and city staff (for all wards or chosen ones) compose it from the menu: the
text (Telegram formatting kept), documents or photos, the audience (secretaries and deputies, or
secretaries only; all cells in scope or chosen cells) and the month; then a preview exactly as recipients
will see it, with the number of recipients, and Send now / Schedule / Edit / Cancel. Every step is a
draft row (flow "guidance.compose"), so a restarted bot resumes where the person was.

Recipients press "Đã nhận" (received) on their copy, once. The author gets the results when the copies
have gone out, follows progress per cell with the names of who has not received or not confirmed, and
re-sends to those with one tap. `/huongdan` shows a secretary or deputy the month's guidance.

Every button carries an action and an opaque id only; which cells, guidance or person it may touch is
decided from the database each time (a forged button is refused and audited).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.delivery import guidance_delivery as delivery
from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.core.i18n import N_
from bot.rules import access
from bot.rules import guidance as rules
from bot.rules.text_split import visible_text
from bot.delivery import routing
from bot.delivery.sender import send_now
from handlers import common, menu, menu_registry
from handlers.menu_registry import MenuItem
from storage import codec, drafts, org
from storage import guidance as store
from storage.guidance import Attachment

log = logging.getLogger(__name__)

FLOW = "guidance.compose"
TEXT, ATTACH, OPTIONS, PICK, PREVIEW, SCHEDULE = "text", "attach", "options", "pick", "preview", "schedule"
MAX_ATTACHMENTS = 10
PAGE_SIZE = 20
GUIDANCE_SHOW = "guidance:show"   # the reminders' "read the guidance" button
_C = "gc:"                        # compose buttons; delivery.ACK etc. for the others


# --- Who may send where (from the database, every time) ------------------------------------------------


async def _sender_wards(ctx: AppContext, actor: common.Actor) -> list[org.Unit]:
    """The wards whose cells this person may send guidance to (all of them for city staff)."""
    wards: dict[int, org.Unit] = {}
    for unit_id in rules.sender_units(actor.scope.anchors if actor.active else ()):
        unit = await org.get_unit(ctx.db, unit_id)
        if unit is None or not unit.active:
            continue
        if unit.kind == "ward":
            wards.setdefault(unit.id, unit)
        else:
            for ward in await org.units_of_kind(ctx.db, "ward"):
                chain = [u.id for u in await org.ancestors(ctx.db, ward.id)]
                if unit.id in chain:
                    wards.setdefault(ward.id, ward)
    return sorted(wards.values(), key=lambda w: (w.name, w.id))


async def _may_send_to_cells(ctx: AppContext, actor: common.Actor, cell_ids: list[int]) -> bool:
    for cell_id in cell_ids:
        chain = [u.id for u in await org.ancestors(ctx.db, cell_id)]
        cell = await org.get_unit(ctx.db, cell_id)
        if cell is None or cell.kind != "cell" or not rules.may_send_to(actor.scope.anchors, chain):
            return False
    return True


async def _may_follow(ctx: AppContext, actor: common.Actor, guidance: store.Guidance) -> bool:
    """The author, or staff covering the unit it was sent for."""
    if not actor.active:
        return False
    if guidance.author_person_id == actor.person.id:
        return True
    chain = [u.id for u in await org.ancestors(ctx.db, guidance.scope_unit_id)]
    return rules.may_send_to(actor.scope.anchors, chain)


# --- Starting, and the draft ------------------------------------------------------------------------------


async def start_compose(update: Update, context: Any) -> None:
    """Menu item "Send guidance" (menu.run_item has checked the role)."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    wards = await _sender_wards(ctx, actor)
    if not wards:
        await common.refuse_forged(update, context, actor, what="guidance.compose")
        return
    data = {"text": None, "attachments": [], "audience": rules.LEADERS,
            "month": rules.default_month(ctx.clock.now().date()),
            "wards": [wards[0].id] if len(wards) == 1 else None, "cells": None, "page": 0}
    await _save(ctx, actor, TEXT, data)
    await common.reply(update, _("Send the text of the guidance for the cells (formatting is kept). You can add "
                                 "documents or photos afterwards. /cancel stops."))


async def _save(ctx: AppContext, actor: common.Actor, step: str, data: dict, conn=None) -> None:
    await drafts.save(conn or ctx.db, actor.account.id, FLOW, step, data, at=common.now_instant(ctx))


def _kb(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row]
                                 for row in rows])


def _attach_keyboard(t: i18n.Translator, data: dict) -> InlineKeyboardMarkup:
    _ = t.gettext
    rows = [[(_("Continue ▶"), f"{_C}cont")]]
    if data.get("attachments"):
        rows.append([(_("Remove the files"), f"{_C}unattach")])
    rows.append([(_("Cancel"), f"{_C}cancel")])
    return _kb(rows)


# --- Text and files ---------------------------------------------------------------------------------------


async def on_text(update: Update, context: Any) -> None:
    """The text of the guidance (step TEXT), kept with its formatting as Telegram HTML."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    message = update.effective_message
    data = dict(actor.draft.data)
    data["text"] = message.text_html
    await _after_text(update, ctx, actor, data)


async def _after_text(update: Update, ctx: AppContext, actor: common.Actor, data: dict) -> None:
    _ = actor.t.gettext
    await _save(ctx, actor, ATTACH, data)
    count = len(data.get("attachments") or [])
    text = _("Text received. Now send any documents or photos to go with it, or press Continue.")
    if count:
        text += "\n" + actor.t.ngettext("{n} file is attached.", "{n} files are attached.", count).format(n=count)
    await common.reply(update, text, reply_markup=_attach_keyboard(actor.t, data))


async def on_file(update: Update, context: Any) -> None:
    """A document or photo (steps TEXT and ATTACH); at step TEXT its caption is the text."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    message = update.effective_message
    data = dict(actor.draft.data)
    files = list(data.get("attachments") or [])
    if len(files) >= MAX_ATTACHMENTS:
        await common.reply(update, _("That is the most files one guidance can carry ({n}). Press Continue.").format(
            n=MAX_ATTACHMENTS), reply_markup=_attach_keyboard(actor.t, data))
        return
    if message.document is not None:
        files.append({"kind": "document", "file_id": message.document.file_id,
                      "filename": message.document.file_name})
        name = message.document.file_name or _("document")
    else:
        files.append({"kind": "photo", "file_id": message.photo[-1].file_id})
        name = _("photo")
    data["attachments"] = files
    if actor.draft.step == TEXT:
        if message.caption:
            data["text"] = message.caption_html
        if not data.get("text"):
            await _save(ctx, actor, TEXT, data)
            await common.reply(update, _("File kept. Now send the text of the guidance."))
            return
        await _after_text(update, ctx, actor, data)
        return
    await _save(ctx, actor, ATTACH, data)
    await common.reply(update, _("Added: {name}. Send more files, or press Continue.").format(name=name),
                       reply_markup=_attach_keyboard(actor.t, data))


async def on_other(update: Update, context: Any) -> None:
    """Anything else while composing: say what this step expects."""
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    step = actor.draft.step if actor.draft else TEXT
    hints = {
        TEXT: _("Please send the text of the guidance, or /cancel."),
        ATTACH: _("Please send a document or a photo, or press Continue."),
        SCHEDULE: _("Please type the date and time to send it, for example {example}, or /cancel.").format(
            example=rules.schedule_example(ctx_of(context).clock.now())),
    }
    await common.reply(update, hints.get(step, _("Please use the buttons above, or /cancel.")))


# --- Options: audience, cells, month -----------------------------------------------------------------------


async def _scope_cells(ctx: AppContext, actor: common.Actor, data: dict) -> list[org.Unit]:
    """The cells in scope: of the chosen wards (all the person's wards when none chosen)."""
    wards = await _sender_wards(ctx, actor)
    allowed = {w.id for w in wards}
    chosen = [w for w in (data.get("wards") or []) if w in allowed] or sorted(allowed)
    return await delivery.cells_in_scope(ctx, chosen)


async def _target_cells(ctx: AppContext, actor: common.Actor, data: dict) -> list[org.Unit]:
    cells = await _scope_cells(ctx, actor, data)
    if data.get("cells"):
        wanted = set(data["cells"])
        cells = [c for c in cells if c.id in wanted]
    return cells


async def _options_text(ctx: AppContext, actor: common.Actor, data: dict) -> tuple[str, InlineKeyboardMarkup]:
    t = actor.t
    _ = t.gettext
    wards = await _sender_wards(ctx, actor)
    cells = await _target_cells(ctx, actor, data)
    chosen_wards = [w for w in wards if w.id in (data.get("wards") or [])]
    where = ", ".join(w.name for w in chosen_wards) if data.get("wards") else _("all wards")
    audience = _("secretaries and deputy secretaries") if data["audience"] == rules.LEADERS else _("secretaries only")
    cell_text = (_("all {n} cells ({where})") if not data.get("cells") else _("{n} chosen cells ({where})")).format(
        n=t.format_number(len(cells)), where=where)
    lines = [_("<b>Who receives it, and for which month</b>"),
             _("• Month: {month}").format(month=delivery.month_label(t, data["month"])),
             _("• Recipients: {audience}").format(audience=audience),
             _("• Cells: {cells}").format(cells=cell_text),
             _("Change what you need, then press Preview.")]

    def mark(selected: bool, label: str) -> str:
        return f"✓ {label}" if selected else label

    rows = [[(mark(data["audience"] == rules.LEADERS, _("Secretaries and deputies")), f"{_C}aud:l"),
             (mark(data["audience"] == rules.SECRETARIES, _("Secretaries only")), f"{_C}aud:s")]]
    if len(wards) > 1:
        rows.append([(mark(not data.get("wards"), _("All wards")), f"{_C}wards:all"),
                     (mark(bool(data.get("wards")), _("Choose wards")), f"{_C}wards:pick")])
    rows.append([(mark(not data.get("cells"), _("All cells")), f"{_C}cells:all"),
                 (mark(bool(data.get("cells")), _("Choose cells")), f"{_C}cells:pick")])
    rows.append([(mark(data["month"] == month, delivery.month_label(t, month)), f"{_C}month:{month}")
                 for month in rules.month_choices(ctx.clock.now().date())])
    rows.append([(_("👁 Preview"), f"{_C}preview"), (_("Cancel"), f"{_C}cancel")])
    return "\n".join(lines), _kb(rows)


async def _show_options(update: Update, ctx: AppContext, actor: common.Actor, data: dict, *, edit: bool) -> None:
    await _save(ctx, actor, OPTIONS, data)
    text, keyboard = await _options_text(ctx, actor, data)
    await _show(update, text, keyboard, edit=edit)


async def _show(update: Update, text: str, keyboard, *, edit: bool) -> None:
    """Edit the message the button was on, or send a new one."""
    query = update.callback_query
    if edit and query is not None:
        await query.answer()
        try:
            await query.edit_message_text(text, parse_mode="HTML", reply_markup=keyboard)
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise
        return
    await common.reply(update, text, reply_markup=keyboard, parse_mode="HTML")


async def _show_picker(update: Update, ctx: AppContext, actor: common.Actor, data: dict) -> None:
    """Tap to select wards or cells, a page at a time."""
    _ = actor.t.gettext
    what = data.get("picking", "cells")
    if what == "wards":
        items = await _sender_wards(ctx, actor)
        selected = set(data.get("wards") or [])
        title = _("Choose the wards (tap to select or deselect), then press Done.")
        prefix = f"{_C}ward:"
    else:
        items = await _scope_cells(ctx, actor, data)
        selected = set(data.get("cells") or [])
        title = _("Choose the cells (tap to select or deselect), then press Done.")
        prefix = f"{_C}cell:"
    pages = max(1, (len(items) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(int(data.get("page", 0)), 0), pages - 1)
    shown = items[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    buttons = [(("✓ " if unit.id in selected else "") + unit.name[:40], f"{prefix}{unit.id}") for unit in shown]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(("◀", f"{_C}page:{page - 1}"))
        nav.append((f"{page + 1}/{pages}", f"{_C}page:{page}"))
        if page < pages - 1:
            nav.append(("▶", f"{_C}page:{page + 1}"))
        rows.append(nav)
    rows.append([(_("Done"), f"{_C}done")])
    data["page"] = page
    await _save(ctx, actor, PICK, data)
    count = actor.t.ngettext("{n} selected.", "{n} selected.", len(selected)).format(n=len(selected))
    await _show(update, f"{title}\n{count}", _kb(rows), edit=True)


# --- Preview, send, schedule ------------------------------------------------------------------------------


def _attachments(data: dict) -> list[Attachment]:
    return [Attachment(a["kind"], file_id=a.get("file_id"), path=a.get("path"), filename=a.get("filename"))
            for a in data.get("attachments") or []]


async def _scope_unit(ctx: AppContext, actor: common.Actor, data: dict) -> org.Unit:
    """Who the guidance is "from": the city for city staff, else the staff member's ward."""
    for unit_id in rules.sender_units(actor.scope.anchors):
        unit = await org.get_unit(ctx.db, unit_id)
        if unit is not None and unit.kind == "city":
            return unit
    wards = await _sender_wards(ctx, actor)
    chosen = [w for w in wards if w.id in (data.get("wards") or [])]
    return (chosen or wards)[0]


async def _preview(update: Update, ctx: AppContext, actor: common.Actor, data: dict) -> None:
    t = actor.t
    _ = t.gettext
    cells = await _target_cells(ctx, actor, data)
    if not cells:
        await update.callback_query.answer(_("Choose at least one cell first."), show_alert=True)
        return
    await update.callback_query.answer()
    scope = await _scope_unit(ctx, actor, data)
    payload = delivery.copy_payload(t, text=data["text"], parse_mode="HTML", month=data["month"],
                                    scope_name=scope.name, attachments=_attachments(data),
                                    ack_data=delivery.PREVIEW_ACK)
    data["preview"] = int(data.get("preview") or 0) + 1
    await _save(ctx, actor, PREVIEW, data)
    await send_now(ctx, update.get_bot(), update.effective_chat.id, payload)
    recipients = await delivery.recipients_for(ctx, [c.id for c in cells], data["audience"])
    joined = await routing.accounts_of(ctx, [r.person_id for r in recipients])
    missing = [r.person_id for r in recipients if r.person_id not in joined]
    lines = [_("Above is the preview, exactly as each recipient will receive it."),
             t.ngettext("It will go to {n} person in {cells} cells of {scope}, for {month}.",
                        "It will go to {n} people in {cells} cells of {scope}, for {month}.", len(recipients)).format(
        n=t.format_number(len(recipients)), cells=t.format_number(len(cells)), scope=scope.name,
        month=delivery.month_label(t, data["month"]))]
    if missing:
        people = await org.get_people(ctx.db, missing)
        lines.append(t.ngettext("{n} of them has not joined the bot yet and will not receive it: {names}.",
                                "{n} of them have not joined the bot yet and will not receive it: {names}.",
                                len(missing)).format(n=len(missing), names=", ".join(
            people[pid].full_name for pid in missing if pid in people)))
    # The preview's buttons carry its number: pressed after an edit and a newer preview, they are out of
    # date (they would send what the person no longer sees).
    token = data["preview"]
    rows = [[{"text": _("📤 Send now"), "callback_data": common.button_data(_C, "send", token)},
             {"text": _("🕒 Schedule"), "callback_data": common.button_data(_C, "sched", token)}],
            [{"text": _("✏️ Edit"), "callback_data": common.button_data(_C, "edit", token)},
             {"text": _("Cancel"), "callback_data": f"{_C}cancel"}]]
    # Paced like the copy above it (one message a second to a chat).
    await send_now(ctx, update.get_bot(), update.effective_chat.id, {"text": "\n".join(lines), "buttons": rows})


async def _confirm(update: Update, context: Any, actor: common.Actor, data: dict, scheduled_at=None) -> None:
    """Record and queue it (the draft ends in the same transaction, so a second tap cannot send it twice)."""
    ctx = ctx_of(context)
    t = actor.t
    _ = t.gettext
    cells = await _target_cells(ctx, actor, data)
    if not cells or not await _may_send_to_cells(ctx, actor, [c.id for c in cells]):
        await common.refuse_forged(update, context, actor, what="guidance.send")
        return
    scope = await _scope_unit(ctx, actor, data)

    async def with_it(conn, queued: delivery.Queued) -> None:
        # Only if the draft is still at this very preview: a second press, or a press on an older preview,
        # finds it gone or moved on and records nothing.
        if not await drafts.take(conn, actor.account.id, FLOW, (PREVIEW, SCHEDULE), "preview", data.get("preview")):
            raise _AlreadyDone
        await common.record_audit(ctx, update, actor, "guidance.scheduled" if scheduled_at else "guidance.sent",
                                  target=conn, unit_id=scope.id,
                                  detail={"guidance": queued.guidance_id, "month": data["month"],
                                          "recipients": queued.recipients, "queued": queued.queued})

    try:
        queued = await delivery.confirm(
            ctx, author_person_id=actor.person.id, scope_unit_id=scope.id, month=data["month"], text=data["text"],
            parse_mode="HTML", audience=data["audience"], cell_ids=[c.id for c in cells],
            attachments=_attachments(data), scheduled_at=scheduled_at, in_transaction=with_it)
    except _AlreadyDone:
        await common.answer_out_of_date(update, actor, what="guidance.send")
        return
    # Committed: from here on a failure must not read as "nothing was changed" (see fallback.on_error).
    if scheduled_at is not None:
        text = t.ngettext("Scheduled: it will go to {n} person at {when} (Vietnam time).",
                          "Scheduled: it will go to {n} people at {when} (Vietnam time).", queued.queued).format(
            n=t.format_number(queued.queued), when=t.format_datetime(scheduled_at, "short"))
        button = {"text": _("Cancel this send"), "callback_data": f"{delivery.UNSCHEDULE}{queued.guidance_id}"}
    else:
        text = t.ngettext("Sending to {n} person now. You will get the results here when it has gone out.",
                          "Sending to {n} people now. You will get the results here when it has gone out.",
                          queued.queued).format(n=t.format_number(queued.queued))
        button = {"text": _("🔄 Progress"), "callback_data": f"{delivery.PROGRESS}{queued.guidance_id}"}
    if queued.not_joined:
        text += "\n" + t.ngettext("{n} recipient has not joined the bot and cannot receive it.",
                                  "{n} recipients have not joined the bot and cannot receive it.",
                                  len(queued.not_joined)).format(n=len(queued.not_joined))
    # Paced with the sender's messages to this chat, so it comes before the results.
    await send_now(ctx, update.get_bot(), update.effective_chat.id, {"text": text, "buttons": [[button]]})
    if update.callback_query is not None:
        await update.callback_query.answer()


class _AlreadyDone(Exception):
    """The preview being confirmed is no longer the person's current one (rolls the confirmation back)."""


async def on_schedule_text(update: Update, context: Any) -> None:
    """The date and time typed at step SCHEDULE (Vietnam time)."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    when, problem = rules.parse_schedule(update.effective_message.text or "", ctx.clock.now())
    if problem == rules.SCHEDULE_IN_PAST:
        await common.reply(update, _("That time has already passed. Please type a later date and time, or /cancel."))
        return
    if when is None:
        await common.reply(update, _("I could not read that. Please type the date and time like {example} "
                                     "(Vietnam time), or /cancel.").format(example=rules.schedule_example(ctx.clock.now())))
        return
    await _confirm(update, context, actor, dict(actor.draft.data), scheduled_at=when)


# --- Compose buttons --------------------------------------------------------------------------------------


async def _stale(update: Update, actor: common.Actor) -> None:
    await update.callback_query.answer(actor.t.gettext(
        "This button is no longer active. Send /menu to see what you can do."))


async def on_compose_button(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    if not actor.in_flow(FLOW):
        await _stale(update, actor)
        return
    action, _sep, argument = (update.callback_query.data or "")[len(_C):].partition(":")
    step = actor.draft.step
    data = dict(actor.draft.data)
    if action == "cancel":
        await drafts.clear(ctx.db, actor.account.id)
        await update.callback_query.answer()
        await common.reply(update, _("Cancelled. Nothing was sent."), reply_markup=menu.menu_keyboard(actor))
    elif action == "keep" and step == TEXT and data.get("text"):
        await update.callback_query.answer()
        await _after_text(update, ctx, actor, data)
    elif action == "unattach" and step == ATTACH:
        data["attachments"] = []
        await update.callback_query.answer(_("The files were removed."))
        await _after_text(update, ctx, actor, data)
    elif action == "cont" and step == ATTACH:
        await update.callback_query.answer()
        await _show_options(update, ctx, actor, data, edit=False)
    elif action == "aud" and step == OPTIONS and argument in ("l", "s"):
        data["audience"] = rules.LEADERS if argument == "l" else rules.SECRETARIES
        await _show_options(update, ctx, actor, data, edit=True)
    elif action == "month" and step == OPTIONS and argument in rules.month_choices(ctx.clock.now().date()):
        data["month"] = argument
        await _show_options(update, ctx, actor, data, edit=True)
    elif action in ("cells", "wards") and step == OPTIONS and argument in ("all", "pick"):
        if argument == "all":
            data[action] = None
            if action == "wards":
                data["cells"] = None
            await _show_options(update, ctx, actor, data, edit=True)
        else:
            data["picking"], data["page"] = action, 0
            await _show_picker(update, ctx, actor, data)
    elif action in ("cell", "ward") and step == PICK:
        await _toggle(update, context, ctx, actor, data, action, argument)
    elif action == "page" and step == PICK and argument.isdigit():
        data["page"] = int(argument)
        await _show_picker(update, ctx, actor, data)
    elif action == "done" and step == PICK:
        await _show_options(update, ctx, actor, data, edit=True)
    elif action == "preview" and step == OPTIONS:
        await _preview(update, ctx, actor, data)
    elif action in ("send", "sched", "edit") and (step != PREVIEW or argument != str(data.get("preview"))):
        await common.answer_out_of_date(update, actor, what=f"guidance.{action}")
    elif action == "send":
        await _confirm(update, context, actor, data)  # (answers the press once it has gone through)
    elif action == "sched":
        await _save(ctx, actor, SCHEDULE, data)
        await update.callback_query.answer()
        await common.reply(update, _("When should it be sent? Type the date and time (Vietnam time), for example "
                                     "{example}.").format(example=rules.schedule_example(ctx.clock.now())))
    elif action == "edit" and step == PREVIEW:
        await _save(ctx, actor, TEXT, data)
        await update.callback_query.answer()
        await common.reply(update, _("Send the new text of the guidance, or keep the one you wrote."),
                           reply_markup=_kb([[(_("Keep the text"), f"{_C}keep")], [(_("Cancel"), f"{_C}cancel")]]))
    else:
        await _stale(update, actor)


async def _toggle(update: Update, context: Any, ctx: AppContext, actor: common.Actor, data: dict, what: str,
                  argument: str) -> None:
    """Select or deselect one ward or cell — only one this person may send to (else: forged)."""
    try:
        unit_id = int(argument)
    except ValueError:
        await _stale(update, actor)
        return
    allowed = [w.id for w in await _sender_wards(ctx, actor)] if what == "ward" else \
        [c.id for c in await _scope_cells(ctx, actor, data)]
    if unit_id not in allowed:
        await common.refuse_forged(update, context, actor, what=f"guidance.{what}", unit_id=None,
                                   detail={"unit_id": unit_id})
        return
    key = "wards" if what == "ward" else "cells"
    chosen = list(data.get(key) or [])
    chosen.remove(unit_id) if unit_id in chosen else chosen.append(unit_id)
    data[key] = chosen or None
    if what == "ward":
        data["cells"] = None   # the cells in scope changed
    await _show_picker(update, ctx, actor, data)


# --- Receipts, progress, re-send, cancelling a scheduled send ------------------------------------------


async def on_ack(update: Update, context: Any) -> None:
    """"Đã nhận" on a copy: recorded once, only for a recipient of that guidance."""
    ctx = ctx_of(context)
    query = update.callback_query
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    t = actor.t
    _ = t.gettext
    if query.data == delivery.PREVIEW_ACK:
        await query.answer(_("This is the preview: recipients confirm receipt with this button."))
        return
    try:
        guidance_id = int(query.data[len(delivery.ACK):])
    except ValueError:
        await _stale(update, actor)
        return
    if not await store.is_recipient(ctx.db, guidance_id, actor.person.id):
        await common.refuse_forged(update, context, actor, what="guidance.ack", detail={"guidance": guidance_id})
        return
    now = ctx.clock.now()
    recorded = await store.record_receipt(ctx.db, guidance_id, actor.person.id, codec.instant(now))
    if not recorded:
        await query.answer(_("Your receipt was already recorded. Thank you."))
        return
    await query.answer(_("Thank you: your receipt is recorded."))
    label = _("✅ Received at {when}").format(when=t.format_datetime(now, "short"))
    try:
        await query.edit_message_reply_markup(_kb([[(label, query.data)]]))
    except BadRequest:
        log.debug("could not mark the button as received", exc_info=True)


async def _guidance_for(update: Update, context: Any, actor: common.Actor, prefix: str) -> store.Guidance | None:
    ctx = ctx_of(context)
    try:
        guidance_id = int((update.callback_query.data or "")[len(prefix):].split(":")[0])
    except ValueError:
        await _stale(update, actor)
        return None
    guidance = await store.get(ctx.db, guidance_id)
    if guidance is None or not await _may_follow(ctx, actor, guidance):
        await common.refuse_forged(update, context, actor, what="guidance.follow", detail={"guidance": guidance_id})
        return None
    return guidance


async def send_report(update: Update, context: Any, actor: common.Actor, guidance: store.Guidance, *,
                      edit: bool) -> None:
    ctx = ctx_of(context)
    result = await delivery.report(ctx, guidance.id)
    scope = await org.get_unit(ctx.db, guidance.scope_unit_id)
    text = delivery.report_text(actor.t, result, scope_name=scope.name if scope else "", now=ctx.clock.now())
    buttons = delivery.report_buttons(actor.t, result)
    if edit and len(visible_text(text)) < 4000:
        await _show(update, text, _kb([[(b["text"], b["callback_data"]) for b in row] for row in buttons]), edit=True)
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    await send_now(ctx, update.get_bot(), update.effective_chat.id,
                   {"text": text, "parse_mode": "HTML", "buttons": buttons})


async def on_progress(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    guidance = await _guidance_for(update, context, actor, delivery.PROGRESS)
    if guidance is not None:
        await send_report(update, context, actor, guidance, edit=True)


async def on_resend(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    t = actor.t
    guidance = await _guidance_for(update, context, actor, delivery.RESEND)
    if guidance is None:
        return
    if guidance.status in (store.CANCELLED, store.SCHEDULED) or \
            not await _may_send_to_cells(ctx, actor, await store.cell_ids(ctx.db, guidance.id)):
        await common.refuse_forged(update, context, actor, what="guidance.resend", detail={"guidance": guidance.id})
        return
    parts = common.button_parts(update, delivery.RESEND, 2)
    if parts is None or parts[1] != str(guidance.resend_rounds):
        # Shown before a later re-send (or without its round): it would send everyone another copy.
        await common.answer_out_of_date(update, actor, what="guidance.resend")
        return
    queued = await delivery.resend_unconfirmed(ctx, guidance.id, after_round=guidance.resend_rounds)
    if queued is None:
        await common.answer_out_of_date(update, actor, what="guidance.resend")
        return
    await common.record_audit(ctx, update, actor, "guidance.resent", unit_id=guidance.scope_unit_id,
                              detail={"guidance": guidance.id, "queued": queued.queued})
    await update.callback_query.answer()
    await common.reply(update, t.ngettext(
        "Sent again to {n} person who has not confirmed receipt.",
        "Sent again to {n} people who have not confirmed receipt.", queued.queued).format(
        n=t.format_number(queued.queued)),
        reply_markup=_kb([[(t.gettext("🔄 Progress"), f"{delivery.PROGRESS}{guidance.id}")]]))


async def on_unschedule(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    guidance = await _guidance_for(update, context, actor, delivery.UNSCHEDULE)
    if guidance is None:
        return
    if await delivery.cancel_scheduled(ctx, guidance.id):
        await common.record_audit(ctx, update, actor, "guidance.cancelled", unit_id=guidance.scope_unit_id,
                                  detail={"guidance": guidance.id})
        await update.callback_query.answer()
        await _show(update, _("The scheduled guidance was cancelled: nothing of it will be sent."), None, edit=True)
    else:
        await update.callback_query.answer(_("Too late to cancel: it has already been sent."), show_alert=True)


async def show_results(update: Update, context: Any) -> None:
    """Menu item "Guidance sent": the latest guidance for the person's wards, each with its progress."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    t = actor.t
    _ = t.gettext
    units = set(rules.sender_units(actor.scope.anchors)) | {w.id for w in await _sender_wards(ctx, actor)}
    found = await store.recent_for_scopes(ctx.db, units, limit=6)
    if not found:
        await common.reply(update, _("No guidance has been sent yet."))
        return
    names = await org.get_units(ctx.db, {g.scope_unit_id for g in found})
    rows = [[(f"{delivery.month_label(t, g.month)} · {names[g.scope_unit_id].name if g.scope_unit_id in names else ''}"
              f" · #{g.id}"[:60], f"{delivery.PROGRESS}{g.id}")] for g in found]
    await common.reply(update, _("The latest guidance: choose one to see who has received and confirmed it."),
                       reply_markup=_kb(rows))


# --- Reading it (/huongdan) -------------------------------------------------------------------------------


async def show_guidance(update: Update, context: Any) -> None:
    """/huongdan, the menu item and the reminders' button: the month's guidance for the person's cells."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    t = actor.t
    _ = t.gettext
    if update.callback_query is not None:
        await update.callback_query.answer()
    cells = sorted({unit for role, unit in actor.scope.anchors if role in access.CELL_LEADERS})
    shown = 0
    receipts_checked: dict[int, dict[int, str]] = {}
    for cell_id in cells:
        month = rules.month_to_show(ctx.clock.now().date(), await store.months_for_cell(ctx.db, cell_id))
        if month is None:
            continue
        for guidance in await store.for_cell(ctx.db, cell_id, month):
            if guidance.id in receipts_checked:
                continue
            receipts_checked[guidance.id] = await store.receipts(ctx.db, guidance.id)
            scope = await org.get_unit(ctx.db, guidance.scope_unit_id)
            payload = delivery.copy_payload(t, text=guidance.text, parse_mode=guidance.parse_mode, month=guidance.month,
                                            scope_name=scope.name if scope else "",
                                            attachments=await store.attachments(ctx.db, guidance.id),
                                            ack_data=f"{delivery.ACK}{guidance.id}")
            received = receipts_checked[guidance.id].get(actor.person.id)
            if received or not await store.is_recipient(ctx.db, guidance.id, actor.person.id):
                label = _("✅ Received at {when}").format(
                    when=t.format_datetime(codec.parse_instant(received), "short")) if received else None
                payload["buttons"] = [[{"text": label, "callback_data": f"{delivery.ACK}{guidance.id}"}]] \
                    if label else None
            await send_now(ctx, update.get_bot(), update.effective_chat.id, payload)
            shown += 1
    if not shown:
        await common.reply(update, _("There is no guidance for this month's cell meeting yet."))


# --- Wiring ------------------------------------------------------------------------------------------------


async def _resume(update: Update, context: Any) -> None:
    """Back to the step the person was at (chosen to continue it rather than start something else)."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None or actor.draft is None:
        return
    if actor.draft.step in (OPTIONS, PICK, PREVIEW):
        await _show_options(update, ctx, actor, dict(actor.draft.data), edit=False)
    elif actor.draft.step == ATTACH:
        await _after_text(update, ctx, actor, dict(actor.draft.data))
    else:
        await on_other(update, context)


COMPOSE = common.define_flow(FLOW, N_("writing the month's guidance"), start_compose, resume=_resume)


async def begin_compose(update: Update, context: Any) -> None:
    await common.begin_flow(update, context, COMPOSE)


menu_registry.add(MenuItem("guidance.compose", label=N_("Send guidance"),
                           description=N_("Write the month's guidance and send it to the cells"),
                           roles=access.STAFF, callback=begin_compose, command="guihuongdan", order=200))
menu_registry.add(MenuItem("guidance.results", label=N_("Guidance sent"),
                           description=N_("Who has received and confirmed the guidance you sent"),
                           roles=access.STAFF, callback=show_results, command="tiendo", order=210))
menu_registry.add(MenuItem("guidance.read", label=N_("Guidance"),
                           description=N_("Read the guidance for this month's cell meeting"),
                           roles=access.CELL_LEADERS, callback=show_guidance, command="huongdan", order=200))


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)

    def at(step: str):
        return common.InFlow(application, FLOW, step)

    message = filters.UpdateType.MESSAGE
    typed = filters.TEXT & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM
    files = filters.Document.ALL | filters.PHOTO
    application.add_handler(MessageHandler(message & typed & at(TEXT), on_text))
    application.add_handler(MessageHandler(message & files & (at(TEXT) | at(ATTACH)), on_file))
    application.add_handler(MessageHandler(message & typed & at(SCHEDULE), on_schedule_text))
    application.add_handler(MessageHandler(message & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM &
                                           common.InFlow(application, FLOW), on_other))
    application.add_handler(CallbackQueryHandler(on_compose_button, pattern=rf"^{_C}"))
    application.add_handler(CallbackQueryHandler(on_ack, pattern=rf"^({delivery.ACK}|{delivery.PREVIEW_ACK}$)"))
    application.add_handler(CallbackQueryHandler(on_progress, pattern=rf"^{delivery.PROGRESS}"))
    application.add_handler(CallbackQueryHandler(on_resend, pattern=rf"^{delivery.RESEND}"))
    application.add_handler(CallbackQueryHandler(on_unschedule, pattern=rf"^{delivery.UNSCHEDULE}"))
    application.add_handler(CallbackQueryHandler(show_guidance, pattern=rf"^{GUIDANCE_SHOW}$"))
