"""Joining: `/start`, sharing one's own phone number, or `/start <invite code>`; on Zalo, the invite code.

An unknown account gets a short greeting and one button that shares the phone (Telegram's contact
request). The shared contact counts only when it is the sender's own; its phone, normalised, is looked up
in the roster; what follows is decided by `bot.rules.access.judge_join`. On a match the account is
linked, the person is greeted by name with their role and cell or ward, and sees their menu and command
list. A refusal says whom to ask, is audited, and — when the phone is a known person's (inactive, or
linked to another account) — the ward staff of that person's ward are told through the outbox.

Zalo shares no verified phone: there /start, or anything an unknown account sends, asks for the invite
code the ward gave them (`shcb invite`, the ward's menu); typing it is `/start <code>`. One person may join
on both platforms: each has its own account, and an invite moves the person's account of its own platform
only.

Until they join, whatever else someone sends gets a hint: press the button (a join in progress), or
/start. /help, /language and /cancel work before joining too (handlers/menu.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import Application, BaseHandler, CommandHandler, MessageHandler, filters

from bot.core import i18n
from bot.core.context import AppContext, ctx_of
from bot.delivery import routing
from bot.rules import access
from bot.rules.access import JoinOutcome
from bot.rules.phone import display_phone, mask_phone, normalize_phone
from handlers import common, invite_flow, menu, replace_secretary
from storage import accounts, audit, codec, drafts, invites, org, outbox
from storage.org import Person, Unit
from storage.outbox import OutgoingMessage

log = logging.getLogger(__name__)

JOIN_FLOW = "onboarding.join"
CODE_STEP = "code"   # (Zalo) waiting for the invite code
# Commands that work before joining: handled by handlers/menu.py.
_OPEN_COMMANDS = re.compile(r"^/(help|language|cancel)(@\w+)?(\s|$)", re.IGNORECASE)


def contact_keyboard(t: i18n.Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup([[KeyboardButton(t.gettext("📱 Share my phone number"), request_contact=True)]],
                               resize_keyboard=True, one_time_keyboard=True)


def _display_name(update: Update) -> str | None:
    user = update.effective_user
    if user is None:
        return None
    name = user.full_name
    return f"{name} (@{user.username})" if user.username else name


async def _ensure_account(update: Update, ctx: AppContext, actor: common.Actor) -> accounts.Account:
    user = update.effective_user
    return await accounts.ensure(ctx.db, external_id=user.id, chat_id=update.effective_chat.id,
                                 at=common.now_instant(ctx), language=common.telegram_language(update),
                                 display_name=_display_name(update), platform=actor.platform)


def _by_code(actor: common.Actor) -> bool:
    """Whether this platform joins by invite code only (no contact sharing: Zalo)."""
    return actor.platform != accounts.TELEGRAM


# --- /start ------------------------------------------------------------------------------------------


async def start(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.actor_for(update, context)
    if context.args:
        await join_by_code(update, context, actor, context.args[0])
        return
    _ = actor.t.gettext
    if actor.active:
        await menu.publish_for(context.bot, ctx, actor)
        await common.reply(update, _("Welcome back, comrade {name}!").format(name=actor.person.full_name) + "\n" +
                           await menu.greeting_lines(ctx, actor), reply_markup=menu.menu_keyboard(actor))
        return
    if actor.linked:
        await _refuse_inactive_linked(update, context, actor)
        return
    account = await _ensure_account(update, ctx, actor)
    if _by_code(actor):
        await drafts.save(ctx.db, account.id, JOIN_FLOW, CODE_STEP, {}, at=common.now_instant(ctx))
        await common.reply(update, _(
            "Hello! I am the assistant for your party cell's monthly meeting.\n"
            "To begin, please send the invite code your ward's party committee office gave you."))
        return
    await drafts.save(ctx.db, account.id, JOIN_FLOW, "contact", {}, at=common.now_instant(ctx))
    await common.reply(update, _(
        "Hello! I am the assistant for your party cell's monthly meeting.\n"
        "To begin, please press the button below to share your phone number, so that I can find you "
        "on your ward's list."), reply_markup=contact_keyboard(actor.t))


async def _refuse_inactive_linked(update: Update, context: Any, actor: common.Actor) -> None:
    ward = await common.ward_of_person(ctx_of(context), actor.person.id)
    _ = actor.t.gettext
    await common.reply(update, _ask_ward(actor.t, ward, _(
        "Your name is no longer on your ward's active list, so the assistant is not available to you.")))


def _ask_ward(t: i18n.Translator, ward: Unit | None, first: str) -> str:
    _ = t.gettext
    if ward is None:
        return first + " " + _("Please ask your ward's party committee office.")
    return first + " " + _("Please ask the party committee office of {ward}.").format(ward=ward.name)


# --- Sharing the phone -----------------------------------------------------------------------------


async def on_contact(update: Update, context: Any) -> None:
    ctx = ctx_of(context)
    actor = await common.actor_for(update, context)
    if actor.active and actor.in_flow(invite_flow.FLOW):  # staff looking up whom to invite by their card
        await invite_flow.on_query(update, context)
        return
    contact = update.effective_message.contact
    user = update.effective_user
    own = contact.user_id is not None and contact.user_id == user.id
    phone = normalize_phone(contact.phone_number)
    person = await org.find_person_by_phone(ctx.db, phone) if phone else None
    if not own:
        # Whose card it is does not matter: it is refused whoever it is. The ward of that person (if known)
        # finds the attempt in its audit log.
        await _refuse(update, context, actor, JoinOutcome.FOREIGN_CONTACT, person, phone, via="phone")
        return
    await _judge_and_act(update, context, actor, person, phone, via="phone")


async def _judge_and_act(update: Update, context: Any, actor: common.Actor, person: Person | None,
                         phone: str | None, *, via: str, invite: invites.Invite | None = None) -> None:
    ctx = ctx_of(context)
    # The person's account on this platform: joining here leaves their account on another platform be.
    holder = (await accounts.get_for_person(ctx.db, person.id, platform=actor.platform)
              if person is not None else None)
    outcome = access.judge_join(access.JoinFacts(
        own_contact=True,
        person_id=person.id if person else None,
        person_active=bool(person and person.active),
        person_account=holder.external_id if holder else None,
        sender=str(update.effective_user.id),
        sender_person_id=actor.person.id if actor.person else None,
        by_invite=invite is not None,
    ))
    if outcome in (JoinOutcome.LINK, JoinOutcome.MOVE_LINK):
        await _link(update, context, actor, person, phone, via=via, invite=invite,
                    previous=holder if outcome is JoinOutcome.MOVE_LINK else None)
    elif outcome in (JoinOutcome.ALREADY_LINKED, JoinOutcome.ACCOUNT_TAKEN):
        await _already_joined(update, context, actor)
    else:
        await _refuse(update, context, actor, outcome, person, phone, via=via, invite=invite)


async def _already_joined(update: Update, context: Any, actor: common.Actor) -> None:
    _ = actor.t.gettext
    text = _("You have already joined as comrade {name}.").format(name=actor.person.full_name)
    if actor.active:
        await common.reply(update, text, reply_markup=menu.menu_keyboard(actor))
    else:
        await _refuse_inactive_linked(update, context, actor)


# --- Linking ---------------------------------------------------------------------------------------


async def _primary_unit(ctx: AppContext, person_id: int) -> int | None:
    memberships = await org.memberships_of(ctx.db, person_id)
    return memberships[0].unit_id if memberships else None


async def _link(update: Update, context: Any, actor: common.Actor, person: Person, phone: str | None, *,
                via: str, invite: invites.Invite | None, previous: accounts.Account | None) -> None:
    ctx = ctx_of(context)
    user = update.effective_user
    account = actor.account or await _ensure_account(update, ctx, actor)
    at = common.now_instant(ctx)
    unit_id = await _primary_unit(ctx, person.id)
    detail = {"via": via, "phone": mask_phone(person.phone)}
    if invite is not None:
        detail["invite_id"] = invite.id
    async with ctx.db.transaction() as conn:
        if invite is not None and not await invites.mark_used(conn, invite.id, account_id=account.id, at=at):
            raise _InviteRace()
        if previous is not None:
            await accounts.unlink(conn, previous.id)
            detail["previous_account"] = previous.external_id
        await accounts.link_in(conn, external_id=user.id, chat_id=update.effective_chat.id, person_id=person.id,
                               at=at, display_name=_display_name(update), platform=actor.platform)
        await drafts.clear(conn, account.id)
        await common.record_audit(ctx, update, actor, "account.linked", target=conn, unit_id=unit_id,
                                  subject_person_id=person.id, detail=detail)
    # The language they were speaking to the bot becomes the person's, when it was one they chose (their
    # Telegram app's, or /language): Zalo tells none, and the roster's language then stays.
    if account.language and actor.language != person.language:
        await org.set_language(ctx.db, person.id, actor.language, at)
    log.info("%s account %s linked to person %s by %s", actor.platform, user.id, person.id, via)
    actor = await common.actor_for(update, context, fresh=True)
    await menu.publish_for(context.bot, ctx, actor, force=True)
    _ = actor.t.gettext
    lines = [_("Welcome, comrade {name}!").format(name=person.full_name)]
    if actor.memberships:
        lines += [_("You have joined as:"), await menu.greeting_lines(ctx, actor)]
    lines += ["", _("Your menu is below. Send /help to see what you can do, /language for English.")]
    await common.reply(update, "\n".join(lines), reply_markup=menu.menu_keyboard(actor))


class _InviteRace(Exception):
    """The invite was used by another account between the check and the link."""


# --- Refusals ----------------------------------------------------------------------------------------


_REASONS = {
    JoinOutcome.FOREIGN_CONTACT: "foreign_contact",
    JoinOutcome.UNKNOWN_PHONE: "unknown_phone",
    JoinOutcome.INACTIVE: "inactive",
    JoinOutcome.PERSON_TAKEN: "person_taken",
}


async def _refuse(update: Update, context: Any, actor: common.Actor, outcome: JoinOutcome,
                  person: Person | None, phone: str | None, *, via: str,
                  invite: invites.Invite | None = None) -> None:
    ctx = ctx_of(context)
    user = update.effective_user
    _ = actor.t.gettext
    ward = await common.ward_of_person(ctx, person.id) if person is not None else None
    unit_id = (await _primary_unit(ctx, person.id)) if person is not None else None
    detail = {"reason": _REASONS[outcome], "via": via,
              "phone": mask_phone(phone) if phone else "",
              "account": _display_name(update) or ""}
    if invite is not None:
        detail["invite_id"] = invite.id
    notices: list[OutgoingMessage] = []
    if outcome in access.NOTIFY_WARD and person is not None and ward is not None:
        notices = await _ward_notices(ctx, ward, person, outcome, update)
    keep_joining = outcome is JoinOutcome.FOREIGN_CONTACT
    at = common.now_instant(ctx)
    async with ctx.db.transaction() as conn:
        await common.record_audit(ctx, update, actor, "join.refused", target=conn,
                                  unit_id=unit_id, subject_person_id=person.id if person else None, detail=detail)
        queued = await outbox.enqueue(conn, notices, at=at) if notices else 0
        if actor.account is not None and not keep_joining:
            await drafts.clear(conn, actor.account.id)
    if queued:
        ctx.wake_sender()
    log.info("join refused for user %s: %s", user.id, detail["reason"])

    if outcome is JoinOutcome.FOREIGN_CONTACT:
        text = _("This is not your own phone number. Please press the button below: it shares the number "
                 "of this Telegram account. If you need help, please ask your ward's party committee office.")
        await common.reply(update, text, reply_markup=contact_keyboard(actor.t))
        return
    if outcome is JoinOutcome.UNKNOWN_PHONE:
        contact = update.effective_message.contact if update.effective_message else None
        number = display_phone(phone) if phone else (contact.phone_number if contact else "")
        text = _("Sorry, the number {phone} is not on the list of any party cell. Please ask your ward's party "
                 "committee office to check the number on the list, or to give you an invite link.").format(
                     phone=number)
    elif outcome is JoinOutcome.INACTIVE:
        text = _ask_ward(actor.t, ward, _("Sorry, comrade {name} is not on the active list any more.").format(
            name=person.full_name))
    else:  # PERSON_TAKEN
        text = _ask_ward(actor.t, ward, _(
            "Sorry, this phone number is already linked to another Telegram account. If you have changed "
            "phone or account, the ward can send you an invite link that moves it here."))
    await common.reply(update, text, reply_markup=ReplyKeyboardRemove())


async def _ward_notices(ctx: AppContext, ward: Unit, person: Person, outcome: JoinOutcome,
                        update: Update) -> list[OutgoingMessage]:
    """One notice to each linked ward staff member of the ward, in their language; one per (attempt
    kind, person, account, staff member) however often it is tried."""
    staff = await org.current_members(ctx.db, [ward.id], roles=[access.WARD_STAFF])
    linked = await routing.reachable(ctx, [p.id for p, _m in staff])
    user = update.effective_user
    unit_id = await _primary_unit(ctx, person.id)
    chain = await org.ancestors(ctx.db, unit_id) if unit_id else []
    cell = next((u for u in chain if u.kind == "cell"), None)
    notices = []
    for staff_person, _membership in staff:
        if staff_person.id not in linked:
            continue
        t = i18n.get(staff_person.language)
        _ = t.gettext
        where = _("cell {cell}").format(cell=cell.name) if cell else ward.name
        if outcome is JoinOutcome.INACTIVE:
            text = _("For your information: a Telegram account ({account}) tried to join with the phone number "
                     "of comrade {name} ({phone}, {unit}), who is marked inactive on the list. If they should "
                     "take part, please update the list.")
        else:
            text = _("For your information: a second Telegram account ({account}) tried to join with the phone "
                     "number of comrade {name} ({phone}, {unit}), which is already linked to another account. "
                     "It was refused. If they have changed account, send them an invite from the menu.")
        text = text.format(account=_display_name(update) or str(user.id), name=person.full_name,
                           phone=mask_phone(person.phone), unit=where)
        notices += [OutgoingMessage(
            kind="notice", chat_id=account.chat_id, person_id=staff_person.id, payload={"text": text},
            ref=f"join.refused:{person.id}", platform=account.platform,
            dedup_key=f"join.refused:{_REASONS[outcome]}:{person.id}:{user.id}:{staff_person.id}")
            for account in linked[staff_person.id]]
    return notices


# --- Invite codes ----------------------------------------------------------------------------------


async def join_by_code(update: Update, context: Any, actor: common.Actor, code: str) -> None:
    ctx = ctx_of(context)
    _ = actor.t.gettext
    since = codec.instant(ctx.clock.now() - access.WRONG_CODES_WINDOW)
    wrong = await audit.wrong_codes(ctx.db, platform=actor.platform, external_id=update.effective_user.id,
                                    since=since)
    if not actor.linked and not access.may_try_a_code(wrong):
        await common.record_audit(ctx, update, actor, "join.refused",
                                  detail={"reason": "too_many_codes", "via": "invite", "code": code[:4] + "…",
                                          "account": _display_name(update) or ""})
        await common.reply(update, _("Too many wrong invite codes were sent from this account today. Please "
                                     "try again tomorrow, or ask your ward's party committee office for help."))
        return
    invite = await invites.get_by_code(ctx.db, code)
    facts = None
    if invite is not None:
        facts = access.InviteFacts(expires_at=codec.parse_instant(invite.expires_at), used=invite.used_at is not None)
    status = access.invite_status(facts, ctx.clock.now())
    if status is not access.InviteStatus.VALID:
        person = await org.get_person(ctx.db, invite.person_id) if invite else None
        unit_id = await _primary_unit(ctx, person.id) if person else None
        await common.record_audit(ctx, update, actor, "join.refused", unit_id=unit_id,
                                  subject_person_id=person.id if person else None,
                                  detail={"reason": f"invite_{status.value}", "via": "invite",
                                          "code": code[:4] + "…", "account": _display_name(update) or ""})
        text = {
            access.InviteStatus.UNKNOWN: _("This invite code is not valid. Please check the link, or ask your "
                                           "ward's party committee office for a new one."),
            access.InviteStatus.USED: _("This invite code has already been used. Each code works once: please "
                                        "ask your ward's party committee office for a new one."),
            access.InviteStatus.EXPIRED: _("This invite code has expired (codes are valid for 7 days). Please "
                                           "ask your ward's party committee office for a new one."),
        }[status]
        if actor.active:
            await common.reply(update, text, reply_markup=menu.menu_keyboard(actor))
        elif _by_code(actor):
            await common.reply(update, text)
        else:
            await common.reply(update, text + "\n" + _("You can also join by sharing your phone number: send /start."),
                               reply_markup=ReplyKeyboardRemove())
        return
    person = await org.get_person(ctx.db, invite.person_id)
    try:
        await _judge_and_act(update, context, actor, person, person.phone if person else None, via="invite",
                             invite=invite)
    except _InviteRace:
        await common.reply(update, _("This invite code has already been used. Each code works once: please "
                                     "ask your ward's party committee office for a new one."))


# --- Before joining: hints -------------------------------------------------------------------------


async def before_joining(update: Update, context: Any) -> None:
    """Anything but /start, a contact, /help, /language or /cancel from someone not joined."""
    actor = await common.actor_for(update, context)
    _ = actor.t.gettext
    if update.callback_query is not None:
        await common.ask_to_join(update, actor)
        return
    if _by_code(actor) and not actor.linked:
        code = invites.typed_code(update.effective_message.text or "", loose=actor.in_flow(JOIN_FLOW, CODE_STEP))
        if code is not None:
            await join_by_code(update, context, actor, code)
        elif actor.in_flow(JOIN_FLOW):
            await common.reply(update, _("Please send the invite code your ward's party committee office gave "
                                         "you: 10 letters and digits, such as ABCD234XYZ."))
        else:
            await common.ask_to_join(update, actor)
        return
    if actor.in_flow(JOIN_FLOW):
        await common.reply(update, _("Please press the button below to share your phone number."),
                           reply_markup=contact_keyboard(actor.t))
    elif actor.linked:
        await _refuse_inactive_linked(update, context, actor)
    else:
        await common.ask_to_join(update, actor)


class _NotJoinedHandler(BaseHandler):
    """Takes, from someone not joined (or no longer active), every new message and button press except
    what works before joining."""

    def __init__(self, application: Application, callback) -> None:
        super().__init__(callback)
        self._not_linked = common.Linked(application, linked=False)

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update) or update.effective_user is None:
            return False
        if update.effective_chat is None or update.effective_chat.type != "private":
            return False
        if update.message is not None:
            text = update.message.text or ""
            if update.message.contact is not None or _OPEN_COMMANDS.match(text):
                return False
        elif update.callback_query is None:
            return False
        return bool(self._not_linked.check_update(update))


class _ContactForUs(common.ActorFilter):
    """A contact is for joining, or for finding whom to invite; in another feature's conversation it is
    that feature's to answer."""

    def __init__(self, application: Application) -> None:
        super().__init__(name="onboarding.ContactForUs")
        self.application = application

    def filter(self, update: Update) -> bool:
        actor = self._actor(update)
        return actor is None or not actor.active or actor.draft is None or actor.in_flow(invite_flow.FLOW)


def register(application: Application, ctx: AppContext) -> None:
    common.install(application)
    application.add_handler(CommandHandler("start", start, filters=common.PRIVATE_MESSAGE))
    application.add_handler(MessageHandler(common.PRIVATE_MESSAGE & filters.CONTACT & _ContactForUs(application),
                                           on_contact))
    application.add_handler(_NotJoinedHandler(application, before_joining))
    invite_flow.register(application, ctx)
    replace_secretary.register(application, ctx)
