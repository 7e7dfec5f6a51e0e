"""`shcb shell`: choosing a person, chatting, numbered buttons, /contact, /as, --db kept between runs;
as a process fed by a pipe, and in-process on the end-to-end stage for the buttons."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.core import i18n
from bot.rules.phone import national_phone
from bot.sandbox.shell import Shell


def _shell(tmp_path, lines: list[str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHCB_")}
    env["SHCB_LANG"] = "en"
    return subprocess.run([sys.executable, "-m", "bot", "shell", *args], cwd=tmp_path, env=env,
                          input="".join(line + "\n" for line in lines), capture_output=True, text=True,
                          timeout=90)


def _answers_after(out: str, typed: str) -> list[str]:
    """The bot lines printed after the echoed input line `> typed`, up to the next input."""
    lines = out.splitlines()
    start = lines.index(f"> {typed}")
    found = []
    for line in lines[start + 1:]:
        if line.startswith(("> ", "? ")):
            break
        if line.startswith("bot"):
            found.append(line)
    return found


def test_pick_a_person_by_search_and_number_then_chat(tmp_path):
    done = _shell(tmp_path, ["Nam Ngạn 2", "1", "xin chào", "/contact", "/quit"])
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Loading the generated roster (seed 7)" in out
    assert "   1. " in out and "… and " in out  # the first list is long, the search narrows it
    assert "You are now " in out and ", Nam Ngạn 2." in out
    # Choosing a person presses Start, as Telegram does; every input gets an answer printed.
    for typed in ("/start", "xin chào", "/contact"):
        assert _answers_after(out, typed), f"no answer to {typed!r}:\n{out}"
    assert "Traceback" not in done.stderr


def test_as_phone_and_switching_person(tmp_path):
    phone = "84399970239"  # Dương Đức Toàn, secretary of Trường Mầm non Đông Cương (generated, seed 7)
    done = _shell(tmp_path, ["/as", "Nam Ngạn 1", "1", "/quit"], "--as", national_phone(phone))
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "You are now Dương Đức Toàn — secretary, Trường Mầm non Đông Cương." in out
    assert out.count("You are now ") == 2 and ", Nam Ngạn 1." in out
    assert out.count("> /start") == 2


def test_an_unknown_phone_is_refused(tmp_path):
    done = _shell(tmp_path, [], "--as", "0912 000 000")
    assert done.returncode == 2
    assert "Nobody in the roster has the phone number 0912 000 000." in done.stdout


def test_the_database_is_kept_between_runs(tmp_path):
    db = tmp_path / "shell.sqlite3"
    first = _shell(tmp_path, ["/contact", "/quit"], "--as", "0399970239", "--db", str(db))
    assert first.returncode == 0 and "Loading the generated roster" in first.stdout
    second = _shell(tmp_path, ["/quit"], "--as", "0399970239", "--db", str(db))
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Loading the generated roster" not in second.stdout
    # Joined in the first run: the same Telegram user id finds the same linked account.
    assert _answers_after(second.stdout, "/start") != _answers_after(first.stdout, "/start")


@pytest.mark.e2e
async def test_buttons_are_lettered_a_letter_presses_one_and_a_number_is_text(e2e, monkeypatch):
    async def pick(update, context):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đỏ", callback_data="colour:red"),
                                          InlineKeyboardButton("Xanh", callback_data="colour:blue")]])
        await update.message.reply_text("Chọn màu", reply_markup=keyboard)

    async def chosen(update, context):
        await update.callback_query.answer("Chọn xong")
        await update.callback_query.edit_message_text(f"Đã chọn {update.callback_query.data}")

    async def typed(update, context):
        await update.message.reply_text(f"Typed {update.message.text}")

    e2e.app.add_handler(CommandHandler("pick", pick))
    e2e.app.add_handler(MessageHandler(filters.Regex(r"^\d+$"), typed), group=-5)
    e2e.app.add_handler(CallbackQueryHandler(chosen, pattern="^colour:"))
    secretary = await e2e.person("secretary")
    await e2e.chat_as(secretary)  # joined already, so that the feature handlers leave /pick alone
    monkeypatch.setattr(i18n, "_cli_language", "en")
    script = iter(["/pick", "2", "c", "B", "/quit"])

    async def read_line():
        return next(script, None)

    out = io.StringIO()
    shell = Shell(e2e, out, read_line, echo_input=True)
    assert await shell.run(as_phone=secretary.phone) == 0
    text = out.getvalue()
    assert "bot: Chọn màu" in text and "[a] Đỏ   [b] Xanh" in text
    assert "bot: Typed 2" in text            # a number is text, as on Zalo: the bot's typed forms take it
    assert "bot: Typed c" not in text and "> c" in text   # no button c: sent as text (not a number: no echo)
    assert "bot (edited): Đã chọn colour:blue" in text
    assert "bot (notice): Chọn xong" in text     # the answer to the press, as Telegram shows it


def test_button_keys_run_from_a_to_z_then_aa():
    from bot.sandbox.shell import button_index, button_key, is_button_key

    keys = [button_key(i) for i in range(100)]
    assert keys[:3] == ["a", "b", "c"] and keys[25:28] == ["z", "aa", "ab"] and len(set(keys)) == 100
    assert all(is_button_key(k) and button_index(k) == i for i, k in enumerate(keys))
    assert not is_button_key("5") and not is_button_key("xin chào") and not is_button_key("abc")


def test_pasted_junk_and_very_long_lines_get_answers_not_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHCB_")}
    env["SHCB_LANG"] = "en"
    typed = b"/contact\nxin ch\xe0o \xff\xfe b\xe1\xba\n" + "Hướng dẫn ".encode() * 1500 + b"\n/quit\n"
    done = subprocess.run([sys.executable, "-m", "bot", "shell", "--as", "0399970239"], cwd=tmp_path, env=env,
                          input=typed, capture_output=True, timeout=90)
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, err[-3000:]
    assert "Traceback" not in err and "Error" not in err, err[-3000:]
    assert _answers_after(out, "xin ch\ufffdo \ufffd\ufffd b\ufffd"), out[-3000:]  # the readable part is sent
    assert _answers_after(out, "Hướng dẫn " * 1500), "no answer to the long line"


@pytest.mark.e2e
async def test_the_picker_offers_every_roster_person(e2e, monkeypatch):
    import dataclasses

    from bot.core.config import OrganisationConfig
    from bot.roster.generate import generate_roster
    from bot.roster.importer import import_rows
    from bot.rules.phone import display_phone

    monkeypatch.setattr(i18n, "_cli_language", "en")
    member = next(p for p in await e2e.people("member", ward="Nam Ngạn") if p.phone)
    city = await e2e.person("city_staff")
    former = await e2e.person("secretary", ward="Nam Ngạn")
    # The ward's new list no longer has this secretary: their role ends, they stay in the database.
    rows = [r for r in generate_roster(7) if r.phone != former.phone]
    await import_rows(e2e.db, rows, e2e.clock, OrganisationConfig().name)
    script = iter([national_phone(former.phone), "1", "/as", national_phone(member.phone), "1",
                   "/as", city.full_name, "1", "/quit"])

    async def read_line():
        return next(script, None)

    out = io.StringIO()
    assert await Shell(e2e, out, read_line, echo_input=True).run() == 0
    text = out.getvalue()
    assert f"  1. {former.full_name} — secretary, " in text and "(role ended) — " + display_phone(former.phone) in text
    assert f"You are now {former.full_name}." in text
    assert f"You are now {member.full_name} — party member, " in text
    assert f"You are now {city.full_name} — city committee staff, " in text
    assert "Nobody matches." not in text
