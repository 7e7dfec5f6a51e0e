"""`shcb tick --now`: one check as a separate process, sending through the local Bot API server; the same
Vietnam times whatever the process's TZ."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from datetime import datetime

import pytest

from bot.sandbox.chat_user import user_id_for
from bot.core.clock import VN_TZ
from bot.sandbox.localapi import LocalApiClient
from storage import accounts, codec, org, reminders
from storage.db import Database

TOKEN = "123456:TICK-CLI"


async def shcb(tmp_path, *args, tz="UTC", config=None):
    """Run `python -m bot --config CONFIG ARGS` (without blocking the server sharing this event loop)."""
    env = {k: v for k, v in os.environ.items() if k != "SHCB_TELEGRAM_TOKEN"}
    env.update(TZ=tz, SHCB_LANG="en")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config or tmp_path / "config.toml"), *args,
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def prepare(tmp_path, template, server, name="shcb.sqlite3"):
    """A copy of the roster database with the leaders of the first ward's first two cells joined (and
    started on the server); the config pointing at it and at the server."""
    path = tmp_path / name
    shutil.copyfile(template, path)
    db = await Database.open(path)
    api = LocalApiClient(server.user_url, TOKEN)
    try:
        ward = (await org.units_of_kind(db, "ward"))[0]
        cells = (await org.cells_under(db, ward.id))[:2]
        people = [p for p, _m in await org.current_members(db, [c.id for c in cells], org.CELL_LEADERS)]
        for person in people:
            user_id = user_id_for(person.id)
            if user_id not in {u["id"] for u in await api.users()}:
                await api.create_user(user_id, person.full_name, started=True)
            await accounts.link(db, external_id=user_id, chat_id=user_id, person_id=person.id,
                                at=codec.instant(datetime(2026, 11, 20, tzinfo=VN_TZ)), platform=accounts.TELEGRAM)
    finally:
        await db.close()
    config = tmp_path / f"{name}.toml"
    config.write_text(f'[storage]\npath = "{path}"\n[telegram]\ntoken = "{TOKEN}"\nbase_url = "{server.base_url}"\n'
                      f'base_file_url = "{server.base_file_url}"\n', encoding="utf-8")
    return config, path, people, api


@pytest.fixture
async def server(localapi):
    localapi.limits.enabled = False
    return localapi


async def test_tick_sends_what_is_due_once_and_prints_it(tmp_path, roster_template_db, server):
    config, path, people, api = await prepare(tmp_path, roster_template_db, server)
    try:
        code, out, err = await shcb(tmp_path, "tick", "--now", "2026-12-02T07:00", config=config)
        assert code == 0, err
        assert "Reminder check as of Dec 2, 2026, 7:00:00\u202fAM (Vietnam time)" in out
        assert "Wed, Dec 2, 2026, 7:00\u202fAM  The cell committee meets" in out
        assert f"Sent: 2 reminders ({len(people)} messages)." in out
        assert f"Delivered: {len(people)}. Not delivered: 0." in out
        assert "reminder committee 2026-12 sent: 2 units" in err   # the log, on stderr
        for person in people:
            texts = [m.text for m in await api.messages(user_id_for(person.id)) if m.from_bot]
            assert len(texts) == 1 and f"Kính gửi đồng chí {person.full_name}," in texts[0]

        code, out, err = await shcb(tmp_path, "tick", "--now", "2026-12-02T09:30", config=config)
        assert code == 0 and "Nothing is due." in out, (out, err)
        for person in people:
            assert len([m for m in await api.messages(user_id_for(person.id)) if m.from_bot]) == 1

        # the next day: the meeting reminder at 07:00 is due; the checks since were down, the 2nd's done
        code, out, _err = await shcb(tmp_path, "tick", "--now", "2026-12-04T10:00", config=config)
        assert code == 0
        assert "Thu, Dec 3, 2026, 7:00\u202fAM  The cell meets: skipped: its day had passed · 2 units (" in out
        assert "Fri, Dec 4, 2026, 9:00\u202fAM  Follow-up: no roll call yet · " in out
        assert f"Sent: 2 reminders ({len(people)} messages)." in out
    finally:
        await api.close()


async def test_the_same_vietnam_times_whatever_the_process_timezone(tmp_path, roster_template_db, server):
    """07:30 read as Vietnam time is after the 07:00 reminders; read as Tokyo time (05:30 in Vietnam) it
    would be before them, and as UTC (14:30) the same day still: both zones must give the same result."""
    results = {}
    apis = []
    try:
        for tz in ("UTC", "Asia/Tokyo"):
            config, path, people, api = await prepare(tmp_path, roster_template_db, server, name=f"{tz[:3]}.sqlite3")
            apis.append(api)
            code, out, err = await shcb(tmp_path, "tick", "--now", "2026-12-02T07:30", "--no-send", tz=tz,
                                        config=config)
            assert code == 0, err
            db = await Database.open(path)
            try:
                log = [(e.rule, e.subject, e.period, e.status, e.due_at, e.decided_at)
                       for e in await reminders.log(db, period="2026-12")]
            finally:
                await db.close()
            code, shown, err = await shcb(tmp_path, "schedule", "show", "--month", "2026-12", tz=tz, config=config)
            assert code == 0, err
            results[tz] = (out, log, shown)
        assert results["UTC"] == results["Asia/Tokyo"]
        out, log, shown = results["UTC"]
        committee = {(status, due_at, decided_at) for rule, _s, _p, status, due_at, decided_at in log
                     if rule == "committee"}
        assert ("sent", "2026-12-02T00:00:00+00:00", "2026-12-02T00:30:00+00:00") in committee
        assert "Queued only: the running bot will send them." in out
        assert "Wed, Dec 2, 2026, 7:00\u202fAM  The cell committee meets" in shown
        assert "Thu, Dec 3, 2026, 7:00\u202fAM  The cell meets" in shown
        assert "Fri, Dec 4, 2026, 9:00\u202fAM  Follow-up: no roll call yet" in shown
    finally:
        for api in apis:
            await api.close()


async def test_an_instant_with_an_offset_is_the_same_instant(tmp_path, roster_template_db, server):
    config, _path, _people, api = await prepare(tmp_path, roster_template_db, server)
    try:
        code, out, err = await shcb(tmp_path, "tick", "--now", "2026-12-02T00:00:00+00:00", "--no-send",
                                    tz="Asia/Tokyo", config=config)
        assert code == 0, err
        assert "Dec 2, 2026, 7:00:00\u202fAM (Vietnam time)" in out and "The cell committee meets" in out
    finally:
        await api.close()


async def test_bad_input(tmp_path, roster_template_db, server):
    config, _path, _people, api = await prepare(tmp_path, roster_template_db, server)
    await api.close()
    code, _out, err = await shcb(tmp_path, "tick", "--now", "the 2nd at seven", config=config)
    assert code == 2 and "--now: not an ISO date and time: 'the 2nd at seven'" in err
    missing = tmp_path / "missing.toml"
    missing.write_text(f'[storage]\npath = "{tmp_path / "none.sqlite3"}"\n', encoding="utf-8")
    code, _out, err = await shcb(tmp_path, "tick", "--now", "2026-12-02T07:00", config=missing)
    assert code == 1 and "There is no database" in err
    assert not (tmp_path / "none.sqlite3").exists()
