"""`shcb audit [--since DATE] [--ward NAME]`: what happened in chat, printed from the same database,
phones masked."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

import pytest

from bot.sandbox.chat_user import ChatUser
from bot.cli import main
from storage import accounts, audit, codec

WARD, CELL = "Nam Ngạn", "Nguyễn Mộng Tuân 2"


def _config(tmp_path, db_path) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\npath = "{db_path}"\n', encoding="utf-8")
    return str(path)


async def _audit(monkeypatch, *argv) -> int:
    monkeypatch.setenv("SHCB_LANG", "vi")
    return await asyncio.to_thread(main, ["audit", *argv])


@pytest.mark.e2e
async def test_the_audit_log_shows_what_happened_in_chat(e2e, tmp_path, capsys, monkeypatch):
    secretary = await e2e.person("secretary", ward=WARD, cell=CELL)
    u = await e2e.chat_as(secretary, link=False)
    await u.send("/start")
    await u.reply()
    await u.contact()
    await u.reply()
    intruder = ChatUser(e2e.api, 701)
    await e2e.api.create_user(701, "Lạ", language_code="vi", started=True)
    await intruder.contact(phone=secretary.phone)  # a second account with the secretary's number
    await intruder.reply()
    elsewhere = await e2e.person("secretary", ward="Ba Đình")
    other = await e2e.chat_as(elsewhere, link=False)
    await other.contact()
    await other.reply()
    config = _config(tmp_path, e2e.db.path)

    assert await _audit(monkeypatch, "--config", config) == 0
    everything = capsys.readouterr().out.splitlines()
    assert len(everything) == 4 and "(roster.imported)" in everything[0], "the roster import comes first"
    assert await _audit(monkeypatch, "--ward", "nam ngan", "--config", config) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines
    linked, refused = lines
    assert "gắn tài khoản (account.linked)" in linked and f"[telegram:{u.user_id}]" in linked
    assert f"{WARD} › {CELL}" in linked and secretary.full_name in linked
    assert "từ chối tham gia (join.refused)" in refused and "[telegram:701]" in refused
    assert "reason=person_taken" in refused
    masked = "0" + secretary.phone[2:5] + "*"
    assert masked in refused
    for line in everything:
        assert not re.search(r"\d{9,}", line.replace(str(u.user_id), "").replace(str(other.user_id), "")), \
            f"an unmasked phone: {line}"
    assert re.match(r"2026-11-27 09:00 \| ", linked), "Vietnam time"

    assert await _audit(monkeypatch, "--since", "2026-11-28", "--config", config) == 0
    assert capsys.readouterr().out.strip() == "Không có mục nào trong nhật ký."
    assert await _audit(monkeypatch, "--since", "2026-11-27", "--ward", "BA ĐÌNH", "--config", config) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


async def test_audit_refusals(tmp_path, roster_db, capsys, monkeypatch):
    config = _config(tmp_path, roster_db.path)
    assert await _audit(monkeypatch, "--ward", "Atlantis", "--config", config) == 1
    assert "Không có phường nào tên 'Atlantis'." in capsys.readouterr().err
    with pytest.raises(SystemExit) as stopped:
        await _audit(monkeypatch, "--since", "yesterday", "--config", config)
    assert stopped.value.code == 2
    assert "yesterday" in capsys.readouterr().err
    assert await _audit(monkeypatch, "--config", _config(tmp_path, tmp_path / "none.sqlite3")) == 1


async def test_entries_without_a_person_say_so(tmp_path, roster_db, capsys, monkeypatch):
    await audit.record(roster_db, at=codec.instant(datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)),
                       action="something.new", detail={"n": 1, "list": ["a", "b"]})
    config = _config(tmp_path, roster_db.path)
    assert await _audit(monkeypatch, "--since", "2026-11-01", "--config", config) == 0
    out = capsys.readouterr().out
    assert "2026-11-02 08:00 | something.new | (dòng lệnh hoặc hệ thống) | list=a,b n=1" in out
    assert await accounts.linked(roster_db, platform=accounts.TELEGRAM) == []
