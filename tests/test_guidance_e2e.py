"""The month's guidance end to end: the real Application polling the local Bot API server, on a copy of
the roster database, acting as Nam Ngạn's ward staff, its secretaries and deputies."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from bot.core import i18n
from bot.core.clock import VN_TZ
from storage import audit, outbox
from storage import guidance as store
from tests.fixtures.e2e import audit_actions

pytestmark = pytest.mark.e2e

WARD = "Nam Ngạn"
OTHER_WARD_CELL_ROLE = "secretary"
vi = i18n.get("vi")
_ = vi.gettext
TEXT = "Nội dung sinh hoạt tháng 12: học tập Nghị quyết, kiểm điểm nhiệm vụ."


async def leaders(e2e, ward=WARD, limit=None, **options):
    """The ward's secretaries and deputies, joined (the first `limit` of them: the others have not)."""
    people = await e2e.people(role=["secretary", "deputy"], ward=ward, limit=limit)
    return [await e2e.chat_as(person, **options) for person in people]


async def staff_of(e2e, ward=WARD):
    return await e2e.chat_as(await e2e.person("ward_staff", ward=ward))


async def compose(staff, text=TEXT, *, files=()):
    """Menu → text → files → Continue → options; returns the options message."""
    await staff.send("/guihuongdan")
    await staff.reply()
    await staff.send(text)
    await staff.wait_for(lambda m: any(d == "gc:cont" for row in m.buttons for _l, d in row))
    for name, data in files:
        await staff.document(name, data)
        await staff.reply()
    await staff.press("gc:cont")
    return await staff.wait_for(lambda m: any(d == "gc:preview" for row in m.buttons for _l, d in row))


async def preview(staff):
    """Preview: returns (the preview messages, the summary with Send now / Schedule / Edit / Cancel)."""
    await staff.press("gc:preview")
    shown = []
    while True:
        message = await staff.reply(timeout=10)
        if any(d.startswith("gc:send:") for row in message.buttons for _l, d in row):
            return shown, message
        shown.append(message)


async def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        import asyncio
        await asyncio.sleep(0.05)


async def delivered_report(user, timeout=10.0):
    """The author's results message, whenever it came (before or after "Sending…")."""
    async def find():
        return next((m for m in await user.bot_messages() if _("The guidance has been delivered.") in m.text), None)
    return await wait_until(find, timeout)


async def copies(user):
    return [m for m in await user.bot_messages() if "gd:ack:" in "".join(d for row in m.buttons for _l, d in row)
            or m.text.startswith(_("Guidance for the cell meeting of {month}").split("{")[0][:10])]


def ack_data(message) -> str:
    return next(d for row in message.buttons for _l, d in row if d.startswith("gd:"))


async def latest_guidance(e2e) -> store.Guidance:
    row = await e2e.db.fetchone("SELECT max(id) AS id FROM guidance")
    return await store.get(e2e.db, row["id"])


async def test_compose_preview_and_send_now_to_every_secretary_and_deputy(e2e):
    staff = await staff_of(e2e)
    recipients = await leaders(e2e)
    options = await compose(staff)
    assert "12/2026" in options.text   # after the 20th: next month by default
    shown, summary = await preview(staff)
    # The preview is the recipients' copy: heading, the text, the "received" button (inert here).
    assert TEXT in shown[-1].text and "12/2026" in shown[-1].text and WARD in shown[-1].text
    assert [label for row in shown[-1].buttons for label, _d in row] == [_("Received")]
    assert str(len(recipients)) in summary.text
    await staff.press("gc:send")
    sending_text = vi.ngettext("Sending to {n} person now. You will get the results here when it has gone out.",
                               "Sending to {n} people now. You will get the results here when it has gone out.",
                               len(recipients)).format(n=len(recipients))
    sending = await wait_until(lambda: _message_with(staff, sending_text))
    assert any(d.startswith("gd:prog:") for row in sending.buttons for _l, d in row)
    guidance = await latest_guidance(e2e)
    for user in recipients:
        copy = await user.wait_for(lambda m: TEXT in m.text, timeout=10)
        assert ack_data(copy) == f"gd:ack:{guidance.id}"
        assert len([m for m in await user.bot_messages() if TEXT in m.text]) == 1
    # When every copy has gone out, the author gets the results.
    result = await delivered_report(staff)
    assert any(d == f"gd:resend:{guidance.id}:0" for row in result.buttons for _l, d in row)
    assert (await store.get(e2e.db, guidance.id)).status == "sent"
    assert await store.sent_for_month(e2e.db, guidance.scope_unit_id, "2026-12")
    assert not await store.sent_for_month(e2e.db, guidance.scope_unit_id, "2027-01")
    assert e2e.server.stats(e2e.token)["rate_limited"] == 0


async def test_a_schedule_fires_at_its_time_once_across_restarts(e2e):
    staff = await staff_of(e2e)
    recipients = await leaders(e2e, limit=4)
    await compose(staff)
    await preview(staff)
    await staff.press("gc:sched")
    assert "28/11/2026 07:00" in (await staff.reply()).text  # the example is ahead of the clock (27/11)
    await staff.send("hôm qua")                  # not a date: asked again, nothing changes
    assert "28/11/2026 07:00" in (await staff.reply()).text
    await staff.send("20/11/2026 07:00")         # in the past
    await staff.reply()
    assert await e2e.db.fetchval("SELECT count(*) FROM guidance") == 0
    await staff.send("30/11/2026 07:00")
    confirmation = await staff.wait_for(lambda m: any(d.startswith("gd:unsched:") for row in m.buttons
                                                      for _l, d in row))
    assert vi.format_datetime(datetime(2026, 11, 30, 7, 0, tzinfo=VN_TZ), "short") in confirmation.text
    await e2e.restart()
    e2e.clock.set(datetime(2026, 11, 30, 6, 59, tzinfo=VN_TZ))   # not yet
    await e2e.sender_idle()
    assert not [m for m in await recipients[0].bot_messages() if TEXT in m.text]
    e2e.clock.set(datetime(2026, 11, 30, 7, 0, 1, tzinfo=VN_TZ))
    e2e.ctx.wake_sender()
    for user in recipients:
        await user.wait_for(lambda m: TEXT in m.text, timeout=10)
    guidance = await latest_guidance(e2e)
    await wait_until(lambda: _settled(e2e, guidance.id))
    await e2e.restart()
    e2e.clock.advance(timedelta(hours=1))
    await e2e.sender_idle()
    for user in recipients:
        assert len([m for m in await user.bot_messages() if TEXT in m.text]) == 1


async def _message_with(user, text):
    return next((m for m in await user.bot_messages() if text in m.text), None)


async def _settled(e2e, guidance_id):
    return not await outbox.open_count(e2e.db, store.ref(guidance_id))


async def test_cancel_while_composing_and_a_scheduled_send(e2e):
    staff = await staff_of(e2e)
    recipients = await leaders(e2e, limit=3)
    await compose(staff)
    await preview(staff)
    await staff.press("gc:cancel")
    assert _("Cancelled. Nothing was sent.") in (await staff.reply()).text
    assert await e2e.db.fetchval("SELECT count(*) FROM drafts") == 0
    await staff.press("gc:send")                 # the old button: no longer active
    await staff.settled()                        # (the bot has handled the press: the count below means it)
    assert (await staff.callback_answers())[-1]["text"] == _(
        "This button is no longer active. Send /menu to see what you can do.")
    assert await e2e.db.fetchval("SELECT count(*) FROM guidance") == 0
    # Scheduled, then cancelled before its time: nothing goes.
    await compose(staff)
    await preview(staff)
    await staff.press("gc:sched")
    await staff.reply()
    await staff.send("28/11/2026 07:00")
    await staff.wait_for(lambda m: any(d.startswith("gd:unsched:") for row in m.buttons for _l, d in row))
    await staff.press(_("Cancel this send"))
    await staff.reply()
    guidance = await latest_guidance(e2e)
    assert guidance.status == "cancelled"
    e2e.clock.set(datetime(2026, 11, 28, 8, 0, tzinfo=VN_TZ))
    await e2e.sender_idle()
    assert not [m for m in await recipients[0].bot_messages() if TEXT in m.text]
    assert await outbox.counts_by_status(e2e.db, store.ref(guidance.id)) == {"cancelled": len(recipients)}


async def test_attachments_reach_every_recipient_and_read_back(e2e):
    staff = await staff_of(e2e)
    recipients = await leaders(e2e, limit=3)
    pdf = b"%PDF-1.4\n" + "Hướng dẫn tháng 12".encode() * 200
    await compose(staff, files=[("huong-dan-T12.pdf", pdf)])
    shown, _summary = await preview(staff)
    assert [m.kind for m in shown[-2:]] == ["text", "document"]
    await staff.press("gc:send")
    for user in recipients:
        document = await user.wait_for(lambda m: m.kind == "document", timeout=10)
        assert document.filename == "huong-dan-T12.pdf"
        assert await e2e.api.file(document.file_id) == pdf
        assert ack_data(document).startswith("gd:ack:")   # the button is on the last message


async def test_a_long_text_is_split_without_breaking_it(e2e):
    staff = await staff_of(e2e)
    (recipient,) = await leaders(e2e, limit=1)
    paragraphs = [f"Mục {n}. " + "Nội dung chi tiết của hướng dẫn. " * 12 for n in range(1, 11)]
    text = "\n\n".join(paragraphs)[:4090]
    await compose(staff, text=text)
    await preview(staff)
    await staff.press("gc:send")
    parts = [await recipient.wait_for(lambda m: "Mục 1." in m.text, timeout=10)]
    parts.append(await recipient.wait_for(lambda m: True, timeout=10))
    assert all(len(p.text) <= 4096 for p in parts)
    assert parts[1].text.startswith("Mục ")           # cut at a paragraph
    assert ack_data(parts[1]).startswith("gd:ack:") and not parts[0].buttons
    joined = parts[0].text + "\n\n" + parts[1].text
    assert " ".join(text.split()) in " ".join(joined.split())


async def test_a_ward_cannot_send_to_another_wards_cells(e2e):
    staff = await staff_of(e2e)
    await leaders(e2e)
    other_cell = (await e2e.members(role="secretary"))[-1][2]
    assert (await e2e.post_of(await e2e.person("ward_staff", ward=WARD)))[1].id != other_cell.parent_id
    await compose(staff)
    await staff.press("gc:cells:pick")
    picker = await staff.reply()
    own_cells = [d for row in picker.buttons for _l, d in row if d.startswith("gc:cell:")]
    assert own_cells and f"gc:cell:{other_cell.id}" not in own_cells
    # A forged button for a cell of another ward: refused, audited, nothing selected.
    await staff.api.press_button(staff.user_id, picker.message_id, f"gc:cell:{other_cell.id}")
    await wait_until(lambda: _audited(e2e, "access.forged"))
    await staff.press(own_cells[0])
    await staff.wait_for(lambda m: any(label.startswith("✓") for row in m.buttons for label, _d in row))
    await staff.press("gc:done")
    await staff.wait_for(lambda m: any(d == "gc:preview" for row in m.buttons for _l, d in row))
    shown, summary = await preview(staff)
    await staff.press("gc:send")
    await staff.reply()
    guidance = await latest_guidance(e2e)
    assert await store.cell_ids(e2e.db, guidance.id) == [int(own_cells[0].split(":")[-1])]
    # Staff of another ward may not follow it, re-send it or pretend to be its recipient.
    other_staff = await staff_of(e2e, ward=other_cell.parent_id)
    message = await other_staff.send("/menu")
    await other_staff.reply()
    for forged in (f"gd:prog:{guidance.id}", f"gd:resend:{guidance.id}", f"gd:ack:{guidance.id}"):
        before = len(await audit.entries(e2e.db))
        await other_staff.api.press_button(other_staff.user_id, (await other_staff.bot_messages())[-1].message_id,
                                           forged)
        await wait_until(lambda: _audit_grew(e2e, before))
    assert (await store.get(e2e.db, guidance.id)).resend_rounds == 0
    assert await store.receipts(e2e.db, guidance.id) == {}
    assert message


async def _audited(e2e, action):
    return any(entry.action == action for entry in await audit.entries(e2e.db))


async def _audit_grew(e2e, before):
    entries = await audit.entries(e2e.db)
    return len(entries) > before and entries[-1].action == "access.forged"


async def test_receipts_count_once_and_resend_goes_to_those_who_have_not_confirmed(e2e):
    staff = await staff_of(e2e)
    recipients = (await leaders(e2e))
    first, second = recipients[0], recipients[1]
    await compose(staff)
    await preview(staff)
    await staff.press("gc:send")
    guidance_id = None
    for user in recipients:
        copy = await user.wait_for(lambda m: TEXT in m.text, timeout=10)
        guidance_id = int(ack_data(copy).split(":")[-1])
    copy = [m for m in await first.bot_messages() if TEXT in m.text][0]
    await first.press(f"gd:ack:{guidance_id}", copy)
    edited = await first.wait_for(lambda m: m.message_id == copy.message_id)
    assert _("✅ Received at {when}").split("{")[0] in edited.buttons[0][0][0]
    await first.press(f"gd:ack:{guidance_id}", copy)                    # again: still once
    await wait_until(lambda: _answers(first, 2))
    assert list((await store.receipts(e2e.db, guidance_id)).keys()) == [first.person.id]
    await delivered_report(staff)
    await staff.press(f"gd:prog:{guidance_id}")
    report = await staff.reply()
    assert second.person.full_name in report.text and first.person.full_name not in report.text
    await staff.press(f"gd:resend:{guidance_id}")
    await staff.reply()
    await second.wait_for(lambda m: TEXT in m.text and m.message_id != copy.message_id, timeout=10)
    await wait_until(lambda: _settled(e2e, guidance_id))
    assert len([m for m in await first.bot_messages() if TEXT in m.text]) == 1
    for user in recipients[1:]:
        assert len([m for m in await user.bot_messages() if TEXT in m.text]) == 2


async def _answers(user, n):
    return len(await user.callback_answers()) >= n


async def test_a_blocked_recipient_is_reported_unreachable_by_name(e2e):
    staff = await staff_of(e2e)
    recipients = await leaders(e2e, limit=4)
    blocked = recipients[2]
    await blocked.block()
    await compose(staff)
    await preview(staff)
    await staff.press("gc:send")
    result = await delivered_report(staff)
    assert f"{blocked.person.full_name} ({_('unreachable')})" in result.text
    assert _("Unreachable means they have blocked the bot: nothing reaches them, reminders included, "
             "until they open the bot again and press Start. Please call them.") in result.text
    account = await e2e.db.fetchone("SELECT unreachable FROM accounts WHERE person_id = ?", (blocked.person.id,))
    assert account["unreachable"] == 1


async def test_flood_limits_tightened_mid_send_are_honoured_and_nothing_is_lost(e2e):
    staff = await staff_of(e2e)
    recipients = await leaders(e2e, limit=6)
    await compose(staff)
    await preview(staff)
    e2e.server.limits.global_count = 2   # 2 a second: tighter than the bot's pace
    await staff.press("gc:send")
    for user in recipients:
        await user.wait_for(lambda m: TEXT in m.text, timeout=30)
    assert e2e.server.stats(e2e.token)["rate_limited"] > 0
    for user in recipients:
        assert len([m for m in await user.bot_messages() if TEXT in m.text]) == 1
    e2e.server.limits.global_count = 30
    await delivered_report(staff, timeout=15)


async def test_huongdan_shows_the_months_guidance_to_a_secretary(e2e):
    staff = await staff_of(e2e)
    secretary = (await leaders(e2e, limit=1))[0]
    await secretary.send("/huongdan")
    assert _("There is no guidance for this month's cell meeting yet.") in (await secretary.reply()).text
    await compose(staff)
    await preview(staff)
    await staff.press("gc:send")
    await secretary.wait_for(lambda m: TEXT in m.text, timeout=10)
    await secretary.send("/huongdan")
    shown = await secretary.wait_for(lambda m: TEXT in m.text)
    await secretary.press(ack_data(shown), shown)
    await secretary.wait_for(lambda m: m.message_id == shown.message_id)
    await secretary.send("/huongdan")
    again = await secretary.wait_for(lambda m: TEXT in m.text)
    assert again.buttons[0][0][0].startswith("✅")


async def test_options_survive_a_restart_and_edit_changes_the_text(e2e):
    staff = await staff_of(e2e)
    recipients = await leaders(e2e)
    secretaries = [u for u in recipients if (await e2e.post_of(u.person))[0] == "secretary"]
    await compose(staff)
    await staff.press("gc:aud:s")
    await staff.wait_for(lambda m: any(label.startswith("✓") and d == "gc:aud:s" for row in m.buttons
                                       for label, d in row))
    await staff.press("gc:month:2026-11")
    await staff.wait_for(lambda m: "11/2026" in m.text)
    await e2e.restart()                       # the draft is in the database: the buttons still work
    shown, summary = await preview(staff)
    assert str(len(secretaries)) in summary.text and "11/2026" in shown[-1].text
    await staff.press("gc:edit")
    await staff.reply()
    await staff.send("Nội dung đã sửa.")
    await staff.wait_for(lambda m: any(d == "gc:cont" for row in m.buttons for _l, d in row))
    await staff.press("gc:cont")
    await staff.wait_for(lambda m: any(d == "gc:preview" for row in m.buttons for _l, d in row))
    shown, summary = await preview(staff)
    assert "Nội dung đã sửa." in shown[-1].text and TEXT not in shown[-1].text
    await staff.press("gc:send")
    await staff.reply()
    for user in secretaries:
        copy = await user.wait_for(lambda m: "Nội dung đã sửa." in m.text, timeout=10)
        assert "11/2026" in copy.text
    deputies = [u for u in recipients if u not in secretaries]
    assert deputies
    await e2e.sender_idle()   # every copy that was queued has gone out
    assert not [m for m in await deputies[0].bot_messages() if "Nội dung đã sửa." in m.text]


async def test_a_send_that_finished_just_before_a_crash_is_still_reported(e2e):
    from bot.delivery import guidance_delivery as delivery
    from storage import org

    staff = await staff_of(e2e)
    await leaders(e2e, limit=2)
    await e2e.stop_app()
    ward = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name == WARD)
    cells = await org.cells_under(e2e.db, ward.id)
    queued = await delivery.confirm(e2e.ctx, author_person_id=staff.person.id, scope_unit_id=ward.id,
                                    month="2026-12", text=TEXT, parse_mode="HTML", audience="leaders",
                                    cell_ids=[c.id for c in cells], attachments=[])
    async with e2e.db.transaction() as conn:   # every copy went out; the process died before reporting
        await conn.execute("UPDATE outbox SET status = 'sent' WHERE ref = ?", (store.ref(queued.guidance_id),))
    await e2e.start_app()
    report = await delivered_report(staff)
    assert f"gd:resend:{queued.guidance_id}:0" in [d for row in report.buttons for _l, d in row]
    assert (await store.get(e2e.db, queued.guidance_id)).status == "sent"


async def test_city_staff_send_to_chosen_wards(e2e):
    from storage import org

    city_staff = await e2e.chat_as(await e2e.person("city_staff"))
    await compose(city_staff)
    await city_staff.press("gc:wards:pick")
    picker = await city_staff.reply()
    wards = [d for row in picker.buttons for _l, d in row if d.startswith("gc:ward:")]
    assert len(wards) == min(20, len(await org.units_of_kind(e2e.db, "ward")))   # a page at a time
    for data in wards[:2]:
        await city_staff.press(data)
        await city_staff.reply()
    await city_staff.press("gc:done")
    await city_staff.wait_for(lambda m: any(d == "gc:preview" for row in m.buttons for _l, d in row))
    await preview(city_staff)
    await city_staff.press("gc:send")
    await city_staff.reply()
    guidance = await latest_guidance(e2e)
    chosen = [int(d.split(":")[-1]) for d in wards[:2]]
    expected = sorted([c.id for c in await org.cells_under(e2e.db, chosen[0])] +
                      [c.id for c in await org.cells_under(e2e.db, chosen[1])])
    assert await store.cell_ids(e2e.db, guidance.id) == expected
    assert (await org.get_unit(e2e.db, guidance.scope_unit_id)).kind == "city"


SAVED_BUT_INCOMPLETE = _("Sorry, something went wrong on our side after your action was saved, so this answer is "
                         "incomplete. Please do not repeat it: send /menu to see where things stand.")


async def test_a_failure_after_the_commit_is_not_called_nothing_changed_and_a_second_press_sends_nothing(e2e):
    staff = await staff_of(e2e)
    await leaders(e2e, limit=2)
    await compose(staff)
    _shown, summary = await preview(staff)
    await staff.block()   # the confirmation cannot reach the author: the step after the commit fails
    await staff.press("gc:send", summary)
    await staff.settled()
    assert (await staff.callback_answers())[-1]["text"] == SAVED_BUT_INCOMPLETE
    assert await e2e.db.fetchval("SELECT count(*) FROM guidance") == 1
    assert len(await audit_actions(e2e, "guidance.sent")) == 1   # audited with it, in its transaction
    await staff.unblock()
    await staff.press("gc:send", summary)   # pressed again, as "nothing was changed" used to invite
    await staff.settled()
    assert (await staff.callback_answers())[-1]["text"] == _(
        "This button is no longer active. Send /menu to see what you can do.")
    assert await e2e.db.fetchval("SELECT count(*) FROM guidance") == 1


async def test_a_stale_preview_is_out_of_date_and_sends_nothing(e2e):
    staff = await staff_of(e2e)
    await leaders(e2e, limit=2)
    await compose(staff)
    _shown, old = await preview(staff)
    await staff.press("gc:edit", old)
    await staff.reply()
    await staff.press("gc:keep")
    await staff.wait_for(lambda m: any(d == "gc:cont" for row in m.buttons for _l, d in row))
    await staff.press("gc:cont")
    await staff.wait_for(lambda m: any(d == "gc:preview" for row in m.buttons for _l, d in row))
    _shown, new = await preview(staff)
    await staff.press("gc:send", old)      # the first preview's button, with the second one current
    await staff.settled()
    assert (await staff.callback_answers())[-1]["text"] == _(
        "This button is out of date: things have changed since it was shown, so nothing was changed. "
        "Send /menu to start again.")
    assert await e2e.db.fetchval("SELECT count(*) FROM guidance") == 0
    await staff.press("gc:send", new)
    await staff.wait_for(lambda m: any(d.startswith("gd:prog:") for row in m.buttons for _l, d in row))
    assert await e2e.db.fetchval("SELECT count(*) FROM guidance") == 1
