"""One person on two channels, end to end: the real Application polling the local Bot API server, on a real
SQLite copy of the generated roster.

Until the Zalo adapter is merged, "on Zalo" is the same Application told its platform is Zalo
(`bot_data["platform"] = "zalo"`, all the handlers look at, through `platform_of`): the accounts are then
Zalo accounts, with the local server's user ids. The sender's "zalo" channel is another token on the same
local server (`bot_data["channels"]["zalo"]`), so what reaches a person "on Zalo" is read from that token's
chats. Covers joining by invite code on Zalo, where the bot writes to a person on two channels (the one used
last, or both), and a receipt counted once whichever channel it came from."""

from __future__ import annotations

from datetime import timedelta

import pytest
import telegram
from telegram.request import HTTPXRequest

from bot.commands.invite import create_invite
from bot.core import i18n
from bot.delivery import guidance_delivery as delivery
from bot.sandbox.chat_user import ChatUser, user_id_for
from bot.sandbox.localapi import LocalApiClient
from bot.delivery.http import tls_context
from storage import accounts, codec, invites, org, outbox
from storage import guidance as store
from tests.fixtures.e2e import audit_actions

pytestmark = pytest.mark.e2e

vi = i18n.get("vi").gettext
en = i18n.get("en").gettext
WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"
ZALO_STAND_IN = "987654321:ZALO-STAND-IN-token_aBcDeF"
TEXT = "Nội dung sinh hoạt tháng 12: học tập Nghị quyết."


@pytest.fixture
async def zalo(e2e):
    """The sender's "zalo" channel (another token on the local server) and its user side."""
    bot = telegram.Bot(ZALO_STAND_IN, base_url=e2e.server.base_url, base_file_url=e2e.server.base_file_url,
                       request=HTTPXRequest(connection_pool_size=8, httpx_kwargs={"verify": tls_context()}))
    client = LocalApiClient(e2e.server.user_url, ZALO_STAND_IN)
    async with bot:
        e2e.app.bot_data["channels"] = {accounts.ZALO: bot}
        try:
            yield client
        finally:
            e2e.app.bot_data["channels"] = {}
            await client.close()


def on_zalo(e2e) -> None:
    e2e.app.bot_data["platform"] = accounts.ZALO


def on_telegram(e2e) -> None:
    e2e.app.bot_data["platform"] = accounts.TELEGRAM


async def stranger(e2e, user_id: int, language: str = "vi") -> ChatUser:
    await e2e.api.create_user(user_id, "Khách", language_code=language, started=True)
    return ChatUser(e2e.api, user_id)


async def also_on_zalo(e2e, zalo_client, person: org.Person, *, at: str | None = None) -> accounts.Account:
    """The person's Zalo account, linked (as if they had joined there by code), last used at `at`."""
    user_id = user_id_for(person.id)
    await zalo_client.create_user(user_id, person.full_name, started=True)
    return await accounts.link(e2e.db, external_id=user_id, chat_id=user_id, person_id=person.id,
                               at=at or codec.instant(e2e.clock.now()), platform=accounts.ZALO)


# --- Joining on Zalo by invite code ------------------------------------------------------------------


async def test_on_zalo_a_newcomer_is_asked_for_the_code_and_joins_with_it(e2e):
    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    on_zalo(e2e)
    u = await stranger(e2e, 601, language="en")

    await u.send("xin chào")   # anything, before /start
    assert (await u.reply()).text == en(
        "You have not joined yet. Please send the invite code your ward's party committee office gave you.")
    await u.send("/start")
    hello = await u.reply()
    assert hello.text == en("Hello! I am the assistant for your party cell's monthly meeting.\n"
                            "To begin, please send the invite code your ward's party committee office gave you.")
    assert not hello.request_contact and not hello.reply_keyboard   # Zalo shares no phone
    await u.send("hello")
    assert (await u.reply()).text == en("Please send the invite code your ward's party committee office gave you: "
                                        "10 letters and digits, such as ABCD234XYZ.")
    await u.send("ABCD234XYZ")
    wrong = await u.reply()
    assert wrong.text == en("This invite code is not valid. Please check the link, or ask your ward's party "
                            "committee office for a new one.")   # and no "share your phone" on Zalo

    _person, invite, _places = await create_invite(e2e.db, member.phone, e2e.clock)
    await u.send(f"{invite.code[:5].lower()} {invite.code[5:].lower()}")   # as read aloud and typed
    welcome = await u.reply()
    assert en("Welcome, comrade {name}!").format(name=member.full_name) in welcome.text
    account = await accounts.get_by_external(e2e.db, 601, platform=accounts.ZALO)
    assert account.person_id == member.id
    assert await accounts.get_by_external(e2e.db, 601, platform=accounts.TELEGRAM) is None
    assert (await invites.get_by_code(e2e.db, invite.code)).used_by_account == account.id
    linked = (await audit_actions(e2e, "account.linked"))[-1]
    assert (linked.platform, linked.detail["via"], linked.subject_person_id) == ("zalo", "invite", member.id)
    refused = await audit_actions(e2e, "join.refused")
    assert [(e.platform, e.detail["reason"]) for e in refused] == [("zalo", "invite_unknown")]

    await u.send("/menu")   # joined: the menu, in their language
    assert en("Help") in [label for row in (await u.reply()).reply_keyboard for label in row]


async def test_a_used_or_expired_code_is_refused_politely_on_zalo(e2e):
    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    _person, invite, _places = await create_invite(e2e.db, member.phone, e2e.clock)
    on_zalo(e2e)
    first, second = await stranger(e2e, 611), await stranger(e2e, 612)
    await first.send(f"/start {invite.code}")   # the link's form works on Zalo too
    assert member.full_name in (await first.reply()).text
    await second.send("/start")
    await second.reply()
    await second.send(invite.code)
    assert (await second.reply()).text == vi("This invite code has already been used. Each code works once: "
                                             "please ask your ward's party committee office for a new one.")
    assert (await accounts.get_by_external(e2e.db, 612, platform=accounts.ZALO)).person_id is None
    assert [e.detail["reason"] for e in await audit_actions(e2e, "join.refused")] == ["invite_used"]


async def test_joining_on_zalo_keeps_the_telegram_account(e2e):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    telegram_user = await e2e.chat_as(secretary)          # joined on Telegram already
    _person, invite, _places = await create_invite(e2e.db, secretary.phone, e2e.clock)
    on_zalo(e2e)
    await telegram_user.send(invite.code)                  # (the same local user id, now "on Zalo")
    assert secretary.full_name in (await telegram_user.reply()).text
    both = {a.platform: a for a in await accounts.of_person(e2e.db, secretary.id)}
    assert set(both) == {"telegram", "zalo"}
    linked = (await audit_actions(e2e, "account.linked"))[-1]
    assert "previous_account" not in linked.detail        # nothing moved: one account per channel
    on_telegram(e2e)
    await telegram_user.send("/menu")                      # still joined on Telegram
    assert vi("Roll call") in [label for row in (await telegram_user.reply()).reply_keyboard for label in row]


# --- Where the bot writes, and counting once ------------------------------------------------------------


async def _send_guidance(e2e, staff_person: org.Person, month: str = "2026-12") -> int:
    ward = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name == WARD)
    cells = await org.cells_under(e2e.db, ward.id)
    queued = await delivery.confirm(e2e.ctx, author_person_id=staff_person.id, scope_unit_id=ward.id, month=month,
                                    text=TEXT, parse_mode="HTML", audience="leaders",
                                    cell_ids=[c.id for c in cells], attachments=[])
    await e2e.sender_idle()
    return queued.guidance_id


async def test_the_bot_writes_to_the_channel_used_last(e2e, zalo):
    staff = await e2e.person("ward_staff", ward=WARD)
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    telegram_user = await e2e.chat_as(secretary)
    e2e.clock.advance(timedelta(hours=1))
    await also_on_zalo(e2e, zalo, secretary)              # joined on Zalo after Telegram: Zalo is the last used

    first = await _send_guidance(e2e, staff)
    rows = [r for r in await outbox.by_ref(e2e.db, store.ref(first)) if r.person_id == secretary.id]
    assert [(r.platform, r.status) for r in rows] == [("zalo", "sent")]
    assert [TEXT in m.text for m in await zalo.messages(user_id_for(secretary.id))] == [True]
    assert not [m for m in await telegram_user.bot_messages() if TEXT in m.text]

    e2e.clock.advance(timedelta(hours=1))
    await telegram_user.send("/menu")                      # back on Telegram
    await telegram_user.reply()
    second = await _send_guidance(e2e, staff, month="2027-01")
    rows = [r for r in await outbox.by_ref(e2e.db, store.ref(second)) if r.person_id == secretary.id]
    assert [(r.platform, r.status) for r in rows] == [("telegram", "sent")]
    assert len([m for m in await telegram_user.bot_messages() if TEXT in m.text]) == 1
    assert len(await zalo.messages(user_id_for(secretary.id))) == 1


async def test_both_channels_get_a_copy_and_the_receipt_counts_once(e2e, zalo):
    e2e.config.delivery.both_channels = True
    staff = await e2e.person("ward_staff", ward=WARD)
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    telegram_user = await e2e.chat_as(secretary)
    await also_on_zalo(e2e, zalo, secretary)
    guidance_id = await _send_guidance(e2e, staff)
    rows = [r for r in await outbox.by_ref(e2e.db, store.ref(guidance_id)) if r.person_id == secretary.id]
    assert sorted((r.platform, r.status) for r in rows) == [("telegram", "sent"), ("zalo", "sent")]
    assert len([m for m in await zalo.messages(user_id_for(secretary.id)) if TEXT in m.text]) == 1

    copy = next(m for m in await telegram_user.bot_messages() if TEXT in m.text)
    await telegram_user.press(f"gd:ack:{guidance_id}", copy)            # received, on Telegram
    await telegram_user.wait_for(lambda m: m.message_id == copy.message_id and m.edited)
    on_zalo(e2e)                                                         # and again "on Zalo"
    await telegram_user.press(f"gd:ack:{guidance_id}", copy)
    await e2e.settled()
    answers = [a.get("text") for a in await telegram_user.callback_answers()]
    assert answers[-1] == vi("Your receipt was already recorded. Thank you.")
    assert list(await store.receipts(e2e.db, guidance_id)) == [secretary.id]
    report = await delivery.report(e2e.ctx, guidance_id)
    # Two copies went out to the one joined recipient: counted as one person sent to, one who received.
    assert (report.progress.total.sent, report.progress.total.received) == (1, 1)


async def test_wrong_codes_are_limited_per_account_and_day(e2e):
    member = next(p for p in await e2e.people("member", ward=WARD, cell=CELL) if p.phone)
    _person, invite, _places = await create_invite(e2e.db, member.phone, e2e.clock)
    on_zalo(e2e)
    u = await stranger(e2e, 621, language="en")
    await u.send("/start")
    await u.reply()
    for n in range(5):
        await u.send(f"WRNGCODE{n}")
        assert (await u.reply()).text.startswith(en("This invite code is not valid.").split(".")[0])
    await u.send(invite.code)            # even the right one, after five wrong ones: tomorrow
    assert (await u.reply()).text == en("Too many wrong invite codes were sent from this account today. Please "
                                        "try again tomorrow, or ask your ward's party committee office for help.")
    assert (await invites.get_by_code(e2e.db, invite.code)).used_at is None
    assert (await audit_actions(e2e, "join.refused"))[-1].detail["reason"] == "too_many_codes"
    other = await stranger(e2e, 622)     # another account is not held back
    await other.send(invite.code)
    assert member.full_name in (await other.reply()).text
    e2e.clock.advance(timedelta(days=1, minutes=1))
    await u.send("WRNGCODE9")            # a day later the account may try again
    assert (await u.reply()).text.startswith(en("This invite code is not valid.").split(".")[0])
