"""`shcb schedule show|set|unset`, as separate processes on a copy of the roster database."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import date

import pytest

from storage import meetings, org, reminders
from storage.db import Database


def shcb(tmp_path, *args, lang="en", tz="UTC"):
    env = {k: v for k, v in os.environ.items() if k != "SHCB_TELEGRAM_TOKEN"}
    env.update(TZ=tz, SHCB_LANG=lang)
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(tmp_path / "config.toml"), *args],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def copy(tmp_path, roster_template_db):
    path = tmp_path / "shcb.sqlite3"
    shutil.copyfile(roster_template_db, path)
    (tmp_path / "config.toml").write_text(f'[storage]\npath = "{path}"\n', encoding="utf-8")
    return path


def first_ward(path):
    async def read():
        db = await Database.open(path)
        try:
            ward = (await org.units_of_kind(db, "ward"))[0]
            return ward, await org.cells_under(db, ward.id)
        finally:
            await db.close()
    return asyncio.run(read())


def lines_of(out: str, fragment: str) -> list[str]:
    return [line for line in out.splitlines() if fragment in line]


def test_show_lists_a_wards_month_with_recipients(tmp_path, copy):
    ward, cells = first_ward(copy)
    code, out, err = shcb(tmp_path, "schedule", "show", "--month", "2026-12", "--ward", ward.name.upper())
    assert code == 0, err
    assert out.startswith(f"Reminders of December 2026 — {ward.name}\n")
    assert len(lines_of(out, "The cell committee meets")) == len(cells)
    assert len(lines_of(out, "Quarterly inspection due")) == 1          # December is an inspection month
    assert len(lines_of(out, "Thematic meeting due this quarter")) == len(cells)   # December ends a quarter
    assert f"{4 * len(cells) + 3} reminders." in out
    first = lines_of(out, f"The cell committee meets · {cells[0].name} →")[0]
    assert first.startswith("  Wed, Dec 2, 2026, 7:00\u202fAM")
    assert "*" in first  # nobody has joined yet
    code, out, _err = shcb(tmp_path, "schedule", "show", "--month", "2027-01", "--ward", ward.name)
    assert not lines_of(out, "Quarterly inspection due")


def test_show_in_vietnamese_with_a_moved_meeting_and_what_was_decided(tmp_path, copy):
    ward, cells = first_ward(copy)

    async def change():
        db = await Database.open(copy)
        try:
            async with db.transaction() as conn:
                await meetings.move(conn, cell_id=cells[0].id, month="2026-12", from_day=date(2026, 12, 3),
                                    to_day=date(2026, 12, 5), by=None, at="2026-12-01T00:00:00+00:00")
                await reminders.record(conn, rule="guidance", subject=ward.id, period="2026-12", status="skipped",
                                       reason="not_needed", due_at="2026-12-01T01:00:00+00:00",
                                       decided_at="2026-12-01T01:00:00+00:00")
        finally:
            await db.close()
    asyncio.run(change())
    code, out, err = shcb(tmp_path, "schedule", "show", "--month", "2026-12", "--ward", "  " + ward.name.lower(),
                          lang="vi")
    assert code == 0, err
    assert out.startswith(f"Nhắc việc tháng 12 năm 2026 — {ward.name}\n")
    moved = lines_of(out, f"Chi bộ sinh hoạt · {cells[0].name} (buổi sinh hoạt dời sang")[0]
    assert moved.startswith("  07:00 Thứ 7, 5 thg 12, 2026")
    assert "[bỏ qua: không còn cần nhắc]" in lines_of(out, "Chưa gửi hướng dẫn")[0]


def test_set_and_unset_exceptions(tmp_path, copy):
    ward, cells = first_ward(copy)
    code, out, err = shcb(tmp_path, "schedule", "set", "--ward", ward.name, "--rule", "meeting", "--day", "31",
                          "--time", "19:30")
    assert code == 0, err
    code, out, err = shcb(tmp_path, "schedule", "set", "--ward", ward.name, "--cell", cells[1].name,
                          "--rule", "committee", "--time", "06:15")
    assert code == 0, err
    code, out, _err = shcb(tmp_path, "schedule", "show", "--month", "2026-11", "--ward", ward.name)
    assert lines_of(out, f"The cell meets · {cells[0].name}")[0].startswith("  Mon, Nov 30, 2026, 7:30\u202fPM")
    assert lines_of(out, f"The cell committee meets · {cells[0].name}")[0].startswith("  Sun, Nov 29, 2026, 7:00")
    assert lines_of(out, f"The cell committee meets · {cells[1].name}")[0].startswith("  Sun, Nov 29, 2026, 6:15")
    assert lines_of(out, f"Follow-up: no roll call yet · {cells[0].name}")[0].startswith("  Tue, Dec 1, 2026, 9:00")
    code, out, err = shcb(tmp_path, "schedule", "unset", "--ward", ward.name)
    assert code == 0 and "1 setting removed" in out, err
    code, out, _err = shcb(tmp_path, "schedule", "show", "--month", "2026-11", "--ward", ward.name)
    assert lines_of(out, f"The cell meets · {cells[0].name}")[0].startswith("  Tue, Nov 3, 2026, 7:00")
    assert lines_of(out, f"The cell committee meets · {cells[1].name}")[0].startswith("  Mon, Nov 2, 2026, 6:15")


@pytest.mark.parametrize("args, code, message", [
    (["show", "--month", "2026-13"], 2, "--month: not a month YYYY-MM"),
    (["show", "--ward", "Nowhere at all"], 1, "No ward is named 'Nowhere at all'."),
    (["set", "--ward", "X", "--rule", "meeting"], 2, "Give --day, --time or both."),
    (["set", "--ward", "X", "--rule", "meeting", "--day", "32"], 2, "--day: a day of the month, 1 to 31."),
    (["set", "--ward", "X", "--rule", "meeting", "--time", "7h"], 2, "--time: a time HH:MM"),
    (["set", "--ward", "X", "--cell", "Y", "--rule", "report", "--day", "7"], 2, "set it for the ward"),
    (["set", "--ward", "X", "--rule", "lunch", "--day", "7"], 2, "invalid choice"),
    (["set", "--ward", "Nam Ngạn", "--cell", "Nowhere", "--rule", "meeting", "--day", "5"], 1,
     "No cell is named 'Nowhere'."),
    (["unset", "--ward", "Nam Ngạn", "--cell", "Nowhere"], 1, "No cell is named 'Nowhere'."),
])
def test_bad_input_is_refused_and_changes_nothing(tmp_path, copy, args, code, message):
    got, _out, err = shcb(tmp_path, "schedule", *args)
    assert got == code and message in err

    async def count():
        async with Database.connect(copy) as db:
            return len(await reminders.overrides(db))
    assert asyncio.run(count()) == 0
