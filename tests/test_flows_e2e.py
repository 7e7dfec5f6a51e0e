"""Starting a guided conversation while another is unfinished (handlers/common.py `begin_flow`): the person
is asked, by buttons or by typing 1 or 2, and the unfinished draft is never discarded silently."""

from __future__ import annotations

import pytest

from storage import accounts, drafts

pytestmark = pytest.mark.e2e

QUESTION = "Đồng chí đang soạn hướng dẫn tháng dở dang."


async def _draft(h, u):
    return await drafts.load(h.db, (await accounts.get_by_external(h.db, u.user_id, platform=accounts.TELEGRAM)).id)


async def _writing_guidance(h):
    staff = await h.chat_as(await h.person("ward_staff", ward="Nam Ngạn"))
    await staff.send("/guihuongdan")
    await staff.reply()
    await staff.send("Nội dung hướng dẫn")
    await staff.wait_for(lambda m: any(d == "gc:cont" for row in m.buttons for _l, d in row))
    return staff


async def test_continue_by_typing_1_keeps_the_unfinished_guidance(e2e):
    staff = await _writing_guidance(e2e)
    await staff.send("/thaybithu")
    question = await staff.reply()
    assert question.text.startswith(QUESTION) and "thay bí thư chi bộ" in question.text
    assert [label for row in question.buttons for label, _d in row] == [
        "1 — Làm tiếp", "2 — Bỏ việc đang dở, bắt đầu việc mới"]
    assert (await _draft(e2e, staff)).flow == "guidance.compose"
    await staff.send("1")
    resumed = await staff.reply()
    assert any(d == "gc:cont" for row in resumed.buttons for _l, d in row)   # back at its step
    draft = await _draft(e2e, staff)
    assert (draft.flow, draft.step, draft.data["text"]) == ("guidance.compose", "attach", "Nội dung hướng dẫn")
    # The question is answered: its buttons are out of date now.
    await staff.press("2 — Bỏ việc đang dở, bắt đầu việc mới", question)
    await staff.settled()
    assert (await staff.callback_answers())[-1]["text"].startswith("Nút này đã cũ")
    assert (await _draft(e2e, staff)).flow == "guidance.compose"


async def test_discard_by_the_button_starts_the_other_flow(e2e):
    staff = await _writing_guidance(e2e)
    await staff.send("/thaybithu")
    await staff.reply()
    await staff.press("2 — Bỏ việc đang dở, bắt đầu việc mới")
    await staff.reply()
    assert (await _draft(e2e, staff)).flow == "roles.replace_secretary"


async def test_typing_2_discards_and_starting_the_same_flow_again_asks_too(e2e):
    staff = await _writing_guidance(e2e)
    await staff.send("/guihuongdan")
    assert (await staff.reply()).text.startswith(QUESTION)
    await staff.send("2")
    await staff.reply()
    draft = await _draft(e2e, staff)
    assert (draft.flow, draft.step, draft.data["text"]) == ("guidance.compose", "text", None)


async def test_a_question_left_unanswered_goes_out_of_date_once_the_draft_moves_on(e2e):
    staff = await _writing_guidance(e2e)
    await staff.send("/thaybithu")
    await staff.reply()
    await staff.press("gc:cont")         # the person carries on with the guidance instead
    await staff.reply()
    await staff.send("1")                # now "1" is no answer to the old question
    await staff.settled()
    assert (await _draft(e2e, staff)).step == "options"


# --- the meeting's own flows plug into the same question -----------------------------------------------


async def test_a_roll_call_started_over_an_unfinished_meeting_record_asks_first(e2e):
    from datetime import datetime

    from bot.core.clock import VN_TZ
    from tests.test_meeting_record_e2e import take_roll_calls
    from tests.test_roll_call_e2e import cell_of_size

    h = e2e
    cell = await cell_of_size(h.db, 20)
    s = await h.chat_as(await h.person("secretary", cell=cell.id))
    await take_roll_calls(h, s)
    h.clock.set(datetime(2026, 12, 3, 21, 30, tzinfo=VN_TZ))
    await s.send("/bienban")
    assert "Buổi sinh hoạt loại nào" in (await s.reply()).text
    assert (await _draft(h, s)).flow == "meeting.record"
    # Both roll calls are saved: /diemdanh would offer corrections — but first it asks about the record.
    await s.send("/diemdanh")
    question = await s.reply()
    assert question.text.startswith("Đồng chí đang ghi biên bản buổi sinh hoạt dở dang.")
    assert "điểm danh" in question.text
    await s.send("1")
    assert "Buổi sinh hoạt loại nào" in (await s.reply()).text      # back at the record's first step
    assert (await _draft(h, s)).flow == "meeting.record"
    await s.send("/diemdanh")
    await s.reply()
    await s.send("2")
    corrections = await s.reply()
    assert "Cả hai lần điểm danh" in corrections.text
    assert await _draft(h, s) is None      # the record's draft was discarded, as chosen; nothing else started


async def test_scoring_the_quarter_is_kept_when_a_report_is_asked_for(e2e):
    h = e2e
    staff = await h.chat_as(await h.person("ward_staff", ward="Nam Ngạn"))
    await staff.send("/chamdiem")
    await staff.reply()
    assert (await _draft(h, staff)).flow == "evaluation.score"
    await staff.send("/baocao")
    question = await staff.reply()
    assert question.text.startswith("Đồng chí đang chấm điểm chất lượng sinh hoạt quý dở dang.")
    await staff.send("1")
    await staff.reply()
    assert (await _draft(h, staff)).flow == "evaluation.score"
    await staff.send("/baocao")
    await staff.reply()
    await staff.send("2")
    assert "cần báo cáo nào" in (await staff.reply()).text
    assert (await _draft(h, staff)).flow == "reports.menu"


async def test_a_recommendation_being_written_is_kept_when_the_roll_call_is_started(e2e):
    from tests.test_roll_call_e2e import cell_of_size

    h = e2e
    cell = await cell_of_size(h.db, 20)
    s = await h.chat_as(await h.person("secretary", cell=cell.id))
    await s.send("/guikiennghi")
    await s.reply()
    assert (await _draft(h, s)).flow == "recommendation.submit"
    await s.send("/diemdanh")
    question = await s.reply()
    assert question.text.startswith("Đồng chí đang viết kiến nghị dở dang.") and "điểm danh" in question.text
    await s.send("1")
    await s.reply()
    assert (await _draft(h, s)).flow == "recommendation.submit"
    await s.send("/diemdanh")
    await s.reply()
    await s.send("2")
    await s.wait_for(lambda m: any(d.startswith("rc:") for row in m.buttons for _l, d in row))
    assert (await _draft(h, s)).flow == "roll_call"
