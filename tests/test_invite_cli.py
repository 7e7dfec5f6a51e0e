"""`shcb invite --phone PHONE`, run as the command line runs it, on a copy of the roster database."""

from __future__ import annotations

import asyncio
import re
import shutil
from datetime import timedelta

import pytest

from bot.cli import main
from bot.sandbox.localapi import LocalBotApi
from storage import audit, codec, invites, org
from storage.db import Database

TOKEN = "424242:INVITE-CLI"


def _config(tmp_path, db_path, **telegram) -> str:
    lines = ["[telegram]"] + [f'{key} = "{value}"' for key, value in telegram.items()]
    lines += ["[storage]", f'path = "{db_path}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def roster_copy(tmp_path, roster_template_db):
    path = tmp_path / "roster.sqlite3"
    shutil.copyfile(roster_template_db, path)
    return path


async def _someone(path, role="member", active=True):
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT p.id FROM people p JOIN memberships m ON m.person_id = p.id"
                                 " WHERE m.role = ? AND p.phone IS NOT NULL ORDER BY p.id LIMIT 1", (role,))
        return await org.get_person(db, rows[0]["id"])
    finally:
        await db.close()


async def _invites_and_audit(path, person_id):
    db = await Database.open(path)
    try:
        return await invites.for_person(db, person_id), await audit.entries(db)
    finally:
        await db.close()


async def _run(argv, monkeypatch, env=None):
    """The CLI in a thread (it runs its own event loop), in Vietnamese unless told."""
    monkeypatch.setenv("SHCB_LANG", "vi")
    monkeypatch.delenv("SHCB_TELEGRAM_TOKEN", raising=False)
    return await asyncio.to_thread(main, argv)


async def test_invite_prints_code_and_link_with_the_configured_username(tmp_path, roster_copy, capsys, monkeypatch):
    person = await _someone(roster_copy)
    config = _config(tmp_path, roster_copy, bot_username="@shcb_phuong_bot")
    national = "0" + person.phone[2:]
    spaced = f"{national[:4]} {national[4:7]} {national[7:]}"
    assert await _run(["invite", "--phone", spaced, "--config", config], monkeypatch) == 0
    out = capsys.readouterr().out
    code = re.search(r"Mã: ([A-Z0-9]+)", out).group(1)
    assert f"https://t.me/shcb_phuong_bot?start={code}" in out and person.full_name in out
    assert "(giờ Việt Nam)" in out
    [invite], entries = await _invites_and_audit(roster_copy, person.id)
    assert invite.code == code and invite.created_by is None and invite.used_at is None
    assert codec.parse_instant(invite.expires_at) - codec.parse_instant(invite.created_at) == timedelta(days=7)
    [created] = [e for e in entries if e.action == "invite.created"]
    assert created.subject_person_id == person.id and created.detail["via"] == "cli"
    assert person.phone[2:] not in str(created.detail), "the phone is masked in the log"


async def test_the_username_comes_from_get_me_when_only_a_token_is_set(tmp_path, roster_copy, capsys, monkeypatch):
    server = LocalBotApi(bot_username="shcb_tu_server_bot")
    await server.start()
    try:
        person = await _someone(roster_copy, role="secretary")
        config = _config(tmp_path, roster_copy, token=TOKEN, base_url=server.base_url)
        assert await _run(["invite", "--phone", person.phone, "--config", config], monkeypatch) == 0
    finally:
        await server.stop()
    out = capsys.readouterr().out
    assert re.search(r"https://t\.me/shcb_tu_server_bot\?start=[A-Z0-9]{10}", out)
    assert TOKEN not in out


async def test_without_username_or_token_the_code_is_still_printed(tmp_path, roster_copy, capsys, monkeypatch):
    person = await _someone(roster_copy)
    config = _config(tmp_path, roster_copy)
    assert await _run(["invite", "--phone", person.phone, "--config", config], monkeypatch) == 0
    out = capsys.readouterr().out
    code = re.search(r"Mã: ([A-Z0-9]+)", out).group(1)
    assert f"/start {code}" in out and "t.me/" not in out.replace("https://t.me/<bot>", "")


async def test_refusals(tmp_path, roster_copy, capsys, monkeypatch):
    config = _config(tmp_path, roster_copy)
    assert await _run(["invite", "--phone", "0912 000 111", "--config", config], monkeypatch) == 1
    assert "Không có ai trong danh sách có số 0912 000 111." in capsys.readouterr().err
    assert await _run(["invite", "--phone", "12345", "--config", config], monkeypatch) == 2
    assert "không phải số điện thoại Việt Nam" in capsys.readouterr().err
    missing = _config(tmp_path, tmp_path / "nothing-here.sqlite3")
    assert await _run(["invite", "--phone", "0912 000 111", "--config", missing], monkeypatch) == 1
    assert not (tmp_path / "nothing-here.sqlite3").exists(), "no database is created by asking"


async def test_an_inactive_person_gets_no_invite(tmp_path, roster_copy, capsys, monkeypatch):
    from bot.core.config import OrganisationConfig
    from bot.roster.generate import generate_roster
    from bot.roster.importer import import_rows
    from bot.core.clock import ManualClock, VN_TZ
    from datetime import datetime

    person = await _someone(roster_copy)
    db = await Database.open(roster_copy)
    try:
        rows = [row for row in generate_roster(7) if row.phone != person.phone]
        await import_rows(db, rows, ManualClock(datetime(2026, 11, 1, tzinfo=VN_TZ)), OrganisationConfig().name)
    finally:
        await db.close()
    config = _config(tmp_path, roster_copy)
    assert await _run(["invite", "--phone", person.phone, "--config", config], monkeypatch) == 1
    assert "không còn sinh hoạt" in capsys.readouterr().err
    assert (await _invites_and_audit(roster_copy, person.id))[0] == []
