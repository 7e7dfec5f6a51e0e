"""Joining, end to end: the real Application polling the local Bot API server, on a real SQLite copy of the
generated roster. Covers issue 4's "Joining" and "Bad input" (see tests/test_menu_e2e.py for menus)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core import i18n
from bot.sandbox.chat_user import ChatUser
from bot.commands.invite import create_invite
from bot.core.config import OrganisationConfig
from bot.roster.generate import generate_roster
from bot.roster.importer import import_rows
from tests.fixtures.e2e import audit_actions, press_raw
from bot.rules.phone import mask_phone
from handlers import onboarding
from storage import accounts, drafts, invites, org, outbox

pytestmark = pytest.mark.e2e

vi = i18n.get("vi").gettext
en = i18n.get("en").gettext
WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"
FALLBACK_VI = vi("Sorry, I did not understand. Send /menu to see what you can do.")


async def stranger(e2e, user_id: int, language: str = "vi", first_name: str = "Khách") -> ChatUser:
    """A Telegram user who is nobody on the roster (yet)."""
    await e2e.api.create_user(user_id, first_name, language_code=language, started=True)
    return ChatUser(e2e.api, user_id)


async def notice_rows(e2e, person_id: int) -> list[outbox.OutboxRow]:
    return await outbox.by_ref(e2e.db, f"join.refused:{person_id}")


async def test_join_by_phone_greets_by_name_with_role_and_cell(e2e):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    u = await e2e.chat_as(secretary, link=False)

    await u.send("/start")
    hello = await u.reply()
    assert hello.text == vi("Hello! I am the assistant for your party cell's monthly meeting.\nTo begin, please "
                            "press the button below to share your phone number, so that I can find you on your "
                            "ward's list.")
    assert hello.text.startswith("Kính chào đồng chí"), "Vietnamese by default"
    assert hello.request_contact and hello.reply_keyboard == [[vi("📱 Share my phone number")]]

    await u.contact()
    welcome = await u.reply()
    assert secretary.full_name in welcome.text
    assert vi("cell secretary") in welcome.text and CELL in welcome.text and WARD in welcome.text
    labels = [label for row in welcome.reply_keyboard for label in row]
    assert vi("Help") in labels and vi("Language") in labels and vi("Invite") not in labels

    account = await accounts.get_by_external(e2e.db, u.user_id, platform=accounts.TELEGRAM)
    assert account.person_id == secretary.id and account.linked_at
    assert await drafts.load(e2e.db, account.id) is None
    [linked] = await audit_actions(e2e, "account.linked")
    assert linked.subject_person_id == secretary.id and linked.actor_external_id == str(u.user_id)
    assert linked.detail["phone"] == mask_phone(secretary.phone) and secretary.phone[2:] not in str(linked.detail)
    commands = [c["command"] for c in await e2e.api.my_commands("chat", chat_id=u.user_id)]
    assert commands[:2] == ["start", "menu"] and {"help", "language", "cancel"} <= set(commands)
    assert "moithamgia" not in commands


async def test_join_in_english_when_telegram_speaks_english(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff, link=False, language="en")
    await u.send("/start")
    hello = await u.reply()
    assert hello.text.startswith("Hello!") and hello.reply_keyboard == [["📱 Share my phone number"]]
    await u.contact()
    welcome = await u.reply()
    assert welcome.text.startswith(f"Welcome, comrade {staff.full_name}!")
    assert "ward party committee staff, Nam Ngạn" in welcome.text
    assert "Invite" in [label for row in welcome.reply_keyboard for label in row]
    assert (await org.get_person(e2e.db, staff.id)).language == "en"
    listed = await e2e.api.my_commands("chat", chat_id=u.user_id)
    assert {"command": "moithamgia", "description": "Create an invite link for a person of your ward"} in listed


async def test_someone_elses_contact_is_refused_then_ones_own_accepted(e2e):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    u = await e2e.chat_as(secretary, link=False)
    await u.send("/start")
    await u.reply()
    await u.contact(contact_user_id=u.user_id + 1)  # a card from the address book: someone else's
    refusal = await u.reply()
    assert refusal.text.startswith("Đây không phải số điện thoại của chính đồng chí.")
    assert "Văn phòng Đảng ủy phường" in refusal.text
    assert refusal.request_contact, "the button is offered again"
    assert (await accounts.get_by_external(e2e.db, u.user_id, platform=accounts.TELEGRAM)).person_id is None
    [refused] = await audit_actions(e2e, "join.refused")
    assert refused.detail["reason"] == "foreign_contact" and refused.detail["phone"] == mask_phone(secretary.phone)

    await u.contact()
    assert secretary.full_name in (await u.reply()).text
    assert (await accounts.get_by_external(e2e.db, u.user_id, platform=accounts.TELEGRAM)).person_id == secretary.id


async def test_an_unknown_phone_is_refused_politely(e2e):
    u = await stranger(e2e, 501)
    await u.send("/start")
    await u.reply()
    await u.contact(phone="+84 912 000 111")
    refusal = await u.reply()
    assert "0912 000 111" in refusal.text and "Văn phòng Đảng ủy phường nơi mình sinh hoạt" in refusal.text
    assert refusal.remove_keyboard
    account = await accounts.get_by_external(e2e.db, 501, platform=accounts.TELEGRAM)
    assert account.person_id is None and await drafts.load(e2e.db, account.id) is None
    [refused] = await audit_actions(e2e, "join.refused")
    assert refused.detail["reason"] == "unknown_phone" and refused.detail["phone"] == "0912***111"
    assert refused.subject_person_id is None
    assert await e2e.db.fetchval("SELECT count(*) FROM outbox") == 0, "nobody to tell about a stranger"


async def _reimport(e2e, change) -> None:
    rows = [change(row) for row in generate_roster(7)]
    await import_rows(e2e.db, [row for row in rows if row is not None], e2e.clock, OrganisationConfig().name)


async def test_an_inactive_person_is_refused_and_the_ward_is_told(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    staff_chat = await e2e.chat_as(staff)  # a joined ward staff member gets the notice
    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    await _reimport(e2e, lambda row: None if row.phone == member.phone else row)
    assert not (await org.get_person(e2e.db, member.id)).active

    u = await e2e.chat_as(member, link=False)
    await u.send("/start")
    await u.reply()
    await u.contact()
    refusal = await u.reply()
    assert member.full_name in refusal.text and f"Văn phòng Đảng ủy {WARD}" in refusal.text
    assert (await accounts.get_by_external(e2e.db, u.user_id, platform=accounts.TELEGRAM)).person_id is None
    [refused] = await audit_actions(e2e, "join.refused")
    assert refused.detail["reason"] == "inactive" and refused.subject_person_id == member.id
    assert refused.unit_id in await org.subtree_ids(e2e.db, (await e2e.members(ward=WARD))[0][2].id)
    [notice] = await notice_rows(e2e, member.id)
    assert notice.chat_id == str(staff_chat.user_id) and notice.person_id == staff.id
    assert member.full_name in notice.payload["text"] and mask_phone(member.phone) in notice.payload["text"]
    assert member.phone[2:] not in notice.payload["text"], "the phone is masked"
    delivered = await staff_chat.wait_for(lambda m: member.full_name in (m.text or ""), timeout=10)
    assert delivered.text == notice.payload["text"], "the outbox sender delivers it to the ward staff"

    await u.contact()  # trying again tells the ward nothing new
    await u.reply()
    assert len(await notice_rows(e2e, member.id)) == 1


async def test_a_second_account_for_a_linked_phone_is_refused_and_the_ward_told(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    await e2e.chat_as(staff)
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    first = await e2e.chat_as(secretary)  # joined already
    second = await stranger(e2e, 502)
    await second.send("/start")
    await second.reply()
    await second.contact(phone=secretary.phone)  # a second Telegram account with the same SIM
    refusal = await second.reply()
    assert refusal.text.startswith("Xin lỗi, số điện thoại này đã gắn với một tài khoản Telegram khác")
    assert (await accounts.get_for_person(e2e.db, secretary.id, platform=accounts.TELEGRAM)).external_id == str(first.user_id)
    assert (await accounts.get_by_external(e2e.db, 502, platform=accounts.TELEGRAM)).person_id is None
    [refused] = await audit_actions(e2e, "join.refused")
    assert refused.detail["reason"] == "person_taken" and refused.actor_external_id == "502"
    [notice] = await notice_rows(e2e, secretary.id)
    assert notice.person_id == staff.id and notice.kind == "notice"
    assert "tài khoản Telegram thứ hai" in notice.payload["text"]


async def test_join_by_invite_code_and_the_code_works_once(e2e):
    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    person, invite, _places = await create_invite(e2e.db, member.phone, e2e.clock)
    assert person.id == member.id
    u = await stranger(e2e, 503, first_name="Số mới")  # their Telegram number is not the roster's
    await u.send(f"/start {invite.code}")
    welcome = await u.reply()
    assert member.full_name in welcome.text and vi("party member") in welcome.text
    assert (await accounts.get_by_external(e2e.db, 503, platform=accounts.TELEGRAM)).person_id == member.id
    stored = await invites.get_by_code(e2e.db, invite.code)
    assert stored.used_at and stored.used_by_account == (await accounts.get_by_external(e2e.db, 503, platform=accounts.TELEGRAM)).id
    linked = (await audit_actions(e2e, "account.linked"))[-1]
    assert linked.detail["via"] == "invite" and linked.detail["invite_id"] == invite.id

    other = await stranger(e2e, 504)
    await other.send(f"/start {invite.code}")
    assert (await other.reply()).text.startswith(vi(
        "This invite code has already been used. Each code works once: please ask your ward's party committee "
        "office for a new one."))
    assert (await accounts.get_by_external(e2e.db, 504, platform=accounts.TELEGRAM)) is None or \
        (await accounts.get_by_external(e2e.db, 504, platform=accounts.TELEGRAM)).person_id is None
    assert (await audit_actions(e2e, "join.refused"))[-1].detail["reason"] == "invite_used"


async def test_expired_and_unknown_codes_are_refused(e2e):
    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    _person, invite, _places = await create_invite(e2e.db, member.phone, e2e.clock)
    e2e.clock.advance(timedelta(days=8))
    u = await stranger(e2e, 505, language="en")
    await u.send(f"/start {invite.code}")
    expired = await u.reply()
    assert expired.text.startswith("This invite code has expired (codes are valid for 7 days).")
    assert (await invites.get_by_code(e2e.db, invite.code)).used_at is None
    await u.send("/start NOSUCHCODE")
    assert (await u.reply()).text.startswith("This invite code is not valid.")
    reasons = [e.detail["reason"] for e in await audit_actions(e2e, "join.refused")]
    assert reasons == ["invite_expired", "invite_unknown"]
    assert await accounts.get_for_person(e2e.db, member.id, platform=accounts.TELEGRAM) is None


async def test_an_invite_moves_a_person_to_their_new_account(e2e):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    old = await e2e.chat_as(secretary)
    _person, invite, _places = await create_invite(e2e.db, secretary.phone, e2e.clock)
    new = await stranger(e2e, 506)
    await new.send(f"/start {invite.code}")
    assert secretary.full_name in (await new.reply()).text
    assert (await accounts.get_for_person(e2e.db, secretary.id, platform=accounts.TELEGRAM)).external_id == "506"
    linked = (await audit_actions(e2e, "account.linked"))[-1]
    assert linked.detail["previous_account"] == str(old.user_id)
    await old.send("/menu")  # the old account speaks for nobody now
    assert (await old.reply()).text == vi("You have not joined yet. Please send /start and share your phone number first.")


async def test_cancel_leaves_the_join_and_says_so(e2e):
    u = await stranger(e2e, 507)
    await u.send("/start")
    await u.reply()
    await u.send("/cancel")
    cancelled = await u.reply()
    assert cancelled.text.startswith(vi("Cancelled. Nothing was saved from that step."))
    assert cancelled.remove_keyboard
    assert await drafts.load(e2e.db, (await accounts.get_by_external(e2e.db, 507, platform=accounts.TELEGRAM)).id) is None
    await u.send("xin chào")  # no join in progress any more: told to /start, not to press a button
    assert (await u.reply()).text == vi("You have not joined yet. Please send /start and share your phone number first.")
    await u.send("/cancel")
    assert (await u.reply()).text.startswith(vi("There was nothing to cancel."))


async def test_unexpected_input_while_joining_gets_a_hint_and_changes_nothing(e2e):
    u = await stranger(e2e, 508)
    await u.send("/start")
    hello = await u.reply()
    press_button = vi("Please press the button below to share your phone number.")
    for act in (lambda: u.send("0912345678"),            # the number typed instead of shared
                lambda: u.send("/menu"),                 # a menu command before joining
                lambda: u.send("tro giup xyz"),
                lambda: u.photo(b"\x89PNG fake", caption="ảnh"),
                lambda: u.document("cv.pdf", b"%PDF-1.4")):
        await act()
        hint = await u.reply()
        assert hint.text == press_button and hint.request_contact
    answer = await press_raw(u, hello.message_id, "inv:p:1")  # a forged button from someone not joined
    assert answer["text"] == vi("You have not joined yet. Please send /start and share your "
                                                 "phone number first.")
    account = await accounts.get_by_external(e2e.db, 508, platform=accounts.TELEGRAM)
    assert account.person_id is None
    draft = await drafts.load(e2e.db, account.id)
    assert (draft.flow, draft.step) == (onboarding.JOIN_FLOW, "contact"), "still waiting for the contact"
    assert await audit_actions(e2e, "account.linked") == [] and await invites.for_person(e2e.db, 1) == []


async def test_a_joined_person_sharing_a_contact_or_starting_again_changes_nothing(e2e):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    u = await e2e.chat_as(secretary)
    await u.contact()
    assert (await u.reply()).text == vi("You have already joined as comrade {name}.").format(name=secretary.full_name)
    await u.send("/start")
    again = await u.reply()
    assert again.text.startswith(vi("Welcome back, comrade {name}!").format(name=secretary.full_name))
    assert vi("Help") in [label for row in again.reply_keyboard for label in row]
    assert await audit_actions(e2e, "account.linked") == [] and await audit_actions(e2e, "join.refused") == []


async def test_the_join_survives_a_restart(e2e):
    """The join in progress is a draft in SQLite: a restarted bot still expects the contact."""
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    u = await e2e.chat_as(secretary, link=False)
    await u.send("/start")
    await u.reply()
    await e2e.restart()
    await u.send("hello?")
    assert (await u.reply()).request_contact
    await u.contact()
    assert secretary.full_name in (await u.reply()).text
