"""Memory benchmark: the resident memory of the process running the real bot (the python-telegram-bot
Application of bot/app.py with its services: outbox sender, reminder scheduler, report delivery) on a
database with the generated roster (15,000+ people), the secretaries', deputies' and staff's accounts
linked, and twelve months of records (benchmarks/city_year.py: roll calls with a row per member, meeting
records, recommendations, the monthly guidance with receipts, reminders and their outbox rows).

    python benchmarks/bench_memory.py [--months 12] [--wards 34]

The bot runs in a child process of its own (this file with --bot), so that nothing of the set-up (the
roster's generation, the year's rows) is in its memory; the local Bot API server and the people talking to
it run here. Its resident set size (VmRSS in /proc/PID/status) is read after start-up, and again after it
served a city report (summary, XLSX and chart), a ward report, a roll call (open, two toggles, done, save)
and the menu; with its peak (VmHWM). Target: under 150 MB (10^6 bytes), the peak included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import process_memory, rows  # noqa: E402

TOKEN = "777003:MEMORY-token_aBcDeFgHiJkLmNoPqRsTuVwXyZ"
TARGET_MB = 150.0
LAST_MONTH = "2026-12"


def vn(*args) -> datetime:
    from bot.core.clock import VN_TZ

    return datetime(*args, tzinfo=VN_TZ)


def _context(db, base_url: str, file_url: str, clock):
    from bot.core.config import Config
    from bot.core.context import AppContext

    config = Config()
    config.telegram.token = TOKEN
    config.telegram.base_url = base_url
    config.telegram.base_file_url = file_url
    return AppContext(config=config, db=db, clock=clock)


# --- the bot, in a child process ------------------------------------------------------------------------


async def run_bot(path: str, base_url: str, file_url: str) -> None:
    """The real Application on the database at `path`, the clock at 5 December 2026 10:00; 'quit' stops it."""
    from bot import app as wiring
    from bot.core.clock import ManualClock
    from storage.db import Database

    db = await Database.open(Path(path))
    ctx = _context(db, base_url, file_url, ManualClock(vn(2026, 12, 5, 10, 0)))
    application = wiring.build_application(ctx)
    await wiring.start_application(application, poll_timeout=10)
    wiring.settle_start_up()   # as `shcb run` does
    print(json.dumps({"pid": os.getpid()}), flush=True)
    loop = asyncio.get_running_loop()
    while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("", "quit"):
        pass
    await wiring.stop_application(application)
    await db.close()


# --- the set-up and the requests ------------------------------------------------------------------------


async def prepare(path: Path, months: int, wards: int, server) -> dict:
    from bot.core.clock import ManualClock
    from bot.roster.importer import import_rows
    from bot.rules.reports import last_months
    from bot.sandbox.chat_user import user_id_for
    from bot.sandbox.localapi import LocalApiClient
    from bot.sandbox.stage import telegram_names
    from city_year import fill_year, roster_rows
    from storage import accounts, codec, org
    from storage.db import Database

    db = await Database.open(path)
    chosen_months = last_months(LAST_MONTH)[-months:]
    year, month = map(int, chosen_months[0].split("-"))
    clock = ManualClock(vn(year, month, 1, 7, 0))
    ctx = _context(db, server.base_url, server.base_file_url, clock)
    await import_rows(db, roster_rows(wards), clock, ctx.config.organisation.name, source="bench")
    people = await db.fetchval("SELECT count(*) FROM people")
    units = [unit for kind in ("city", "ward", "cell") for unit in await org.units_of_kind(db, kind)]
    linked = {}
    for person, membership in await org.current_members(
            db, [u.id for u in units], (org.SECRETARY, org.DEPUTY, org.WARD_STAFF, org.CITY_STAFF)):
        linked.setdefault(person.id, (person, membership.role))
    at = codec.instant(clock.now())
    async with LocalApiClient(server.user_url, TOKEN) as api:
        for person, _role in linked.values():
            first, last = telegram_names(person.full_name)
            await api.create_user(user_id_for(person.id), first, last_name=last, started=True)
            await accounts.link(db, external_id=user_id_for(person.id), chat_id=user_id_for(person.id),
                                person_id=person.id, at=at, language="vi", display_name=person.full_name,
                                platform=accounts.TELEGRAM)
    started = time.monotonic()
    counts = await fill_year(ctx, chosen_months)
    await db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    await db.close()
    roles = [role for _p, role in linked.values()]
    return {"people": people, "linked": len(linked), "leaders": sum(r in (org.SECRETARY, org.DEPUTY) for r in roles),
            "seconds": time.monotonic() - started, "months": len(chosen_months), "by_role": linked, **counts}


async def requests(server, linked: dict) -> list[str]:
    """A city report, a ward report, a roll call and the menu, as people do them; what was done."""
    from bot.sandbox.chat_user import ChatUser, user_id_for
    from bot.sandbox.localapi import LocalApiClient
    from storage import org

    def someone(role):
        return next(person for person, r in linked.values() if r == role)

    done = []
    async with LocalApiClient(server.user_url, TOKEN, timeout=120) as api:
        for role, prefix in ((org.CITY_STAFF, "rp:c:"), (org.WARD_STAFF, "rp:w:")):
            user = ChatUser(api, user_id_for(someone(role).id))
            await user.send("/baocao")
            choices = await user.reply(timeout=60)
            await user.press(next(d for row in choices.buttons for _l, d in row if d.startswith(prefix)), choices)
            await user.wait_for(lambda m: m.kind == "photo", timeout=120)
            done.append(f"{role} report")
        user = ChatUser(api, user_id_for(someone(org.SECRETARY).id))
        await user.send("/diemdanh")
        message = await user.reply(timeout=60)
        if not any(d.endswith(":t:3") for row in message.buttons for _l, d in row):   # held on the 3rd: correct it
            await user.press(next(d for row in message.buttons for _l, d in row if d.startswith("rc:fix:start:")),
                             message)
            message = await user.reply(timeout=60)
        for suffix in (":t:3", ":t:4", ":done", ":save"):
            data = next(d for row in message.buttons for _l, d in row if d.endswith(suffix))
            await user.press(data, message)
            message = await user.reply(timeout=60)
        done.append("roll call")
        await user.send("/menu")
        await user.reply(timeout=60)
        done.append("menu")
    return done


async def main(months: int, wards: int, settle: float = 2.0) -> int:
    from bot.sandbox.localapi import Limits, LocalBotApi

    server = LocalBotApi(limits=Limits(per_chat_count=50))
    await server.start()
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "memory.sqlite3"
            data = await prepare(path, months, wards, server)
            size = path.stat().st_size / 2**20
            print(f"set up: {data['people']:,} people, {data['linked']} accounts linked ({data['leaders']} secretaries "
                  f"and deputies), {data['months']} months: {data['roll_calls']:,} roll calls with "
                  f"{data['member_rows']:,} member rows, {data['meetings']:,} meeting records, "
                  f"{data['recommendations']:,} recommendations, {data['guidance']} guidance with "
                  f"{data['receipts']:,} receipts, {data['outbox_rows']:,} outbox rows; database {size:.0f} MiB; "
                  f"written in {data['seconds']:.1f} s")
            bot = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--bot", str(path), server.base_url, server.base_file_url,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(ROOT))
            try:
                pid = json.loads(await asyncio.wait_for(bot.stdout.readline(), 60))["pid"]
                await asyncio.sleep(settle)   # the start-up reminder check has run (it finds nothing due)
                started = process_memory(pid)
                done = await requests(server, data["by_role"])
                after = process_memory(pid)
            finally:
                if bot.returncode is None:
                    bot.stdin.write(b"quit\n")
                    await bot.stdin.drain()
                    await asyncio.wait_for(bot.wait(), 30)
    finally:
        await server.stop()
    mb = {key: value * 2**20 / 1e6 for key, value in after.items()}
    ratio = mb["peak"] / TARGET_MB
    print(f"bot process after start-up: RSS {started['rss']:.0f} MiB")
    print(f"after {', '.join(done)}: RSS {after['rss']:.0f} MiB, peak {after['peak']:.0f} MiB "
          f"= {mb['peak']:.0f} MB, {ratio:.2f} × the limit of {TARGET_MB:.0f} MB")
    print(rows("memory", [(
        f"`python benchmarks/bench_memory.py`: the bot's resident memory, roster of {data['people']:,} people, "
        f"{data['linked']} accounts linked, {data['months']} months of records ({data['member_rows']:,} roll-call "
        f"member rows, {data['outbox_rows']:,} outbox rows)",
        f"after start-up {started['rss'] * 2**20 / 1e6:.0f} MB; after a city and a ward report, a roll call and "
        f"the menu {mb['rss']:.0f} MB, peak **{mb['peak']:.0f} MB** = **{ratio:.2f}** × the limit", "< 150 MB")]))
    ok = mb["peak"] < TARGET_MB
    print("target met" if ok else "TARGET NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bot", nargs=3, metavar=("DATABASE", "BASE_URL", "FILE_URL"), help=argparse.SUPPRESS)
    parser.add_argument("--months", type=int, default=12, help="months of records (1-12)")
    parser.add_argument("--wards", type=int, default=34, help="wards of the generated roster kept (a quick run)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after start-up before the first reading")
    arguments = parser.parse_args()
    if arguments.bot:
        asyncio.run(run_bot(*arguments.bot))
        sys.exit(0)
    sys.exit(asyncio.run(main(max(1, min(12, arguments.months)), arguments.wards, arguments.settle)))
