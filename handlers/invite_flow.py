"""Ward and city staff create an invite in chat for a person they are responsible for: menu item "Invite"
→ type a name (or part of it) or a phone → pick the person → a single-use code and its t.me deep link,
valid 7 days, to forward to them. Part of onboarding (registered by handlers/onboarding.py).

The conversation is a draft (flow "onboarding.invite": step "query", then "pick" with the candidates
shown). A picked person is checked against the database — the person must be within the staff member's
ward (or anywhere for city staff) — whatever the button says; a button for anyone else is refused and
audited as forged.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core.context import AppContext, ctx_of
from bot.core.i18n import N_
from bot.rules import access
from bot.rules.phone import mask_phone, normalize_phone
from bot.rules.text import fold
from handlers import common, menu, menu_registry
from handlers.menu_registry import MenuItem
from storage import codec, drafts, invites, org

FLOW = "onboarding.invite"
MAX_SHOWN = 8
_PICK, _STOP = "inv:p:", "inv:x"


async def scope_units(ctx: AppContext, actor: common.Actor) -> list[int]:
    """Every unit under the actor's staff roles."""
    units: set[int] = set()
    for anchor in actor.scope.units(access.STAFF):
        units.update(await org.subtree_ids(ctx.db, anchor))
    return sorted(units)


async def start_invite(update: Update, context: Any) -> None:
    """The menu item (menu.run_item has checked the role)."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    await drafts.save(ctx.db, actor.account.id, FLOW, "query", {}, at=common.now_instant(ctx))
    _ = actor.t.gettext
    await common.reply(update, _("Whom is the invite for? Type their name (or part of it) or their phone number. "
                                 "/cancel stops."))


async def on_query(update: Update, context: Any) -> None:
    """A name or phone typed, or a contact card shared (handlers/onboarding.py passes those on)."""
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    _ = actor.t.gettext
    message = update.effective_message
    text = message.contact.phone_number if message.contact else (message.text or "")
    phone = normalize_phone(text)
    key = "" if phone else fold(text)
    if len(key) < 2 and not phone:
        await common.reply(update, _("Please type at least two letters of the name, or a phone number."))
        return
    found = await org.search_people(ctx.db, await scope_units(ctx, actor), name_key=key, phone=phone,
                                    limit=MAX_SHOWN + 1)
    if not found:
        await common.reply(update, _("Nobody you are responsible for matches “{query}”. Try another name or "
                                     "number, or /cancel.").format(query=text.strip()))
        return
    shown = found[:MAX_SHOWN]
    units = await org.get_units(ctx.db, {m.unit_id for _p, m in shown})
    rows = []
    for person, membership in shown:
        unit = units.get(membership.unit_id)
        label = f"{person.full_name} — {unit.name}" if unit else person.full_name
        rows.append([InlineKeyboardButton(label[:60], callback_data=f"{_PICK}{person.id}")])
    rows.append([InlineKeyboardButton(_("Cancel"), callback_data=_STOP)])
    await drafts.save(ctx.db, actor.account.id, FLOW, "pick", {"candidates": [p.id for p, _m in shown]},
                      at=common.now_instant(ctx))
    lines = [_("Choose the person:")]
    if len(found) > MAX_SHOWN:
        lines.append(_("(Only the first {n} are shown: type more of the name to narrow it.)").format(n=MAX_SHOWN))
    await common.reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


# A sticker, photo, voice note… while a name is expected.
on_other = common.step_hint(N_("Please type a name or a phone number, or /cancel."))


async def _drop_buttons(update: Update) -> None:
    try:
        await update.callback_query.edit_message_reply_markup(None)
    except BadRequest:  # already without buttons
        pass


async def _stale(update: Update, actor: common.Actor) -> None:
    _ = actor.t.gettext
    await update.callback_query.answer(_("This button is no longer active. Send /menu to see what you can do."))


async def on_button(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.require_actor(update, context)
    if actor is None:
        return
    data = update.callback_query.data or ""
    if data == _STOP:
        if actor.in_flow(FLOW):
            await drafts.clear(ctx.db, actor.account.id)
            await _drop_buttons(update)
            await common.reply(update, actor.t.gettext("Cancelled. Nothing was saved from that step."),
                               reply_markup=menu.menu_keyboard(actor))
        else:
            await _stale(update, actor)
        return
    try:
        person_id = int(data[len(_PICK):])
    except ValueError:
        await _stale(update, actor)
        return
    if not await common.authorize_person(update, context, actor, person_id, what="invite.pick",
                                         roles=access.STAFF):
        return
    if not actor.in_flow(FLOW, "pick") or person_id not in actor.draft.data.get("candidates", []):
        await _stale(update, actor)
        return
    person = await org.get_person(ctx.db, person_id)
    now = ctx.clock.now()
    memberships = await org.current_memberships(ctx.db, person_id)
    invite = await invites.issue(
        ctx.db, person_id=person_id, created_by=actor.person.id, created_at=codec.instant(now),
        expires_at=codec.instant(access.invite_expiry(now)),
        unit_id=memberships[0].unit_id if memberships else None,
        detail={"via": "chat", "phone": mask_phone(person.phone)},
        platform=actor.platform, actor_external_id=update.effective_user.id)
    await drafts.clear(ctx.db, actor.account.id)
    await _drop_buttons(update)
    t = actor.t
    _ = t.gettext
    expires = access.invite_expiry(now)
    text = _("Invite for comrade {name}:\nCode: {code}\nLink: {link}\n\nIt works once, until {date}. Forward the "
             "link to them: opening it and pressing Start links their Telegram account.").format(
        name=person.full_name, code=invite.code, link=invites.deep_link(context.bot.username, invite.code),
        date=f"{t.format_time(expires)} {t.format_date(expires, 'short')}")
    await common.reply(update, text, reply_markup=menu.menu_keyboard(actor))


INVITE = common.define_flow(FLOW, N_("creating an invite"), start_invite)


async def begin_invite(update: Update, context: Any) -> None:
    await common.begin_flow(update, context, INVITE)


menu_registry.add(MenuItem("invite", label=N_("Invite"), description=N_("Create an invite link for a person of your ward"),
                           roles=access.STAFF, callback=begin_invite, command="moithamgia", order=500))


def register(application: Application, ctx: AppContext) -> None:
    in_flow = common.InFlow(application, FLOW)
    application.add_handler(MessageHandler(
        common.PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND & ~menu.TYPED_MENU_ITEM & in_flow, on_query))
    application.add_handler(MessageHandler(
        common.PRIVATE_MESSAGE & ~filters.TEXT & ~filters.CONTACT & in_flow, on_other))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^inv:"))
