"""Starting a guided conversation while another is unfinished (handlers/common.py `begin_flow`): the person
is asked, by buttons or by typing 1 or 2, and the unfinished draft is never discarded silently."""

from __future__ import annotations

import pytest

from storage import accounts, drafts

pytestmark = pytest.mark.e2e

QUESTION = "Đồng chí đang soạn hướng dẫn tháng dở dang."


async def _draft(h, u):
    return await drafts.load(h.db, (await accounts.get_by_external(h.db, u.user_id)).id)


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
