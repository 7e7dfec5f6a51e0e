"""Menus, command lists, /help, /language, /cancel, text commands, invites in chat, forged buttons and a
replaced secretary — end to end through the local Bot API server on a real SQLite roster."""

from __future__ import annotations

import asyncio
import dataclasses
import re

import pytest

from bot.core import i18n
from bot.sandbox.chat_user import ChatUser
from bot.core.config import OrganisationConfig
from bot.core.i18n import N_
from bot.roster.generate import generate_roster
from bot.roster.importer import import_rows
from tests.fixtures.e2e import audit_actions, press_raw
from bot.rules import access
from handlers import menu, menu_registry
from handlers.menu_registry import MenuItem
from storage import accounts, drafts, invites, org

pytestmark = pytest.mark.e2e

vi = i18n.get("vi").gettext
en = i18n.get("en").gettext
WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"
FALLBACK_VI = vi("Sorry, I did not understand. Send /menu to see what you can do.")
NOT_JOINED_VI = vi("You have not joined yet. Please send /start and share your phone number first.")


def labels(message) -> list[str]:
    return [label for row in (message.reply_keyboard or []) for label in row]


def listed_commands() -> set[str]:
    """Every command that exists: the common ones and each registered item's."""
    return {c for c, _d in menu.BASE_COMMANDS + menu.CLOSING_COMMANDS} | \
        {item.command for item in menu_registry.ITEMS.values() if item.command}


async def test_each_role_gets_its_menu_and_command_list(e2e):
    people = {
        "member": next(p for p in await e2e.people("member", ward=WARD, cell=CELL)),
        "secretary": await e2e.person("secretary", ward=WARD, cell=CELL),
        "deputy": await e2e.person("deputy", ward=WARD, cell=CELL),
        "ward_staff": await e2e.person("ward_staff", ward=WARD),
        "city_staff": await e2e.person("city_staff"),
    }
    for role, person in people.items():
        u = await e2e.chat_as(person)
        await u.send("/menu")
        shown = await u.reply()
        expected = [vi(item.label) for item in menu_registry.items_for({role})]
        assert labels(shown) == expected, role
        assert (vi("Invite") in labels(shown)) is (role in access.STAFF), role
        assert vi("Help") in labels(shown) and vi("Language") in labels(shown)
        listed = await e2e.api.my_commands("chat", chat_id=u.user_id)
        commands = [c["command"] for c in listed]
        assert commands == [c for c, _ in menu.command_list("vi", frozenset({role}))], role
        assert set(commands) <= listed_commands(), "only commands that exist"
        assert ("moithamgia" in commands) is (role in access.STAFF)
        assert all(c["description"] == vi(d) for c, (_cmd, d) in zip(listed, menu.BASE_COMMANDS))


async def test_default_command_lists_per_language(e2e):
    for code, t in (("vi", vi), ("en", en), ("", vi)):
        listed = await e2e.api.my_commands("default", language_code=code)
        assert [c["command"] for c in listed] == ["start", "menu", "help", "language", "cancel"], code
        assert listed[2]["description"] == t("What you can do here")
    assert (await e2e.api.my_commands("default", "en"))[0]["description"] == "Join, or show your welcome again"
    assert (await e2e.api.my_commands("default", "vi"))[0]["description"] == "Tham gia, hoặc xem lại lời chào"


async def test_help_explains_what_this_person_can_do_in_their_language(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff)
    await u.send("/help")
    text = (await u.reply()).text
    assert staff.full_name in text and vi("ward party committee staff") in text and WARD in text
    for item in menu_registry.items_for({"ward_staff"}):
        assert vi(item.description) in text
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    s = await e2e.chat_as(secretary, language="en")
    await s.send("/help")
    text = (await s.reply()).text
    assert "cell secretary, cell Nguyễn Mộng Tuân 2, Nam Ngạn" in text and "What you can do:" in text
    assert "Create an invite link" not in text


async def test_language_switches_and_is_kept(e2e):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    u = await e2e.chat_as(secretary)
    await u.send("/language")
    switched = await u.reply()
    assert switched.text == "I will speak English with you from now on." and "Help" in labels(switched)
    assert (await org.get_person(e2e.db, secretary.id)).language == "en"
    listed = await e2e.api.my_commands("chat", chat_id=u.user_id)
    assert listed[0]["description"] == "Join, or show your welcome again", "the command list follows"
    await e2e.restart()
    await u.send("/help")
    assert "What you can do:" in (await u.reply()).text
    await u.send("ngôn ngữ")  # the label typed, in the other language
    back = await u.reply()
    assert back.text == vi("I will speak English with you from now on.") and vi("Help") in labels(back)
    assert (await e2e.api.my_commands("chat", chat_id=u.user_id))[0]["description"] == vi("Join, or show your "
                                                                                           "welcome again")


@pytest.mark.parametrize("typed", ["trợ giúp", "tro giup", "TRỢ GIÚP", "Tro Giup", "  tRợ   gIúP ", "help", "HELP"])
async def test_text_commands_without_diacritics_and_in_any_case(e2e, typed):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    u = await e2e.chat_as(secretary)
    await u.send(typed)
    assert (await u.reply()).text.startswith(vi("Comrade {name}:").format(name=secretary.full_name))


async def test_typed_menu_words_cancel_and_menu(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff)
    await u.send("MOI THAM GIA")  # "Mời tham gia" without accents, in capitals
    assert (await u.reply()).text.startswith("Mời ai tham gia?")
    await u.send("huy")  # "Hủy"
    assert (await u.reply()).text == vi("Cancelled. Nothing was saved from that step.")
    await u.send("danh muc")  # "Danh mục"
    assert vi("Invite") in labels(await u.reply())


async def test_ward_staff_invite_someone_of_their_ward_in_chat(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff)
    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    await u.send(vi("Invite"))
    await u.reply()
    await u.send(member.full_name.upper())  # any case
    choose = await u.reply()
    assert choose.text.startswith(vi("Choose the person:"))
    await u.press(f"inv:p:{member.id}")
    made = await u.wait_for(lambda m: "start=" in (m.text or ""))
    assert not (await u.bot_messages())[-2].buttons, "the list's buttons are gone"
    code = re.search(r"start=([A-Z0-9]+)", made.text).group(1)
    assert f"https://t.me/{e2e.app.bot.username}?start={code}" in made.text and member.full_name in made.text
    [created] = await audit_actions(e2e, "invite.created")
    assert created.actor_person_id == staff.id and created.subject_person_id == member.id
    assert created.detail["via"] == "chat" and member.phone[2:] not in str(created.detail)
    assert (await drafts.load(e2e.db, (await accounts.get_for_person(e2e.db, staff.id, platform=accounts.TELEGRAM)).id)) is None

    invited = ChatUser(e2e.api, 601)
    await e2e.api.create_user(601, "Mới", language_code="vi", started=True)
    await invited.send(f"/start {code}")
    assert member.full_name in (await invited.reply()).text
    assert (await accounts.get_for_person(e2e.db, member.id, platform=accounts.TELEGRAM)).external_id == "601"
    answer = await press_raw(u, choose.message_id, f"inv:p:{member.id}")  # the old button again
    assert answer["text"] == vi("This button is no longer active. Send /menu to see what "
                                                          "you can do.")
    assert len(await invites.for_person(e2e.db, member.id)) == 1


async def test_invite_search_by_phone_or_contact_card_within_the_ward_only(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff)
    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    outsider = next(p for p in await e2e.people("member", ward="Ba Đình") if p.phone)
    await u.send("/moithamgia")
    await u.reply()
    await u.send("0" + outsider.phone[2:])
    assert (await u.reply()).text.startswith("Không có ai thuộc phạm vi đồng chí phụ trách")
    await u.contact(phone=member.phone, contact_user_id=999)  # the member's card from the address book
    choose = await u.reply()
    assert [label for row in choose.buttons for label, _ in row][0].startswith(member.full_name)
    await u.photo(b"\x89PNG")  # unexpected input at the pick step
    assert (await u.reply()).text == vi("Please type a name or a phone number, or /cancel.")
    await u.send("/cancel")
    assert (await u.reply()).text == vi("Cancelled. Nothing was saved from that step.")
    await u.send(member.full_name)  # no conversation now: this is just text
    assert (await u.reply()).text == FALLBACK_VI
    assert await invites.for_person(e2e.db, member.id) == []


async def test_a_forged_button_for_another_cell_is_refused_audited_and_shows_nothing(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff)
    outsider = next(p for p in await e2e.people("member", ward="Ba Đình") if p.phone)
    await u.send("/moithamgia")
    prompt = await u.reply()
    answer = await press_raw(u, prompt.message_id, f"inv:p:{outsider.id}")
    assert answer["text"] == vi("Sorry, this is not available to you.") and answer["show_alert"]
    assert all(outsider.full_name not in (m.text or "") for m in await u.messages())
    [forged] = await audit_actions(e2e, "access.forged")
    assert forged.actor_person_id == staff.id and forged.subject_person_id == outsider.id
    assert forged.detail["what"] == "invite.pick" and forged.detail["callback_data"] == f"inv:p:{outsider.id}"
    assert await invites.for_person(e2e.db, outsider.id) == []

    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)  # a secretary may invite nobody
    s = await e2e.chat_as(secretary)
    await s.send("/menu")
    shown = await s.reply()
    own_member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL))
    answer = await press_raw(s, shown.message_id, f"inv:p:{own_member.id}")
    assert answer["text"] == vi("Sorry, this is not available to you.")
    assert len(await audit_actions(e2e, "access.forged")) == 2
    await press_raw(s, shown.message_id, "inv:p:not-a-number")  # garbage is just an old button
    assert len(await audit_actions(e2e, "access.forged")) == 2


async def test_a_command_of_another_role_is_refused_and_audited(e2e):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    s = await e2e.chat_as(secretary)
    await s.send("/moithamgia")
    refused = await s.reply()
    # A secretary never had it: not told it is "no longer" theirs.
    assert refused.text == vi("Sorry, “{item}” is not one of your functions. Your menu is below.").format(
        item=vi("Invite"))
    assert vi("Invite") not in labels(refused)
    [entry] = await audit_actions(e2e, "access.refused")
    assert entry.detail["item"] == "invite" and entry.actor_person_id == secretary.id
    assert await drafts.load(e2e.db, (await accounts.get_for_person(e2e.db, secretary.id, platform=accounts.TELEGRAM)).id) is None

    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    m = await e2e.chat_as(member)
    await m.send("Hướng dẫn")  # the secretaries' button, typed
    assert (await m.reply()).text == vi("Sorry, “{item}” is not one of your functions. Your menu is below.") \
        .format(item=vi("Guidance"))


async def test_people_not_joined_are_told_to_start_first(e2e):
    u = ChatUser(e2e.api, 602)
    await e2e.api.create_user(602, "Khách", language_code="en", started=True)
    await u.send("/moithamgia")
    assert (await u.reply()).text == en("You have not joined yet. Please send /start and share your phone number first.")
    await u.send("/help")
    assert (await u.reply()).text.startswith("This assistant helps party cells")
    await u.send("/language")
    assert (await u.reply()).text == vi("I will speak English with you from now on.")
    await u.send("/menu")
    assert (await u.reply()).text == NOT_JOINED_VI, "the language chosen before joining is kept"


SECRET_ITEM = "test.cell_secret"


async def _cell_secret(update, context):
    from handlers import common

    actor = await common.actor_for(update, context)
    await common.reply(update, f"cell business of {actor.person.full_name}")


async def test_a_replaced_secretary_loses_the_role_at_once_and_the_new_one_joins(e2e):
    # A secretaries-only item, as the meeting features add theirs.
    menu_registry.add(MenuItem(SECRET_ITEM, label=N_("Roll call"), description=N_("Show your menu"),
                               roles=access.CELL_LEADERS, callback=_cell_secret, command="cellsecret"))
    try:
        old = await e2e.person("secretary", ward=WARD, cell=CELL)
        new = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
        u = await e2e.chat_as(old)
        await u.send("/cellsecret")
        assert (await u.reply()).text == f"cell business of {old.full_name}"
        assert "cellsecret" in [c["command"] for c in await e2e.api.my_commands("chat", chat_id=u.user_id)]

        # The ward re-imports its list with the secretary changed: the old one stays a member.
        def swap(row):
            if row.phone == old.phone:
                return dataclasses.replace(row, role="member")
            if row.phone == new.phone:
                return dataclasses.replace(row, role="secretary")
            return row

        await import_rows(e2e.db, [swap(r) for r in generate_roster(7)], e2e.clock, OrganisationConfig().name)

        await u.send("/cellsecret")  # the very next action
        refused = await u.reply()
        assert refused.text == vi("Sorry, “{item}” is not part of your role now. Your current menu is below.") \
            .format(item=vi("Roll call")), "they had it as secretary: told it is theirs no longer"
        assert vi("Roll call") not in labels(refused)
        commands = [c["command"] for c in await e2e.api.my_commands("chat", chat_id=u.user_id)]
        assert "cellsecret" not in commands, "the chat's command list was updated"
        [updated] = await audit_actions(e2e, "account.roles_updated")
        assert updated.subject_person_id == old.id
        assert updated.detail["from"][0].startswith("secretary@") and updated.detail["to"][0].startswith("member@")
        await u.send("/help")
        assert vi("party member") in (await u.reply()).text
        # History stays: the old secretary's linking is still in the log, the account still theirs.
        assert (await accounts.get_for_person(e2e.db, old.id, platform=accounts.TELEGRAM)).external_id == str(u.user_id)

        n = await e2e.chat_as(new, link=False)
        await n.send("/start")
        await n.reply()
        await n.contact()
        welcome = await n.reply()
        assert new.full_name in welcome.text and vi("cell secretary") in welcome.text
        await n.send("/cellsecret")
        assert (await n.reply()).text == f"cell business of {new.full_name}"
    finally:
        menu_registry.ITEMS.pop(SECRET_ITEM, None)


async def test_ward_staff_replace_a_secretary_in_chat(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    w = await e2e.chat_as(staff)
    old = await e2e.person("secretary", ward=WARD, cell=CELL)
    o = await e2e.chat_as(old)
    new = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    await e2e.chat_as(new)
    await o.send("/menu")  # the old secretary's chat has its list
    await o.reply()

    await w.send("thay bi thu")  # "Thay bí thư" typed without accents
    cells = await w.reply()
    cell_labels = [label for row in cells.buttons for label, _ in row]
    assert CELL in cell_labels and len(cell_labels) == 11 + 1, "Nam Ngạn's 11 cells, and Cancel"
    await w.press(CELL)
    asked = await w.wait_for(lambda m: "bí thư mới" in (m.text or ""))
    assert old.full_name in asked.text and CELL in asked.text
    await w.send(new.full_name.lower())
    await w.wait_for(lambda m: bool(m.buttons))
    await w.press(f"rs:p:{new.id}")
    confirm = await w.wait_for(lambda m: bool(m.buttons))
    assert new.full_name in confirm.text and old.full_name in confirm.text
    await w.photo(b"\x89PNG")  # unexpected input at the last step
    assert (await w.reply()).text == vi("Please press “Confirm” or “Cancel” above, or send /cancel.")
    await w.press("rs:ok")
    done = await w.wait_for(lambda m: m.text.startswith("Xong"))
    assert new.full_name in done.text

    cell = (await e2e.members(role="secretary", ward=WARD, cell=CELL))[0][2]
    assert [p.id for p, _m in await org.current_members(e2e.db, [cell.id], ["secretary"])] == [new.id]
    assert old.id in [p.id for p, _m in await org.current_members(e2e.db, [cell.id], ["member"])]
    ended = await e2e.db.fetchval("SELECT count(*) FROM memberships WHERE person_id = ? AND role = 'secretary'"
                                  " AND valid_to IS NOT NULL", (old.id,))
    assert ended == 1, "history stays: the old secretaryship is ended, not deleted"
    [changed] = await audit_actions(e2e, "role.changed")
    assert changed.actor_person_id == staff.id and changed.subject_person_id == new.id and changed.unit_id == cell.id
    assert changed.detail == {"role": "secretary", "new": new.id, "old": old.id}
    told = await e2e.db.fetchall("SELECT person_id FROM outbox WHERE ref = ?", (f"role.changed:{cell.id}",))
    assert sorted(row["person_id"] for row in told) == sorted([old.id, new.id])
    assert "thaybithu" in [c["command"] for c in await e2e.api.my_commands("chat", chat_id=w.user_id)]
    updated = {e.subject_person_id: e for e in await audit_actions(e2e, "account.roles_updated")}
    assert updated[old.id].detail["to"] == [f"member@{cell.id}"], "the old secretary's list was republished"

    await w.press("rs:ok", message=confirm)  # the old confirm button again: nothing happens twice
    await w.settled()
    assert (await w.callback_answers())[-1]["text"] == vi(
        "This button is no longer active. Send /menu to see what you can do.")
    assert len(await audit_actions(e2e, "role.changed")) == 1


async def test_a_forged_button_for_another_wards_cell_is_refused(e2e):
    staff = await e2e.person("ward_staff", ward=WARD)
    w = await e2e.chat_as(staff)
    other_cell = (await e2e.members(role="secretary", ward="Ba Đình"))[0][2]
    await w.send("/thaybithu")
    cells = await w.reply()
    answer = await press_raw(w, cells.message_id, f"rs:c:{other_cell.id}")
    assert answer["text"] == vi("Sorry, this is not available to you.")
    [forged] = await audit_actions(e2e, "access.forged")
    assert forged.unit_id == other_cell.id and forged.detail["what"] == "replace_secretary.cell"
    texts = " ".join(m.text or "" for m in await w.messages())
    assert other_cell.name not in texts, "nothing about that cell is shown"
    assert (await drafts.load(e2e.db, (await accounts.get_for_person(e2e.db, staff.id, platform=accounts.TELEGRAM)).id)).step == "cell"


async def test_roles_changed_elsewhere_reach_idle_chats_with_the_periodic_check(e2e):
    await asyncio.wait_for(e2e.ctx.extras["menu.synced_at_start"].wait(), 10)  # the start-up pass is over
    staff = await e2e.person("ward_staff", ward=WARD)
    u = await e2e.chat_as(staff)
    await u.send("/menu")
    await u.reply()
    assert "moithamgia" in [c["command"] for c in await e2e.api.my_commands("chat", chat_id=u.user_id)]
    # The ward's list no longer has them as staff: they stay on it as a member of a cell.
    def demote(row):
        return dataclasses.replace(row, role="member", cell=CELL) if row.phone == staff.phone else row

    await import_rows(e2e.db, [demote(r) for r in generate_roster(7)], e2e.clock, OrganisationConfig().name)
    assert await menu.sync_all_chats(e2e.app) == 1  # what the job does every RESYNC_SECONDS
    assert "moithamgia" not in [c["command"] for c in await e2e.api.my_commands("chat", chat_id=u.user_id)]
    assert await menu.sync_all_chats(e2e.app) == 0, "nothing twice"
    [updated] = await audit_actions(e2e, "account.roles_updated")
    assert updated.detail["to"][0].startswith("member@") and updated.detail["account"] == f"telegram:{u.user_id}"


async def test_an_older_replace_confirm_for_another_person_is_out_of_date(e2e):
    w = await e2e.chat_as(await e2e.person("ward_staff", ward=WARD))
    first, second = [p for p in await e2e.people("member", ward=WARD, cell=CELL)][:2]

    async def confirm_for(person):
        await w.send("/thaybithu")
        await w.reply()
        await w.press(CELL)
        await w.wait_for(lambda m: "bí thư mới" in (m.text or ""))
        await w.send(person.full_name.lower())
        await w.wait_for(lambda m: bool(m.buttons))
        await w.press(f"rs:p:{person.id}")
        return await w.wait_for(lambda m: bool(m.buttons))

    old_confirm = await confirm_for(first)
    await w.send("/cancel")
    await w.reply()
    await confirm_for(second)
    await w.press("rs:ok", message=old_confirm)   # Confirm for the first one, with the second one shown
    await w.settled()
    assert (await w.callback_answers())[-1]["text"] == vi(
        "This button is out of date: things have changed since it was shown, so nothing was changed. "
        "Send /menu to start again.")
    assert await audit_actions(e2e, "role.changed") == []
    await w.press("rs:ok")
    await w.wait_for(lambda m: m.text.startswith("Xong") and second.full_name in m.text)
