"""Ward (or city) staff replace a cell's secretary in chat: menu item "Replace secretary" → pick one of
their cells → type the new secretary's name or phone (someone of that cell) → pick → confirm. The old
secretary stays a member of the cell; both are told through the outbox; their command lists change at
once; the change is audited as 'role.changed'. Registered by handlers/onboarding.py.

Every button is checked against the database: the cell must be under the staff member's ward, the person
must be of that cell — a button for another ward's cell is refused and audited as forged.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.delivery import routing
from bot.core.i18n import N_
from bot.rules import access
from bot.rules.phone import normalize_phone
from bot.rules.text import fold
from handlers import common, menu, menu_registry
from handlers.menu_registry import MenuItem
from storage import accounts, codec, drafts, org, outbox, roles
from storage.outbox import OutgoingMessage

FLOW = "roles.replace_secretary"
MAX_SHOWN = 8
ALL_CELLS_UP_TO = 40   # a ward's cells fit as buttons; the whole city's do not (type a name instead)
_CELL, _PERSON, _OK, _STOP = "rs:c:", "rs:p:", "rs:ok", "rs:x"


async def cells_in_scope(ctx: AppContext, actor: common.Actor) -> list[org.Unit]:
    found: dict[int, org.Unit] = {}
    for anchor in actor.scope.units(access.STAFF):
        for cell in await org.cells_under(ctx.db, anchor):
            found[cell.id] = cell
    return sorted(found.values(), key=lambda unit: (fold(unit.name), unit.id))


def _cell_buttons(cells: list[org.Unit], t: i18n.Translator) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(cell.name[:40], callback_data=f"{_CELL}{cell.id}") for cell in cells]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(t.gettext("Cancel"), callback_data=_STOP)])
    return InlineKeyboardMarkup(rows)


async def start(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    cells = await cells_in_scope(ctx, actor)
    await drafts.save(ctx.db, actor.account.id, FLOW, "cell", {}, at=common.now_instant(ctx))
    if len(cells) <= ALL_CELLS_UP_TO:
        await common.reply(update, _("Which cell gets a new secretary?"), reply_markup=_cell_buttons(cells, actor.t))
    else:
        await common.reply(update, _("Which cell gets a new secretary? Type part of its name."))


async def on_text(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    text = (update.effective_message.text or "").strip()
    step = actor.draft.step
    if step == "cell":
        wanted = fold(text)
        cells = [c for c in await cells_in_scope(ctx, actor) if wanted and wanted in fold(c.name)][:MAX_SHOWN]
        if not cells:
            await common.reply(update, _("No cell of yours matches “{query}”. Try another name, or /cancel.").format(
                query=text))
            return
        await common.reply(update, _("Which cell gets a new secretary?"), reply_markup=_cell_buttons(cells, actor.t))
    elif step in ("person", "pick"):
        await _search_person(update, context, actor, actor.draft.data["cell_id"], text)
    else:  # confirm
        await common.reply(update, _("Please press “Confirm” or “Cancel” above, or send /cancel."))


async def _search_person(update: Update, context: Any, actor: common.Actor, cell_id: int, text: str) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    phone = normalize_phone(text)
    key = "" if phone else fold(text)
    if len(key) < 2 and not phone:
        await common.reply(update, _("Please type at least two letters of the name, or a phone number."))
        return
    found = [(p, m) for p, m in await org.search_people(ctx.db, [cell_id], name_key=key, phone=phone,
                                                         limit=MAX_SHOWN + 1) if m.role != access.SECRETARY]
    if not found:
        await common.reply(update, _("Nobody of this cell matches “{query}”. Try another name or number, or "
                                     "/cancel.").format(query=text))
        return
    shown = found[:MAX_SHOWN]
    rows = [[InlineKeyboardButton(f"{p.full_name} — {common.role_label(actor.t, m.role)}"[:60],
                                  callback_data=f"{_PERSON}{p.id}")] for p, m in shown]
    rows.append([InlineKeyboardButton(_("Cancel"), callback_data=_STOP)])
    await drafts.save(ctx.db, actor.account.id, FLOW, "pick",
                      {"cell_id": cell_id, "candidates": [p.id for p, _m in shown]}, at=common.now_instant(ctx))
    await common.reply(update, _("Choose the new secretary:"), reply_markup=InlineKeyboardMarkup(rows))


async def on_other(update: Update, context: Any) -> None:
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    if actor.draft.step == "confirm":
        await common.reply(update, _("Please press “Confirm” or “Cancel” above, or send /cancel."))
    else:
        await common.reply(update, _("Please type a name, or /cancel."))


async def _drop_buttons(update: Update) -> None:
    try:
        await update.callback_query.edit_message_reply_markup(None)
    except BadRequest:
        pass


async def _stale(update: Update, actor: common.Actor) -> None:
    await update.callback_query.answer(
        actor.t.gettext("This button is no longer active. Send /menu to see what you can do."))


async def _secretary_of(ctx: AppContext, cell_id: int) -> org.Person | None:
    found = await org.current_members(ctx.db, [cell_id], [access.SECRETARY])
    return found[0][0] if found else None


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
            await _drop_buttons(update)
            await common.reply(update, _("Cancelled. Nothing was saved from that step."),
                               reply_markup=menu.menu_keyboard(actor))
        else:
            await _stale(update, actor)
        return
    if data.startswith(_CELL):
        await _on_cell(update, context, actor, data[len(_CELL):])
    elif data.startswith(_PERSON):
        await _on_person(update, context, actor, data[len(_PERSON):])
    elif data == _OK or data.startswith(_OK + ":"):
        await _on_confirm(update, context, actor)
    else:
        await _stale(update, actor)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


async def _on_cell(update: Update, context: Any, actor: common.Actor, raw: str) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    cell_id = _int(raw)
    if cell_id is None:
        await _stale(update, actor)
        return
    if not await common.authorize_unit(update, context, actor, cell_id, what="replace_secretary.cell",
                                       roles=access.STAFF):
        return
    cell = await org.get_unit(ctx.db, cell_id)
    if not actor.in_flow(FLOW, "cell") or cell is None or cell.kind != "cell" or not cell.active:
        await _stale(update, actor)
        return
    await drafts.save(ctx.db, actor.account.id, FLOW, "person", {"cell_id": cell_id}, at=common.now_instant(ctx))
    await _drop_buttons(update)
    secretary = await _secretary_of(ctx, cell_id)
    first = (_("Cell {cell}: its secretary now is comrade {name}.").format(cell=cell.name, name=secretary.full_name)
             if secretary else _("Cell {cell} has no secretary now.").format(cell=cell.name))
    await common.reply(update, first + "\n" + _("Type the name or phone number of the new secretary (someone of "
                                                "this cell), or /cancel."))


async def _on_person(update: Update, context: Any, actor: common.Actor, raw: str) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    person_id = _int(raw)
    if person_id is None:
        await _stale(update, actor)
        return
    if not await common.authorize_person(update, context, actor, person_id, what="replace_secretary.person",
                                         roles=access.STAFF):
        return
    if not actor.in_flow(FLOW, "pick") or person_id not in actor.draft.data.get("candidates", []):
        await _stale(update, actor)
        return
    cell_id = actor.draft.data["cell_id"]
    cell = await org.get_unit(ctx.db, cell_id)
    person = await org.get_person(ctx.db, person_id)
    secretary = await _secretary_of(ctx, cell_id)
    await drafts.save(ctx.db, actor.account.id, FLOW, "confirm", {"cell_id": cell_id, "person_id": person_id},
                      at=common.now_instant(ctx))
    await _drop_buttons(update)
    if secretary:
        text = _("Make comrade {new} the secretary of cell {cell}, in place of comrade {old}? Comrade {old} stays "
                 "a member of the cell.").format(new=person.full_name, cell=cell.name, old=secretary.full_name)
    else:
        text = _("Make comrade {new} the secretary of cell {cell}?").format(new=person.full_name, cell=cell.name)
    # Confirm names the cell and the person it was shown for: an older Confirm, pressed after another pick,
    # must not confirm someone else.
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton(_("Confirm"),
                                                          callback_data=common.button_data(_OK + ":", cell_id, person_id)),
                                     InlineKeyboardButton(_("Cancel"), callback_data=_STOP)]])
    await common.reply(update, text, reply_markup=buttons)


async def _on_confirm(update: Update, context: Any, actor: common.Actor) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    if not actor.in_flow(FLOW, "confirm"):
        await _stale(update, actor)
        return
    cell_id, person_id = actor.draft.data["cell_id"], actor.draft.data["person_id"]
    if common.button_parts(update, _OK + ":", 2) != [str(cell_id), str(person_id)]:
        await common.answer_out_of_date(update, actor, what="replace_secretary.confirm")
        return
    # Checked again: the roster may have changed since the buttons were shown.
    if not await common.authorize_unit(update, context, actor, cell_id, what="replace_secretary.confirm",
                                       roles=access.STAFF):
        return
    try:
        plan = access.plan_replacement(await roles.cell_memberships(ctx.db, cell_id), person_id)
    except access.ReplacementRefused:
        await drafts.clear(ctx.db, actor.account.id)
        await _drop_buttons(update)
        await common.reply(update, _("The list has changed meanwhile: nothing was done. Please start again."),
                           reply_markup=menu.menu_keyboard(actor))
        return
    cell = await org.get_unit(ctx.db, cell_id)
    people = await org.get_people(ctx.db, [person_id] + ([plan.old_secretary] if plan.old_secretary else []))
    new, old = people[person_id], people.get(plan.old_secretary)
    notices = await _notices(ctx, actor, cell, new, old)
    now = ctx.clock.now()
    at = codec.instant(now)
    try:
        async with ctx.db.transaction() as conn:
            # Only once: a second press finds the draft taken, and this transaction rolls back.
            if not await drafts.take(conn, actor.account.id, FLOW, ("confirm",), "person_id", person_id):
                raise _AlreadyDone
            await roles.apply(conn, cell_id, ended=plan.ended, opened=plan.opened, today=codec.day(now.date()))
            await common.record_audit(ctx, update, actor, "role.changed", target=conn, unit_id=cell_id,
                                      subject_person_id=person_id,
                                      detail={"role": access.SECRETARY, "new": person_id, "old": plan.old_secretary})
            queued = await outbox.enqueue(conn, notices, at=at)
    except _AlreadyDone:
        await _stale(update, actor)
        return
    if queued:
        ctx.wake_sender()
    await _drop_buttons(update)
    # Their Telegram command lists change now, not at their next message — when this is the Telegram bot
    # (Zalo has no command lists; done from Zalo, the periodic check updates them within minutes).
    for person in (new, old) if actor.platform == accounts.TELEGRAM else ():
        account = await accounts.get_for_person(ctx.db, person.id, platform=accounts.TELEGRAM) if person else None
        if account is not None:
            await menu.publish_for(context.bot, ctx, await common.load_actor(
                ctx, int(account.external_id), platform=accounts.TELEGRAM))
    await common.reply(update, _("Done: comrade {new} is now the secretary of cell {cell}.").format(
        new=new.full_name, cell=cell.name), reply_markup=menu.menu_keyboard(actor))


class _AlreadyDone(Exception):
    """The confirmation was taken by another press meanwhile."""


async def _notices(ctx: AppContext, actor: common.Actor, cell: org.Unit, new: org.Person,
                   old: org.Person | None) -> list[OutgoingMessage]:
    linked = await routing.accounts_of(ctx, [p.id for p in (new, old) if p])
    at = codec.instant(ctx.clock.now())
    messages = []
    for person, text in ((new, N_("Comrade {staff} has made you the secretary of cell {cell}. Send /menu to see "
                                  "your menu.")),
                         (old, N_("Comrade {staff} has made comrade {new} the secretary of cell {cell}. You remain a "
                                  "member of the cell. Thank you for your work as secretary."))):
        if person is None or person.id not in linked:
            continue
        t = i18n.get(person.language)
        messages += [OutgoingMessage(
            kind="notice", chat_id=account.chat_id, person_id=person.id, platform=account.platform,
            payload={"text": t.gettext(text).format(staff=actor.person.full_name, cell=cell.name, new=new.full_name)},
            ref=f"role.changed:{cell.id}", dedup_key=f"role.changed:{cell.id}:{new.id}:{person.id}:{at}")
            for account in linked[person.id]]
    return messages


REPLACE = common.define_flow(FLOW, N_("replacing a cell secretary"), start)


async def begin(update: Update, context: Any) -> None:
    await common.begin_flow(update, context, REPLACE)


menu_registry.add(MenuItem("replace_secretary", label=N_("Replace secretary"),
                           description=N_("Make someone of a cell its new secretary"),
                           roles=access.STAFF, callback=begin, command="thaybithu", order=510))


def register(application: Application, ctx: AppContext) -> None:
    in_flow = common.InFlow(application, FLOW)
    application.add_handler(MessageHandler(
        common.PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM & in_flow, on_text))
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & ~filters.TEXT & in_flow, on_other))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^rs:"))
