"""`shcb roster …` end to end, as an operator runs it: a real process, a real file, a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from bot.core import i18n
from bot.cli import main
from bot.roster.generate import generate_roster

BAD_FILE = (
    "Đảng bộ,Chi bộ,Họ và tên,Chức vụ,Số điện thoại,Miễn sinh hoạt\n"
    "Nam Ngạn,Bà Triệu,Lê Văn An,Bí thư,0912 000 001,\n"
    "Nam Ngạn,Bà Triệu,Lê Văn Bình,Thư ký,0912 000 002,\n"       # 3: unknown role
    ",Bà Triệu,Lê Văn Cường,Đảng viên,,\n"                      # 4: no ward
    "Nam Ngạn,Bà Triệu,Lê Văn Dũng,Đảng viên,0123 456,\n"        # 5: bad phone
    "Nam Ngạn,Bà Triệu,Lê Văn Em,bi thu,0912 000 005,\n"         # 6: a second secretary (with row 2)
    "Nam Ngạn,Bà Triệu,Lê Văn Giang,Đảng viên,+84 912 000 001,\n"  # 7: row 2's phone (and row 2)
    "Nam Ngạn,,Lê Văn Hải,Đảng viên,,chắc\n"                     # 8: no cell, exempt neither yes nor no
)
GOOD_FILE = (
    "ward;cell;name;role;phone;exempt\n"
    "Nam Ngạn;Bà Triệu;Lê Văn An;secretary;0912 000 001;\n"
    "Nam Ngạn;Bà Triệu;Lê Thị Bình;member;;x\n"
    "Nam Ngạn;;Lê Văn Cường;ward staff;0912 000 003;\n"
)


def shcb(*args, cwd, lang="en", check=None):
    env = {**os.environ, "SHCB_LANG": lang}
    env.pop("SHCB_TELEGRAM_TOKEN", None)
    result = subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                            cwd=cwd, timeout=120)
    if check is not None:
        assert result.returncode == check, (result.stdout, result.stderr)
    return result


def table_row(output: str, first: str) -> list[str]:
    """The cells of the stats line starting with `first` (a ward name or the total)."""
    for line in output.splitlines():
        if line.startswith(first + "  "):
            return line[len(first):].split()
    raise AssertionError(f"no line for {first!r} in:\n{output}")


@pytest.mark.parametrize("lang, suffix, seed", [("en", ".xlsx", 7), ("vi", ".csv", 3)])
def test_generate_import_stats(tmp_path, lang, suffix, seed):
    t = i18n.get(lang)
    roster = f"roster{suffix}"
    shcb("roster", "generate", "--out", roster, "--seed", str(seed), cwd=tmp_path, lang=lang, check=0)
    imported = shcb("roster", "import", roster, cwd=tmp_path, lang=lang, check=0)
    assert (tmp_path / "shcb.sqlite3").exists()
    rows = generate_roster(seed)
    roles = Counter(row.role for row in rows)
    assert t.format_number(len(rows)) in imported.stdout
    stats = shcb("roster", "stats", cwd=tmp_path, lang=lang, check=0).stdout

    n = t.format_number
    assert table_row(stats, t.gettext("Total")) == [
        n(311), n(311), n(301), n(roles["member"]), n(sum(row.exempt for row in rows)), n(roles["ward_staff"])]
    nam_ngan = [row for row in rows if row.ward == "Nam Ngạn"]
    assert table_row(stats, "Nam Ngạn")[:3] == [n(11), n(11), n(sum(row.role == "deputy" for row in nam_ngan))]
    assert t.gettext("City staff: {count}").format(count=3) in stats
    assert len([line for line in stats.splitlines() if line and line[0].isalpha()]) == 1 + 34 + 1 + 1
    if lang == "vi":
        assert "Tổng" in stats and "Chi bộ" in stats     # the table speaks Vietnamese
        assert n(roles["member"]).count(".") == 1         # 14.804: Vietnamese digit grouping


@pytest.mark.parametrize("lang, row_word", [("en", "Row"), ("vi", "Dòng")])
def test_a_malformed_file_names_every_bad_row_and_writes_nothing(tmp_path, lang, row_word):
    (tmp_path / "bad.csv").write_text(BAD_FILE, encoding="utf-8-sig")
    result = shcb("roster", "import", "bad.csv", cwd=tmp_path, lang=lang, check=1)
    assert not list(tmp_path.glob("shcb.sqlite3*"))          # not even an empty database
    lines = result.stderr.splitlines()
    bad_rows = {2, 3, 4, 5, 6, 7, 8}
    for row in bad_rows:
        assert any(line.strip().startswith(f"{row_word} {row},") for line in lines), (row, result.stderr)
    assert "bad.csv" in lines[0] and "9" in lines[0]        # nine problems on seven rows
    assert len(lines) == 1 + 9
    assert result.stdout == ""
    if lang == "vi":
        assert "Thư ký" in result.stderr and "“Chức vụ”" in result.stderr


def test_a_refused_file_leaves_an_existing_database_byte_for_byte(tmp_path):
    (tmp_path / "good.csv").write_text(GOOD_FILE, encoding="utf-8")
    (tmp_path / "bad.csv").write_text(BAD_FILE, encoding="utf-8")
    shcb("roster", "import", "good.csv", cwd=tmp_path, check=0)
    before = {path.name: path.read_bytes() for path in tmp_path.glob("shcb.sqlite3*")}
    assert list(before) == ["shcb.sqlite3"]
    shcb("roster", "import", "bad.csv", cwd=tmp_path, check=1)
    assert {path.name: path.read_bytes() for path in tmp_path.glob("shcb.sqlite3*")} == before


@pytest.mark.parametrize("suffix, headers", [(".xlsx", "vi"), (".csv", "en")])
def test_export_then_import_changes_nothing(tmp_path, suffix, headers):
    (tmp_path / "good.csv").write_text(GOOD_FILE, encoding="utf-8")
    shcb("roster", "import", "good.csv", cwd=tmp_path, check=0)
    exported = shcb("roster", "export", f"out{suffix}", "--headers", headers, cwd=tmp_path, check=0)
    assert "3" in exported.stdout
    before = (tmp_path / "shcb.sqlite3").read_bytes()
    again = shcb("roster", "import", f"out{suffix}", cwd=tmp_path, check=0)
    assert "Nothing has changed" in again.stdout
    assert (tmp_path / "shcb.sqlite3").read_bytes() == before


def in_process(args, monkeypatch, capsys, lang="en"):
    """`shcb …` run in this process (for quick usage checks): (exit status, stdout, stderr)."""
    monkeypatch.setenv("SHCB_LANG", lang)
    try:
        status = main(list(args))
    except SystemExit as leaving:
        status = leaving.code
    finally:
        i18n.set_cli_language(None)
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.mark.parametrize("action", [[], ["import"], ["export"], ["stats"], ["generate"]])
def test_every_command_explains_itself_in_both_languages(monkeypatch, capsys, action):
    status, english, _ = in_process(["roster", *action, "--help"], monkeypatch, capsys, "en")
    assert status == 0 and english.count("\n") > 3 and "roster" in english
    status, vietnamese, _ = in_process(["roster", *action, "--help"], monkeypatch, capsys, "vi")
    assert status == 0 and vietnamese != english
    assert any(ch in vietnamese for ch in "ăâđêôơưạảấầẩẫậắằẳẵặ")


@pytest.mark.parametrize("args", [["roster", "generate", "--out", "roster.xls"], ["roster", "export", "r.txt"],
                                  ["roster", "import"], ["roster"]])
def test_usage_errors_exit_2(tmp_path, monkeypatch, capsys, args):
    monkeypatch.chdir(tmp_path)
    status, _out, err = in_process(args, monkeypatch, capsys)
    assert status == 2 and err
    assert not list(tmp_path.iterdir())


def test_without_a_database_stats_and_export_exit_1_and_create_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for args in (["roster", "stats"], ["roster", "export", "out.csv"]):
        status, _out, err = in_process(args, monkeypatch, capsys)
        assert status == 1 and "shcb.sqlite3" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_writing_into_a_missing_folder_or_onto_a_folder_is_one_line(tmp_path, lang):
    t = i18n.get(lang)
    (tmp_path / "folder.xlsx").mkdir()
    for args, target, reason in [
        (("roster", "generate", "--out", "no/such/r.xlsx"), "no/such/r.xlsx", "there is no such file or folder"),
        (("roster", "generate", "--out", "folder.xlsx"), "folder.xlsx", "it is a folder, not a file"),
    ]:
        done = shcb(*args, cwd=tmp_path, lang=lang, check=2)
        expected = t.gettext("{file}: cannot be written: {problem}").format(file=target, problem=t.gettext(reason))
        assert done.stderr.strip() == expected
    shcb("roster", "generate", "--out", "r.csv", "--seed", "3", cwd=tmp_path, check=0)
    shcb("roster", "import", "r.csv", cwd=tmp_path, check=0)
    done = shcb("roster", "export", "no/such/out.csv", cwd=tmp_path, lang=lang, check=2)
    assert done.stderr.strip() == t.gettext("{file}: cannot be written: {problem}").format(
        file="no/such/out.csv", problem=t.gettext("there is no such file or folder"))
    assert not (tmp_path / "no").exists()


def test_a_file_named_xlsx_that_is_not_a_workbook(tmp_path):
    (tmp_path / "roster.xlsx").write_text("Đảng bộ,Chi bộ\n", encoding="utf-8")  # a CSV renamed
    done = shcb("roster", "import", "roster.xlsx", cwd=tmp_path, lang="vi", check=1)
    assert "zip" not in done.stderr.lower()
    assert "đây không phải tệp Excel .xlsx" in done.stderr
