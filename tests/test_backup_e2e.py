"""`shcb backup` end to end: the real command, as an admin runs it, against the database of a real bot
that is running and writing (people joining); the copy restored as the README says gives a working bot
with all the data; `--verify` and the refusals of careful admin use."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.core import i18n
from handlers import menu_registry
from storage.db import migrations
from tests.fixtures.e2e import _close_stage, _open_stage

pytestmark = pytest.mark.e2e

vi = i18n.get("vi").gettext
en = i18n.get("en").gettext


async def shcb(*args: str, cwd: Path, lang: str = "en") -> tuple[int, str, str]:
    """The real command line in its own process, while the bot goes on in this one."""
    env = {**os.environ, "SHCB_LANG": lang}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def cli(capsys, monkeypatch, *args: str, cwd: Path, lang: str = "en") -> tuple[int, str, str]:
    """The same command line in this process (quicker), in a thread while the bot goes on."""
    monkeypatch.setenv("SHCB_LANG", lang)
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    status = await asyncio.to_thread(main, list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def counts(path: Path | str) -> dict[str, int]:
    """Rows per table, read directly (the live file with its WAL, or a backup)."""
    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
    finally:
        conn.close()


async def join(stage, person) -> None:
    u = await stage.chat_as(person, link=False)
    await u.send("/start")
    await u.reply()
    await u.contact()
    assert person.full_name in (await u.reply()).text


async def test_backup_while_the_bot_writes_then_restore_gives_a_working_bot(e2e, tmp_path, capsys, monkeypatch):
    admin = tmp_path / "admin"
    admin.mkdir()
    (admin / "config.toml").write_text(f'[storage]\npath = "{e2e.db.path}"\n', encoding="utf-8")
    secretaries = await e2e.people("secretary", limit=200)

    # A backup taken (by another process) while people keep joining is consistent, whatever moment it
    # caught: some joined before it, some after.
    backup_done = asyncio.Event()

    async def keep_joining() -> int:
        joined = 0
        for person in secretaries[:-8]:
            if backup_done.is_set():
                break
            await join(e2e, person)
            joined += 1
        return joined

    joining = asyncio.create_task(keep_joining())
    status, out, err = await shcb("backup", "during.sqlite3", cwd=admin)
    backup_done.set()
    joined = await joining
    assert status == 0, err
    caught = counts(admin / "during.sqlite3")["accounts"]
    assert 0 < caught < joined < len(secretaries) - 8, "the backup was taken amid the writes"
    assert (await cli(capsys, monkeypatch, "backup", "--verify", "during.sqlite3", cwd=admin))[0] == 0

    # One taken after more joined, the bot still running: their rows are still in the WAL, not the file.
    for person in secretaries[-8:]:
        await join(e2e, person)
    await e2e.settled()
    assert Path(f"{e2e.db.path}-wal").stat().st_size > 0
    status, out, err = await cli(capsys, monkeypatch, "backup", "after.sqlite3", cwd=admin)
    assert status == 0, err
    live = counts(e2e.db.path)
    backup = admin / "after.sqlite3"
    assert counts(backup) == live and live["accounts"] == joined + 8
    assert out.strip() == (f"Backed up {e2e.db.path} to after.sqlite3: {live['people']:,} people, "
                           f"{joined + 8} accounts, 0 meetings, 0 recommendations.")
    assert not Path(f"{backup}-wal").exists(), "a self-contained file"
    status, out, err = await cli(capsys, monkeypatch, "backup", "--verify", "after.sqlite3", cwd=admin, lang="vi")
    assert status == 0 and out.strip().startswith("after.sqlite3 ") and f"{joined + 8} " in out, (out, err)

    # Restored as the README says (the file copied over [storage] path, no -wal/-shm): a new bot on a new
    # server has every row and answers the people who joined, as joined people.
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    stage = await _open_stage(restored_dir, backup)
    try:
        await stage.start_app("polling")
        assert counts(stage.db.path) == live
        for person in (secretaries[0], secretaries[-1]):
            u = await stage.chat_as(person, link=False)  # the account comes from the backup alone
            await u.send("/menu")
            shown = await u.reply()
            labels = [label for row in (shown.reply_keyboard or []) for label in row]
            assert labels == [vi(item.label) for item in menu_registry.items_for({"secretary"})]
    finally:
        await _close_stage(stage)


async def test_refusals_are_one_line_with_the_right_status(e2e, tmp_path, capsys, monkeypatch):
    admin = tmp_path / "admin"
    admin.mkdir()
    (admin / "config.toml").write_text(f'[storage]\npath = "{e2e.db.path}"\n', encoding="utf-8")
    assert (await cli(capsys, monkeypatch, "backup", "copy.sqlite3", cwd=admin))[0] == 0
    before = (admin / "copy.sqlite3").read_bytes()

    status, out, err = await cli(capsys, monkeypatch, "backup", "copy.sqlite3", cwd=admin, lang="vi")
    assert status == 2 and err.strip() == vi(
        "{file} already exists: choose another name, or add --force to replace it").format(file="copy.sqlite3")
    assert (admin / "copy.sqlite3").read_bytes() == before, "refused: the old backup is untouched"
    assert (await cli(capsys, monkeypatch, "backup", "copy.sqlite3", "--force", cwd=admin))[0] == 0

    status, out, err = await cli(capsys, monkeypatch, "backup", "no/such/folder/x.sqlite3", cwd=admin)
    assert (status, err.strip()) == (2, "no/such/folder/x.sqlite3: cannot be written: there is no such file or folder")
    status, out, err = await cli(capsys, monkeypatch, "backup", e2e.db.path, "--force", cwd=admin)
    assert (status, err.strip()) == (2, f"{e2e.db.path} is the database itself: choose another name")
    status, out, err = await cli(capsys, monkeypatch, "backup", "--verify", "missing.sqlite3", cwd=admin)
    assert (status, err.strip()) == (2, "missing.sqlite3: cannot be read: there is no such file or folder")
    (admin / "notes.txt").write_text("not a database, just notes\n" * 100)
    status, out, err = await cli(capsys, monkeypatch, "backup", "--verify", "notes.txt", cwd=admin, lang="vi")
    assert (status, err.strip()) == (1, vi("{file} is not an SQLite database: not a backup").format(file="notes.txt"))
    assert [name for name in os.listdir(admin) if name.endswith(".part")] == [], "no half file left behind"

    # A database, but not one of ours; one from a newer shcb; a damaged one.
    sqlite3.connect(admin / "other.sqlite3").execute("CREATE TABLE t (x)").connection.close()
    status, out, err = await cli(capsys, monkeypatch, "backup", "--verify", "other.sqlite3", cwd=admin)
    assert (status, err.strip()) == (1, "other.sqlite3 is an SQLite database but not one of shcb's")
    newer = admin / "newer.sqlite3"
    newer.write_bytes(before)
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {migrations()[-1][0] + 1}")
    conn.close()
    status, out, err = await cli(capsys, monkeypatch, "backup", "--verify", "newer.sqlite3", cwd=admin)
    assert status == 1 and err.strip().startswith("newer.sqlite3 was made by a newer shcb"), err
    damaged = admin / "damaged.sqlite3"
    data = bytearray(before)
    data[len(data) // 2: len(data) // 2 + 4096] = b"\xff" * 4096  # a page in the middle overwritten
    damaged.write_bytes(bytes(data))
    status, out, err = await cli(capsys, monkeypatch, "backup", "--verify", "damaged.sqlite3", cwd=admin)
    assert status == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
