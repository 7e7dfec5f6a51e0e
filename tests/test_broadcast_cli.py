"""`shcb broadcast`, run for real as a subprocess against the local Bot API server (served by the test's
event loop on a port) and a copy of the roster database."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter

import pytest

from bot.core import i18n
from bot.sandbox.localapi import LocalApiClient
from bot.rules.text_split import visible_text
from storage import accounts, codec, org
from storage import guidance as store
from tests.fixtures.localapi import LOCALAPI_TOKEN

WARD = "Nam Ngạn"
TEXT = "# Hướng dẫn tháng 12\n\n**Nội dung**: học tập Nghị quyết & kiểm điểm.\n"


async def join_ward_leaders(db, client, clock, ward=WARD) -> list[int]:
    """The ward's secretaries and deputies as Telegram users who have joined: their chat ids."""
    ward_unit = next(u for u in await org.units_of_kind(db, "ward") if u.name == ward)
    cells = await org.cells_under(db, ward_unit.id)
    members = await org.current_members(db, [c.id for c in cells], ("secretary", "deputy"))
    chats = []
    for person, _membership in members:
        user_id = 10_000_000 + person.id
        await client.create_user(user_id, person.full_name.split()[-1], started=True)
        await accounts.link(db, external_id=user_id, chat_id=user_id, person_id=person.id,
                            at=codec.instant(clock.now()), platform=accounts.TELEGRAM)
        chats.append(user_id)
    return chats


def write_config(tmp_path, db, server, **sender) -> str:
    lines = ["[telegram]", f'token = "{LOCALAPI_TOKEN}"', f'base_url = "{server.base_url}"',
             f'base_file_url = "{server.base_file_url}"', "[storage]", f'path = "{db.path}"',
             "[logging]", 'level = "WARNING"', "[sender]"]
    lines += [f"{key} = {value}" for key, value in sender.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


async def start_broadcast(config: str, *args: str, cwd) -> asyncio.subprocess.Process:
    env = {**os.environ, "SHCB_LANG": "en"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", config, "broadcast", *args, cwd=str(cwd), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def broadcast(config: str, *args: str, cwd) -> tuple[int, str, str]:
    process = await start_broadcast(config, *args, cwd=cwd)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def texts_per_chat(client: LocalApiClient, chats: list[int]) -> dict[int, list]:
    return {chat: [m for m in await client.messages(chat) if m.from_bot] for chat in chats}


@pytest.fixture
async def ward(roster_db, localapi, localapi_client, clock, tmp_path):
    chats = await join_ward_leaders(roster_db, localapi_client, clock)
    guidance = tmp_path / "huong-dan.md"
    guidance.write_text(TEXT, encoding="utf-8")
    return chats, guidance


async def test_broadcast_sends_text_and_file_once_and_a_rerun_sends_nothing_more(
        roster_db, localapi, localapi_client, tmp_path, ward):
    chats, guidance = ward
    pdf = tmp_path / "HD-T12.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"noi dung " * 500)
    config = write_config(tmp_path, roster_db, localapi)
    code, out, err = await broadcast(config, "--ward", "nam ngan", "--file", str(guidance), "--attach", str(pdf),
                                     "--month", "2026-12", cwd=tmp_path)
    assert code == 0, err
    assert f"{len(chats)} recipients" in out and "Received (confirmed): 0" in out
    received = await texts_per_chat(localapi_client, chats)
    for chat, messages in received.items():
        text, document = messages
        heading = i18n.get("vi").gettext("<b>Guidance for the cell meeting of {month}</b>\nFrom: {unit}")
        assert text.text.startswith(visible_text(heading.format(month="12/2026", unit=WARD)))  # their language
        assert "Hướng dẫn tháng 12" in text.text and "Nội dung: học tập Nghị quyết & kiểm điểm." in text.text
        assert text.parse_mode == "HTML"
        assert document.filename == "HD-T12.pdf" and document.buttons[0][0][1].startswith("gd:ack:")
        assert await localapi_client.file(document.file_id) == pdf.read_bytes()
    assert localapi.stats(LOCALAPI_TOKEN)["requests"].get("sendDocument") == len(chats)
    assert len({m[1].file_id for m in received.values()}) == 1      # uploaded once, then its file_id
    # The same command again: the same guidance, nothing sent twice.
    code, out, err = await broadcast(config, "--ward", "nam ngan", "--file", str(guidance), "--attach", str(pdf),
                                     "--month", "2026-12", cwd=tmp_path)
    assert code == 0 and "already recorded" in out, (out, err)
    assert all(len(m) == 2 for m in (await texts_per_chat(localapi_client, chats)).values())


async def test_killed_mid_send_and_run_again_everyone_gets_exactly_one_copy(
        roster_db, localapi, localapi_client, tmp_path, ward):
    chats, guidance = ward
    config = write_config(tmp_path, roster_db, localapi, overall_per_second=6.0)
    process = await start_broadcast(config, "--ward", WARD, "--file", str(guidance), "--secretaries-only",
                                    cwd=tmp_path)
    deadline = time.monotonic() + 30
    while localapi.stats(LOCALAPI_TOKEN).get("sent", 0) < 4:
        assert time.monotonic() < deadline and process.returncode is None
        await asyncio.sleep(0.02)
    process.kill()                                  # SIGKILL: no clean-up of any kind
    await process.wait()
    sent_at_kill = localapi.stats(LOCALAPI_TOKEN)["sent"]
    guidance_id = await roster_db.fetchval("SELECT max(id) FROM guidance")
    recipients = await store.recipients(roster_db, guidance_id)
    assert sent_at_kill < len(recipients), "killed too late to test anything"
    code, out, err = await broadcast(config, "--ward", WARD, "--file", str(guidance), "--secretaries-only",
                                     cwd=tmp_path)
    assert code == 0, err
    assert "already recorded" in out
    secretaries = {10_000_000 + r.person_id for r in recipients}
    counts = Counter({chat: len(messages) for chat, messages in (await texts_per_chat(
        localapi_client, sorted(secretaries))).items()})
    assert all(counts[chat] >= 1 for chat in secretaries)
    assert sum(1 for chat in secretaries if counts[chat] > 1) <= 1 and max(counts.values()) <= 2
    statuses = await roster_db.fetchall("SELECT status FROM outbox WHERE ref = ?", (store.ref(guidance_id),))
    assert {row["status"] for row in statuses} == {"sent"}
    deputies = set(chats) - secretaries
    assert deputies and all(not m for m in (await texts_per_chat(localapi_client, sorted(deputies))).values())


async def test_a_scheduled_broadcast_waits_and_a_long_file_is_split(roster_db, localapi, localapi_client, tmp_path,
                                                                    ward):
    chats, _guidance = ward
    config = write_config(tmp_path, roster_db, localapi)
    long_file = tmp_path / "dai.txt"
    long_file.write_text("\n\n".join(f"Đoạn {n}: " + "nội dung hướng dẫn " * 40 for n in range(1, 15)),
                         encoding="utf-8")
    code, out, err = await broadcast(config, "--ward", WARD, "--file", str(long_file), "--at", "2099-12-01T07:00",
                                     cwd=tmp_path)
    assert code == 0 and "7:00" in out, (out, err)
    assert not any((await texts_per_chat(localapi_client, chats)).values())
    rows = await roster_db.fetchall("SELECT status, not_before FROM outbox")
    assert rows and {(r["status"], r["not_before"]) for r in rows} == {("pending", "2099-12-01T00:00:00+00:00")}
    code, out, err = await broadcast(config, "--ward", WARD, "--file", str(long_file), "--secretaries-only",
                                     "--month", "2026-12", cwd=tmp_path)
    assert code == 0, err
    guidance_id = await roster_db.fetchval("SELECT max(id) FROM guidance")
    first = 10_000_000 + (await store.recipients(roster_db, guidance_id))[0].person_id
    parts = [m for m in await localapi_client.messages(first) if m.from_bot]
    assert len(parts) == 3 and all(len(p.text) <= 4096 for p in parts)
    assert parts[1].text.startswith("Đoạn") and parts[2].buttons


async def test_unknown_ward_and_missing_file_are_usage_errors(roster_db, localapi, tmp_path, ward):
    _chats, guidance = ward
    config = write_config(tmp_path, roster_db, localapi)
    code, _out, err = await broadcast(config, "--ward", "Không Có", "--file", str(guidance), cwd=tmp_path)
    assert code == 2 and "Không Có" in err
    code, _out, err = await broadcast(config, "--all", "--file", str(tmp_path / "none.md"), cwd=tmp_path)
    assert code == 2 and "none.md" in err
    assert await roster_db.fetchval("SELECT count(*) FROM guidance") == 0


async def test_without_a_token_nothing_is_said_to_wait_when_nobody_can_receive(roster_db, tmp_path):
    """No bot, no token, nobody joined: no copy is queued, and the command does not claim copies wait."""
    (tmp_path / "guidance.md").write_text(TEXT, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{roster_db.path}"\n[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHCB_")}
    env["SHCB_LANG"] = "en"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "broadcast", "--ward", WARD, "--file", "guidance.md",
        cwd=str(tmp_path), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0].endswith("0 copies queued.")
    assert lines[1:] == ["No copy is waiting to be sent: none of the recipients has joined the bot yet, or every "
                         "copy has gone out already."]
