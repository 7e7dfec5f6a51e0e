"""`shcb report ward|city|quarter`, as separate processes on a copy of the roster database: the files
written, and every bad argument answered in one line with its exit status."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import date

import pytest
from openpyxl import load_workbook

from storage import org, roll_calls
from storage.db import Database
from storage.roll_calls import MemberMark


def shcb(tmp_path, *args, lang="en"):
    env = {k: v for k, v in os.environ.items() if k != "SHCB_TELEGRAM_TOKEN"}
    env.update(SHCB_LANG=lang)
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(tmp_path / "config.toml"), *args],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def copy(tmp_path, roster_template_db):
    path = tmp_path / "shcb.sqlite3"
    shutil.copyfile(roster_template_db, path)
    (tmp_path / "config.toml").write_text(f'[storage]\npath = "{path}"\n', encoding="utf-8")

    async def record():
        db = await Database.open(path)
        try:
            ward = next(w for w in await org.units_of_kind(db, "ward") if w.name == "Nam Ngạn")
            cell = (await org.cells_under(db, ward.id))[0]
            members = (await org.current_members(db, [cell.id], ["secretary", "deputy", "member"]))[:10]
            marks = [MemberMark(p.id, n, p.full_name, m.role, False, "present" if n < 10 else "absent_excused", None)
                     for n, (p, m) in enumerate(members, start=1)]
            await roll_calls.record(db, cell_id=cell.id, month="2026-11", phase="start",
                                    taken_at="2026-11-03T12:00:00+00:00", taken_by=None, members=marks,
                                    eligible=10, present=9, held_on=date(2026, 11, 3))
            return cell.name
        finally:
            await db.close()

    return asyncio.run(record())


def test_ward_report_and_chart(tmp_path, copy):
    status, out, err = shcb(tmp_path, "report", "ward", "--ward", "NAM NGAN", "--month", "2026-11",
                            "--out", "w.xlsx", "--chart", "w.png")
    assert status == 0, err
    assert "Nam Ngạn" in out and "1 of 11" in out
    sheet = load_workbook(tmp_path / "w.xlsx").worksheets[0]
    assert [c.value for c in sheet[2]][:2] == ["No.", "Cell"]
    rows = {sheet.cell(r, 2).value: r for r in range(3, 14)}
    assert sheet.cell(rows[copy], 7).value == pytest.approx(0.9)
    assert (tmp_path / "w.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_city_and_quarter(tmp_path, copy):
    status, out, err = shcb(tmp_path, "report", "city", "--month", "2026-11", "--out", "c.xlsx", lang="vi")
    assert status == 0, err
    assert "Toàn thành phố" in out and "1/311" in out
    assert load_workbook(tmp_path / "c.xlsx").worksheets[0].cell(2, 2).value == "Đảng bộ"
    status, out, err = shcb(tmp_path, "report", "quarter", "--quarter", "2026-q4", "--ward", "nam ngạn",
                            "--out", "q.xlsx")
    assert status == 0, err
    assert "0 of 11 cells fully scored" in out
    assert load_workbook(tmp_path / "q.xlsx").worksheets[0].max_row == 2 + 11


@pytest.mark.parametrize("args, status, fragment", [
    (["ward", "--ward", "Atlantis", "--month", "2026-11", "--out", "w.xlsx"], 2, "No ward is named 'Atlantis'."),
    (["ward", "--ward", "Nam Ngạn", "--month", "2026-13", "--out", "w.xlsx"], 2, "--month: not a month"),
    (["city", "--month", "2099-01", "--out", "c.xlsx"], 2, "--month: 2099-01 has not begun yet."),
    (["quarter", "--quarter", "2026-Q5", "--out", "q.xlsx"], 2, "--quarter: not a quarter"),
    (["city", "--month", "2026-11", "--out", "nowhere/c.xlsx"], 2, "the folder"),
])
def test_bad_arguments_get_one_line(tmp_path, copy, args, status, fragment):
    code, out, err = shcb(tmp_path, "report", *args)
    assert code == status
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert not any(p.suffix in (".xlsx", ".png") for p in tmp_path.rglob("*"))


def test_bad_arguments_in_vietnamese(tmp_path, copy):
    code, _out, err = shcb(tmp_path, "report", "ward", "--ward", "Atlantis", "--month", "2026-11", "--out", "w.xlsx",
                           lang="vi")
    assert code == 2 and err.strip() == "Không có đảng bộ nào tên 'Atlantis'."
