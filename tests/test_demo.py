"""`shcb demo` as a user runs it: no config, no token, no network; a transcript and a summary, exit 0,
in about a minute: the film is as long as Telegram's pace per person makes it (3 messages in any 3 s to
one chat), and it plays six parts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from bot.core import i18n
from bot.sandbox.demo.film import available_parts, part_title, render_message
from bot.sandbox.localapi import BotMessage


# About 60 s on this 2-core machine when idle: most of it the per-chat pace of the conversations shown, not
# CPU. The bound leaves room for the other tests running beside it (the suite runs on three workers).
DEMO_SECONDS = 100


def _start_demo(cwd, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHCB_")}
    env["SHCB_TELEGRAM_TOKEN"] = ""  # even an empty one: the demo needs none
    return subprocess.Popen([sys.executable, "-m", "bot", "demo", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, float]]:
    """Both languages played at once, as two users would (the film mostly waits on Telegram's pacing, so
    running them side by side costs little and halves the suite's time): language → (result, seconds)."""
    started = time.monotonic()
    running = {"vi": _start_demo(tmp_path_factory.mktemp("demo-vi")),
               "en": _start_demo(tmp_path_factory.mktemp("demo-en"), "--lang", "en")}
    results = {}
    for language, process in running.items():
        try:
            out, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        results[language] = (subprocess.CompletedProcess(process.args, process.returncode, out, err),
                             time.monotonic() - started)
    return results


def test_the_demo_plays_in_vietnamese_by_default(demos):
    done, seconds = demos["vi"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert seconds < DEMO_SECONDS
    out = done.stdout
    assert "━━ Danh sách ━━" in out and "━━ Tổng kết ━━" in out
    assert "34 đảng bộ phường, xã, 311 chi bộ" in out
    assert "311 bí thư chi bộ và 301 phó bí thư" in out
    # The demo runs with Telegram's limits on and must keep under them like the real bot.
    assert "Số yêu cầu bị từ chối do gửi quá nhanh (429): 0\n" in out
    # The Zalo part: joined by code, the roll call typed, saved; Zalo's quota never exceeded.
    assert "(Zalo): Đồng chí chưa tham gia. Đồng chí vui lòng gửi mã mời" in out
    assert re.search(r"\(Zalo\): Đã lưu: đầu buổi: có mặt \d+/\d+", out)
    assert "người tham gia qua Zalo: 1\n" in out
    assert re.search(r"Trên Zalo: đã gửi \d+ tin nhắn, 0 lần bị từ chối vì gửi quá nhanh\.", out)
    included, left_out = available_parts()
    assert included  # the parts built so far play, each people talking to the bot
    assert " → bot: " in out and "bot → " in out
    vi = i18n.get("vi").gettext
    for name in included + left_out:  # every part is named: played, or left out as not built yet
        assert part_title(name, vi) in out, name
    assert ("Chưa có (chức năng chưa xây dựng):" in out) == bool(left_out)
    assert "Traceback" not in done.stderr


def test_the_demo_speaks_english_on_request(demos):
    done, seconds = demos["en"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert seconds < DEMO_SECONDS
    assert "━━ The roster ━━" in done.stdout and "━━ Summary ━━" in done.stdout
    out = done.stdout
    assert "34 ward and commune party committees, 311 party cells." in out
    assert "Messages the bot sent:" in out
    assert re.search(r"\(Zalo\): Saved: start of the meeting: \d+ of \d+ present", out)
    assert "people joined on Zalo: 1\n" in out
    # The people speak the language chosen, so the bot answers them in it, not only the narration.
    assert "bot → Đỗ Trọng Phúc: Hello! I am the assistant for your party cell's monthly meeting." in out
    assert "Welcome, comrade Đỗ Trọng Phúc!" in out and "Dear comrade " in out
    assert "Kính chào" not in out and "Đồng chí" not in out and "đồng chí" not in out
    # Each message is stamped when it was sent: the copies of the guidance went out on 27/11 (or on 2/12,
    # read from the reminder's button), even those printed after the clock had moved on.
    stamps = {line.split("]")[0] + "]" for line in out.splitlines()
              if "Guidance for the cell meeting of 12/2026" in line and "bot → " in line}
    assert stamps and stamps <= {"[11/27/26 9:00\u202fAM]", "[12/2/26 7:00\u202fAM]"}, stamps
    # A part not built yet is called that wherever it is mentioned.
    included, left_out = available_parts()
    if "roll_call" in left_out:
        assert "Left out (not built yet): the two roll calls" in out
        assert "record their roll call (taking it in chat is not built yet; here it is recorded directly)" in out
    assert "later part" not in out


def test_messages_are_shown_with_their_buttons_and_keyboards():
    message = BotMessage(message_id=3, from_bot=True, text="Đồng chí chọn:\nmột trong hai", kind="text",
                         buttons=[[("Có", "y:1"), ("Không", "n:1")], [("Hủy", "c:1")]],
                         reply_keyboard=[["Menu"], ["Trợ giúp"]])
    shown = render_message(message)
    assert shown.splitlines() == [
        "Đồng chí chọn:",
        "      một trong hai",
        "      [ Có ] [ Không ]",
        "      [ Hủy ]",
        "      ⌨ [ Menu ] [ Trợ giúp ]",
    ]
