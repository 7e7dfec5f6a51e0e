"""`shcb` as a new user meets it when something is wrong: a database that is not one, a closed pipe,
argparse's own words — each one line in the command line's language, the right exit status, no traceback,
no hang. Real processes (each with a timeout: a hang fails the test)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.core import i18n


def shcb(*args, cwd, lang="en", token=None, timeout=30):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHCB_")}
    env["SHCB_LANG"] = lang
    if token:
        env["SHCB_TELEGRAM_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout)


@pytest.fixture
def not_a_database(tmp_path):
    (tmp_path / "roster.sqlite3").write_text("Danh sách đảng viên — not a database\n", encoding="utf-8")
    (tmp_path / "config.toml").write_text('[storage]\npath = "roster.sqlite3"\n', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("args", [
    ("roster", "stats"), ("roster", "export", "out.csv"), ("schedule", "show"), ("audit",),
    ("invite", "--phone", "0912345678"), ("tick", "--now", "2026-12-02T07:00"), ("run",),
])
def test_a_storage_path_that_is_not_sqlite_is_one_line_and_exit_2(not_a_database, args):
    done = shcb(*args, cwd=not_a_database, token="123456:LOCAL")  # `run` gets as far as the database
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "roster.sqlite3 is not an SQLite database: check [storage] path"
    assert done.stdout == ""


def test_the_same_in_vietnamese_and_for_the_shell(not_a_database):
    done = shcb("shell", "--db", "roster.sqlite3", "--as", "0399970239", cwd=not_a_database, lang="vi")
    assert done.returncode == 2
    assert done.stderr.strip() == "roster.sqlite3 không phải cơ sở dữ liệu SQLite: hãy kiểm tra [storage] path"


def test_a_database_path_in_a_missing_folder(tmp_path):
    (tmp_path / "config.toml").write_text('[storage]\npath = "no/such/folder/shcb.sqlite3"\n', encoding="utf-8")
    (tmp_path / "r.csv").write_text("ward,cell,name,role,phone\nNam Ngạn,Bà Triệu,Lê Văn An,secretary,0912 000 001\n",
                                    encoding="utf-8")
    done = shcb("roster", "import", "r.csv", cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("the database no/such/folder/shcb.sqlite3 cannot be opened")


@pytest.fixture(scope="module")
def with_roster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roster")
    assert shcb("roster", "generate", "--out", "r.csv", "--seed", "3", cwd=folder).returncode == 0
    assert shcb("roster", "import", "r.csv", cwd=folder).returncode == 0
    return folder


@pytest.mark.parametrize("command", ["shcb roster stats", "shcb schedule show --month 2026-12",
                                     "shcb audit", "shcb --help"])
def test_a_pipe_closed_early_ends_quietly(with_roster, command):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHCB_")}
    env["SHCB_LANG"] = "vi"
    program = command.replace("shcb", f"{sys.executable} -m bot", 1)
    done = subprocess.run(f"{program} | head -1", shell=True, capture_output=True, text=True, env=env,
                          cwd=with_roster, timeout=60)
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == "", done.stderr


def test_argparse_speaks_vietnamese(tmp_path):
    done = shcb("roster", "import", cwd=tmp_path, lang="vi")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "cách dùng: shcb roster import [-h] [--config PATH] TỆP",
        "shcb roster import: lỗi: thiếu tham số bắt buộc: TỆP",
    ]
    helped = shcb("roster", "--help", cwd=tmp_path, lang="vi")
    assert helped.stdout.startswith("cách dùng: shcb roster")
    for english in ("usage:", "options:", "positional arguments", "show this help message"):
        assert english not in helped.stdout
    assert "-h, --help     hiện hướng dẫn này rồi thoát" in helped.stdout
    wrong = shcb("schedule", "set", "--ward", "x", "--rule", "meeting", "--day", "năm", cwd=tmp_path, lang="vi")
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines()[-1] == "shcb schedule set: lỗi: tham số --day: 'năm' không phải số nguyên"
    choice = shcb("demo", "--lang", "fr", cwd=tmp_path, lang="vi")
    assert "lựa chọn không hợp lệ: 'fr' (chọn một trong: 'vi', 'en')" in choice.stderr


def test_argparse_in_english_is_untouched(tmp_path):
    done = shcb("roster", "import", cwd=tmp_path, lang="en")
    assert done.stderr.splitlines()[-1] == "shcb roster import: error: the following arguments are required: FILE"


def test_every_argparse_message_is_in_the_catalogs():
    """argparse's texts are ours to translate: each listed msgid has a Vietnamese translation."""
    from bot.core.argparse_i18n import MESSAGES

    vi = i18n.get("vi")
    for message in MESSAGES:
        assert vi.gettext(message) != message, message


def test_a_database_without_a_roster_is_said_so(tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "shcb.sqlite3").close()  # an empty database, as `shcb run` leaves it
    (tmp_path / "hd.md").write_text("# Hướng dẫn\n", encoding="utf-8")
    done = shcb("broadcast", "--all", "--file", "hd.md", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == ("There is no roster in shcb.sqlite3 yet: import a roster first "
                                   "(shcb roster import FILE).")
