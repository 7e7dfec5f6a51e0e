"""Broadcast benchmark: the month's guidance to the 612 secretaries and deputies of the generated roster,
through the project's local Bot API server, by the real outbox sender (bot/delivery/sender.py).

    python benchmarks/bench_broadcast.py [--rounds-off 3]

1. Telegram's limits on (30 messages/s overall, 1/s per chat, as the server enforces them): the time to
   deliver all 612 copies as a ratio to the least Telegram allows, elapsed ÷ (612 ÷ 30 s) — target
   ≤ 1.10 — and the 429 answers the server gave (target 0).
2. Limits off, and the sender's own pacing lifted: the messages per second the sender sustains
   (target ≥ 300/s), so that Telegram, not shcb, is the bottleneck.

The server runs in a child process (this file with --serve), so that it does not share the sender's
event loop or core; it reports its own counts of requests and 429s.
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

TOKEN = "777000:BENCH-token_aBcDeFgHiJkLmNoPqRsTuVwXyZ"
TARGET_RATIO, TARGET_RATE = 1.10, 300.0


# --- the server, in a child process -------------------------------------------------------------------


async def serve() -> None:
    """Start a server, print its port, then obey lines on stdin: 'limits on|off', 'stats', 'quit'."""
    from bot.sandbox.localapi import Limits, LocalBotApi

    server = LocalBotApi(limits=Limits())
    await server.start()
    print(json.dumps({"port": server.port}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line in ("", "quit"):
            break
        if line.startswith("limits"):
            server.limits.enabled = line.endswith("on")
            print(json.dumps({"ok": True}), flush=True)
        elif line == "stats":
            print(json.dumps(server.stats(TOKEN)), flush=True)
    await server.stop()


class ServerProcess:
    async def start(self) -> "ServerProcess":
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            cwd=str(ROOT))
        self.port = (await self._read())["port"]
        return self

    async def _read(self) -> dict:
        return json.loads(await asyncio.wait_for(self.process.stdout.readline(), 30))

    async def ask(self, command: str) -> dict:
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self._read()

    def cpu(self) -> float:
        """CPU seconds the server process has used (Linux)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        self.process.stdin.write(b"quit\n")
        await self.process.stdin.drain()
        await asyncio.wait_for(self.process.wait(), 10)


# --- the broadcast ----------------------------------------------------------------------------------------


async def prepare(directory: Path, server: ServerProcess):
    from bot.core.clock import VN_TZ, ManualClock
    from bot.core.config import Config
    from bot.core.context import AppContext
    from bot.sandbox.localapi import LocalApiClient
    from bot.sandbox.stage import load_generated_roster
    from storage import accounts, codec, org
    from storage.db import Database

    config = Config()
    db = await Database.open(directory / "bench.sqlite3")
    clock = ManualClock(datetime(2026, 11, 27, 9, 0, tzinfo=VN_TZ))
    await load_generated_roster(db, clock, config.organisation.name)
    cells = await org.units_of_kind(db, "cell")
    leaders = await org.current_members(db, [c.id for c in cells], ("secretary", "deputy"))
    api = LocalApiClient(f"http://127.0.0.1:{server.port}/_user", TOKEN)
    at = codec.instant(clock.now())
    for person, _membership in leaders:
        user_id = 10_000_000 + person.id
        await api.create_user(user_id, person.full_name.split()[-1], started=True)
        await accounts.link(db, external_id=user_id, chat_id=user_id, person_id=person.id, at=at)
    await api.close()
    return AppContext(config=config, db=db, clock=clock), len({p.id for p, _m in leaders})


async def broadcast_once(ctx, bot) -> tuple[int, float, dict]:
    from bot.delivery import guidance_delivery as delivery
    from bot.rules import guidance as rules
    from bot.delivery.sender import drain
    from storage import org

    city = (await org.units_of_kind(ctx.db, "city"))[0]
    cells = await delivery.cells_in_scope(ctx, [city.id])
    queued = await delivery.confirm(
        ctx, author_person_id=None, scope_unit_id=city.id, month="2026-12", audience=rules.LEADERS,
        text="<b>Nội dung sinh hoạt chi bộ tháng 12</b>\n\nThảo luận và triển khai nhiệm vụ tháng.",
        parse_mode="HTML", cell_ids=[c.id for c in cells], attachments=[])
    started = time.monotonic()
    report = await drain(bot, ctx)
    return queued.queued, time.monotonic() - started, dict(report.counts)


async def main(rounds_off: int) -> int:
    import telegram
    from telegram.request import HTTPXRequest

    server = await ServerProcess().start()
    try:
        with tempfile.TemporaryDirectory() as directory:
            ctx, people = await prepare(Path(directory), server)
            bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{server.port}/bot",
                               request=HTTPXRequest(connection_pool_size=32))
            async with bot:
                # 1. Telegram's limits on, the sender as configured by default.
                await server.ask("limits on")
                before = await server.ask("stats")
                sent, elapsed, counts = await broadcast_once(ctx, bot)
                after = await server.ask("stats")
                limited = after["rate_limited"] - before["rate_limited"]
                ideal = sent / ctx.config.sender.overall_per_second
                ratio = elapsed / ideal
                print(f"limits on : {sent} messages to {people} people in {elapsed:.2f} s; "
                      f"ratio to the limit {ratio:.3f} (elapsed ÷ ({sent} ÷ 30 s); target ≤ {TARGET_RATIO}); "
                      f"429 answers: {limited} (sender saw {counts.get('rate_limited', 0)}); "
                      f"sent {counts.get('sent', 0)}")
                # 2. Limits off, pacing lifted: how fast can shcb itself go?
                await server.ask("limits off")
                ctx.config.sender.overall_per_second = 1_000_000.0
                ctx.config.sender.per_chat_interval_seconds = 0.0
                total_sent, total_elapsed = 0, 0.0
                cpu_before, server_before = time.process_time(), server.cpu()
                for _ in range(rounds_off):
                    sent_off, elapsed_off, _counts = await broadcast_once(ctx, bot)
                    total_sent += sent_off
                    total_elapsed += elapsed_off
                rate = total_sent / total_elapsed
                own = (time.process_time() - cpu_before) / total_sent * 1000
                theirs = (server.cpu() - server_before) / total_sent * 1000
                print(f"limits off: {total_sent} messages in {total_elapsed:.2f} s = {rate:.0f} messages/s "
                      f"(target ≥ {TARGET_RATE:.0f}/s; {rate / 30:.1f} × Telegram's 30/s); CPU per message: "
                      f"shcb {own:.2f} ms (queueing and sending), local server {theirs:.2f} ms")
            await ctx.db.close()
    finally:
        await server.stop()
    ok = ratio <= TARGET_RATIO and limited == 0 and rate >= TARGET_RATE
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds-off", type=int, default=3, help="broadcasts measured with limits off")
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(serve())
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments.rounds_off)))
