"""Burst benchmark: the 612 secretaries and deputies of the generated roster all take the start roll call
within the same minute, against the project's local Bot API server with Telegram's limits and a network.

    python benchmarks/bench_burst.py [--people 612] [--spread 60] [--think 0] [--seed 1]

Each person arrives at a seeded random moment of the minute (`--spread` seconds; 0 is everyone at once)
and holds a full conversation, each action as soon as the bot's answer to the previous one is on screen
(plus `--think` seconds): /diemdanh (the list opens), two toggles (members 3 and 4 absent), "Done" (the
summary), "Save" — five actions, each answered by one new or edited message. A deputy whose secretary saved
first gets what the bot really gives: the end roll call, or "saved meanwhile, replace?" at saving.

The same people, with the same arrival moments and the same five actions, then talk to a bare
python-telegram-bot echo bot on the same server (another token): an Application with PTB's
`AIORateLimiter(max_retries=3)` (its default rates: 30 requests/s for everything sent to a chat, edits
included, as shcb counts them too; with the default of no retry, an answer that draws a 429 from the strict
server is dropped, and some do) and `concurrent_updates(True)`, that answers a message with one message
with buttons and a button with `answer()` and one edit.

Measured, for each bot: updates handled per second (actions answered ÷ time from the first action to the
last answer), and the time from a person's action (just before the user side posts it) to the bot's answer
on their screen, p50 and p99. The part of it the limits impose is computed, not guessed: from the moments
the actions really came, the least each answer would have waited for Telegram's limit (30 in any sliding
second, widened by the 5 % jitter margin) in one first-come queue, however fast the bot (`pacing_floor`);
the same floor for both bots. Target: p99 of (answer time − that pacing delay) < 250 ms; and shcb ÷ echo
for throughput and p99 within 2×. How long each request really waited in the bot's rate limiter (wrapped
here, not in the bot) is printed too, and the Bot API calls the server saw.

Processes: the server and the crowd of users (the local server's user side, LocalApiClient) each run in a
child process of this file (--serve, --crowd), so that the bot under test has its event loop to itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from child import Child, serve_local_api  # noqa: E402
from machine import percentile, rows  # noqa: E402

SHCB_TOKEN = "777001:BURST-shcb_aBcDeFgHiJkLmNoPqRsTuVwXyZ"
ECHO_TOKEN = "777002:BURST-echo_aBcDeFgHiJkLmNoPqRsTuVwXyZ"
TARGET_ABOVE_PACING, TARGET_RATIO = 0.250, 2.0
# The five actions: what is sent or pressed (a button whose callback data ends so), what the step is called.
PLAN = (("open", None), ("toggle", ":t:3"), ("toggle", ":t:4"), ("done", ":done"), ("save", ":save"))
OPEN_TEXT = "/diemdanh"
ECHO_PACE = 30.0   # AIORateLimiter's default: 30 requests a second overall (its bucket lets 30 through at once)
USERS_PER_CLIENT = 40   # httpx keeps at most 100 connections a client; each waiting user holds one


# --- the crowd, in a child process --------------------------------------------------------------------


def _button_ending(message, suffix: str) -> str:
    for row in message.buttons or ():
        for _label, data in row:
            if data.endswith(suffix):
                return data
    raise LookupError(f"no button ending {suffix!r} in {message.text[:60]!r}")


async def _converse(api, user_id: int, version: int, start_at: float, think: float, timeout: float,
                    records: list) -> None:
    """One person's five actions. Straight on the user side (LocalApiClient): post the action, then long-poll
    the chat until a bot message is new or edited. (ChatUser reads the whole chat twice around each action
    for its observers; with 612 people at once that made the crowd, not the bot, the bottleneck.)"""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    message = None
    for step, suffix in PLAN:
        sent = time.monotonic()
        try:
            if suffix is None:
                await api.send_text(user_id, OPEN_TEXT)
            else:
                await api.press_button(user_id, message.message_id, _button_ending(message, suffix))
            answer = None
            while answer is None:
                left = sent + timeout - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer within {timeout:g} s")
                version, changed = await api.wait(user_id, version, left)
                shown = [m for m in changed if m.from_bot and not m.deleted]
                if shown:
                    answer = next((m for m in shown if m.buttons), shown[0])
            records.append([user_id, step, sent, time.monotonic(), answer.text[:80]])
            message = answer
        except (TimeoutError, LookupError) as error:
            records.append([user_id, step, sent, None, str(error)[:300]])
            return
        if think:
            await asyncio.sleep(think)


async def crowd() -> None:
    """Runs one job per line on stdin: {"user_url", "token", "people": [[user_id, start offset]], "think",
    "timeout", "origin"}; answers one line: {"records": [[user_id, step, sent, answered | null, text]]}."""
    from bot.sandbox.localapi import LocalApiClient

    loop = asyncio.get_running_loop()
    print(json.dumps({"ready": True}), flush=True)
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line in ("", "quit"):
            break
        job = json.loads(line)
        people = job["people"]
        clients = [LocalApiClient(job["user_url"], job["token"], timeout=job["timeout"] + 30)
                   for _ in range(0, len(people), USERS_PER_CLIENT)]
        records: list = []
        try:
            # Everyone's chat read first: the minute starts when all are ready, so that nobody late to start
            # bunches with the first (those reads once delayed the first few and sent them together).
            versions = await asyncio.gather(*(clients[n // USERS_PER_CLIENT].version(user_id)
                                              for n, (user_id, _offset) in enumerate(people)))
            origin = time.monotonic() + 0.3
            await asyncio.gather(*(
                _converse(clients[n // USERS_PER_CLIENT], user_id, version, origin + offset, job["think"],
                          job["timeout"], records)
                for n, ((user_id, offset), version) in enumerate(zip(people, versions))))
        finally:
            for client in clients:
                await client.close()
        print(json.dumps({"records": records}), flush=True)


# --- the bots -------------------------------------------------------------------------------------------


def time_the_waits(application) -> list[tuple[int | None, str, float, float]]:
    """Put a timing wrapper around the Application's rate limiter (this object only, for this run): for
    each request that goes through it, (chat id, method, when it came to the limiter, when it was let
    through — its last try, after any 429)."""
    from telegram.ext import BaseRateLimiter

    waits: list[tuple[int | None, str, float, float]] = []

    class Timed(BaseRateLimiter):
        def __init__(self, inner) -> None:
            self.inner = inner

        async def initialize(self) -> None:
            await self.inner.initialize()

        async def shutdown(self) -> None:
            await self.inner.shutdown()

        async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
            came = time.monotonic()
            through = [came]

            async def timed(*a, **k):
                through.append(time.monotonic())
                return await callback(*a, **k)

            try:
                return await self.inner.process_request(timed, args, kwargs, endpoint, data, rate_limit_args)
            finally:
                try:
                    chat = int(data.get("chat_id"))
                except (TypeError, ValueError):
                    chat = None
                waits.append((chat, endpoint, came, through[-1]))

    application.bot._rate_limiter = Timed(application.bot.rate_limiter)   # PTB's limiters have __slots__
    return waits


def echo_application(base_url: str):
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.ext import AIORateLimiter, ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(str(n), callback_data=f"e:t:{n}") for n in range(1, 6)],
                                     [InlineKeyboardButton("Done", callback_data="e:done"),
                                      InlineKeyboardButton("Save", callback_data="e:save")]])

    async def on_message(update, context) -> None:
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}", reply_markup=keyboard)

    async def on_button(update, context) -> None:
        query = update.callback_query
        await query.answer()
        await query.edit_message_text(f"echo: {query.data}", reply_markup=keyboard)

    # PTB's limiter at its default rates; retrying a 429 as shcb does (by default it drops the request)
    application = (ApplicationBuilder().token(ECHO_TOKEN).base_url(base_url)
                   .rate_limiter(AIORateLimiter(max_retries=3)).concurrent_updates(True).build())
    application.add_handler(MessageHandler(filters.ALL, on_message))
    application.add_handler(CallbackQueryHandler(on_button))
    return application


async def start_echo(application) -> None:
    from telegram import Update

    await application.initialize()
    await application.updater.start_polling(poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES)
    await application.start()


async def stop_echo(application) -> None:
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


# --- the roster and the run ---------------------------------------------------------------------------


def vn(*args) -> datetime:
    from bot.core.clock import VN_TZ

    return datetime(*args, tzinfo=VN_TZ)


async def prepare(directory: Path, port: int, people: int, wards: int):
    """The generated roster, the secretaries' and deputies' accounts linked (on both bots' servers), the
    3rd of December's morning reminders already sent, the clock at 19:30 that day: the meeting's start."""
    from bot.core.clock import ManualClock
    from bot.core.config import Config
    from bot.core.context import AppContext
    from bot.reminders import scheduler
    from bot.sandbox.chat_user import user_id_for
    from bot.sandbox.localapi import LocalApiClient
    from bot.roster.importer import import_rows
    from bot.sandbox.stage import telegram_names
    from city_year import roster_rows
    from storage import accounts, codec, org, outbox
    from storage.db import Database

    config = Config()
    config.telegram.token = SHCB_TOKEN
    config.telegram.base_url = f"http://127.0.0.1:{port}/bot"
    db = await Database.open(directory / "burst.sqlite3")
    clock = ManualClock(vn(2026, 12, 3, 7, 0))
    await import_rows(db, roster_rows(wards), clock, config.organisation.name, source="generated, seed 7")
    cells = await org.units_of_kind(db, "cell")
    leaders = await org.current_members(db, [c.id for c in cells], (org.SECRETARY, org.DEPUTY))
    chosen = list({person.id: person for person, _m in leaders}.values())
    chosen = chosen[:people]
    at = codec.instant(clock.now())
    for token in (SHCB_TOKEN, ECHO_TOKEN):
        async with LocalApiClient(f"http://127.0.0.1:{port}/_user", token) as api:
            for person in chosen:
                first, last = telegram_names(person.full_name)
                await api.create_user(user_id_for(person.id), first, last_name=last, started=True)
    for person in chosen:
        await accounts.link(db, external_id=user_id_for(person.id), chat_id=user_id_for(person.id),
                            person_id=person.id, at=at, language="vi", display_name=person.full_name,
                            platform=accounts.TELEGRAM)
    ctx = AppContext(config=config, db=db, clock=clock)
    await scheduler.tick(ctx, clock.now())       # the meeting reminders of 07:00, as if sent that morning
    claimed = await outbox.claim_due(db, at, 10_000)
    await outbox.mark_sent_many(db, [(row.id, None, 1, at) for row in claimed])
    clock.set(vn(2026, 12, 3, 19, 30))
    return ctx, [user_id_for(person.id) for person in chosen], len(claimed)


async def saved_roll_calls(ctx) -> dict[str, int]:
    """How the conversations ended, from the database: start and end roll calls saved, and the answers
    that were "saved meanwhile by the other leader, replace?" (nothing saved)."""
    from storage import org, roll_calls

    found = {"start": 0, "end": 0}
    for cell in await org.units_of_kind(ctx.db, "cell"):
        for phase in await roll_calls.of_meeting(ctx.db, cell.id, "2026-12"):
            found[phase] += 1
    return found


async def run_one(application, crowd: Child, server: Child, token: str, port: int, people, think: float,
                  timeout: float) -> dict:
    waits = time_the_waits(application)
    before = await server.ask(f"stats {token}")
    cpu = time.process_time()
    job = {"user_url": f"http://127.0.0.1:{port}/_user", "token": token, "people": people, "think": think,
           "timeout": timeout}
    records = (await crowd.ask(json.dumps(job), timeout=timeout * len(PLAN) + 600))["records"]
    cpu = time.process_time() - cpu
    after = await server.ask(f"stats {token}")
    if os.environ.get("BURST_DUMP"):   # the raw times, for a closer look: BURST_DUMP=/tmp/burst
        Path(f"{os.environ['BURST_DUMP']}-{token.split(':')[0]}.json").write_text(
            json.dumps({"records": records, "waits": waits}), encoding="utf-8")
    return {"records": records, "waits": waits, "cpu": cpu,
            "rate_limited": after["rate_limited"] - before["rate_limited"],
            "requests": {k: v - before["requests"].get(k, 0) for k, v in after["requests"].items()}}


def pacing_floor(arrivals: list[float], count: int = 30, window: float = 1.05) -> list[float]:
    """For requests arriving at these moments (one paced request an action), the least each must wait
    when they are sent at Telegram's pace — `count` a `window` (30 a second, widened by the 5 % jitter
    margin any bot needs over a network) — however fast the bot: one queue, first come first served, each
    request as soon as it has come and one turn (35 ms) after the one before. The delay the limit, read
    as a rate, imposes on this arrival schedule, the same for both bots, whatever their own pacing does."""
    starts: list[float] = []
    waits = []
    turn = window / count
    for arrival in arrivals:   # in order of arrival
        start = max(arrival, starts[-1] + turn) if starts else arrival
        starts.append(start)
        waits.append(start - arrival)
    return waits


def window_floor(arrivals: list[float], count: int = 30, window: float = 1.05) -> list[float]:
    """The same, under the limit read as the server counts it — at most `count` in any sliding `window`
    seconds: a request goes as soon as the window has room, so a crowd is served in bursts of 30 at each
    opening of the window. Less than `pacing_floor` by up to a window: a bot would have to answer 30 at
    once, then digest the 30 next actions that come back at once (shcb tried: its answers came later)."""
    starts: list[float] = []
    waits = []
    for arrival in arrivals:   # in order of arrival
        start = max([arrival] + starts[-1:] + ([starts[-count] + window] if len(starts) >= count else []))
        starts.append(start)
        waits.append(start - arrival)
    return waits


def measure(name: str, run: dict, pace: float) -> dict:
    """Answer times, pacing delays and throughput from a run's records and the limiter's waits."""
    from bot.delivery.rate_limit import EDITING_METHODS, SENDING_METHODS

    paced_methods = SENDING_METHODS | EDITING_METHODS   # what both bots' limiters count
    by_chat: dict[int, list[tuple[float, float]]] = {}
    for chat, method, came, through in run["waits"]:
        if chat is not None and method in paced_methods:
            by_chat.setdefault(chat, []).append((came, through))
    answered = sorted((r for r in run["records"] if r[3] is not None), key=lambda r: r[2])
    failed = [r for r in run["records"] if r[3] is None]
    floor = pacing_floor([r[2] for r in answered])
    floor_of_window = window_floor([r[2] for r in answered])
    answer, waited, above, above_window = [], [], [], []
    for (user_id, _step, sent, got, _text), least, least_in_window in zip(answered, floor, floor_of_window):
        answer.append(got - sent)
        waited.append(sum(through - came for came, through in by_chat.get(user_id, ()) if sent <= came <= got))
        above.append(got - sent - least)
        above_window.append(got - sent - least_in_window)
    first = min(r[2] for r in run["records"] if r[2] is not None)
    last = max(r[3] for r in answered)
    paced = sum(1 for _chat, method, _came, _through in run["waits"] if method in paced_methods)
    return {
        "name": name, "answered": len(answered), "failed": failed, "elapsed": last - first, "pace": pace,
        "rate": len(answered) / (last - first), "paced": paced, "requests": run["requests"], "cpu": run["cpu"],
        "rate_limited": run["rate_limited"],
        "p50": percentile(answer, 0.5), "p99": percentile(answer, 0.99), "max": max(answer),
        "floor_p50": percentile(floor, 0.5), "floor_p99": percentile(floor, 0.99),
        "waited_p50": percentile(waited, 0.5), "waited_p99": percentile(waited, 0.99),
        "above_p50": percentile(above, 0.5), "above_p99": percentile(above, 0.99),
        "above_window_p50": percentile(above_window, 0.5), "above_window_p99": percentile(above_window, 0.99),
    }


def show(m: dict) -> None:
    floor = m["paced"] / m["pace"]
    print(f"{m['name']}: {m['answered']} actions answered ({len(m['failed'])} not) in {m['elapsed']:.1f} s = "
          f"{m['rate']:.1f} updates/s; its {m['paced']} paced requests need {floor:.1f} s at {m['pace']:.1f}/s "
          f"(elapsed ÷ that {m['elapsed'] / floor:.2f}); CPU {m['cpu']:.1f} s "
          f"({m['cpu'] / max(1, m['answered']) * 1000:.1f} ms an update); 429 answers {m['rate_limited']}")
    print(f"   answer time p50 {m['p50'] * 1000:.0f} ms, p99 {m['p99'] * 1000:.0f} ms, max {m['max'] * 1000:.0f} ms; "
          f"pacing delay Telegram's limit imposes on these arrivals p50 {m['floor_p50'] * 1000:.0f} ms, p99 "
          f"{m['floor_p99'] * 1000:.0f} ms (waited in the bot's limiter p50 {m['waited_p50'] * 1000:.0f} ms, p99 "
          f"{m['waited_p99'] * 1000:.0f} ms); above the pacing delay p50 {m['above_p50'] * 1000:.0f} ms, "
          f"p99 {m['above_p99'] * 1000:.0f} ms (p99 of the answers − p99 of the pacing delays "
          f"{(m['p99'] - m['floor_p99']) * 1000:.0f} ms); above the sliding window's delay (bursts of 30) p50 "
          f"{m['above_window_p50'] * 1000:.0f} ms, p99 {m['above_window_p99'] * 1000:.0f} ms")
    calls = ", ".join(f"{method} {n}" for method, n in sorted(m["requests"].items(), key=lambda kv: -kv[1]) if n)
    print(f"   Bot API calls the server saw: {calls}")
    for user_id, step, _sent, _got, error in m["failed"][:5]:
        print(f"   not answered: user {user_id} at {step}: {error}")


async def main(people_wanted: int, spread: float, think: float, seed: int, timeout: float, wards: int) -> int:
    from bot import app as wiring

    server, crowd = await asyncio.gather(Child().start(__file__, "--serve", "--seed", str(seed)), Child().start(__file__, "--crowd"))
    port = server.first["port"]
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    try:
        with tempfile.TemporaryDirectory() as directory:
            set_up = time.monotonic()
            ctx, user_ids, reminders = await prepare(Path(directory), port, people_wanted, wards)
            rng = random.Random(seed)
            people = [[user_id, rng.uniform(0, spread)] for user_id in user_ids]
            print(f"set up: {len(user_ids)} secretaries and deputies linked, {reminders} morning reminders sent, "
                  f"in {time.monotonic() - set_up:.1f} s; arrivals over {spread:g} s (seed {seed}), think {think:g} s")
            pace = ctx.config.sender.overall_per_second / (1 + ctx.config.sender.network_jitter_seconds)
            application = wiring.build_application(ctx)
            await wiring.start_application(application, poll_timeout=10)
            wiring.settle_start_up()   # as `shcb run` does
            try:
                shcb = measure("shcb", await run_one(application, crowd, server, SHCB_TOKEN, port, people, think,
                                                     timeout), pace)
            finally:
                wiring.unsettle()
                await wiring.stop_application(application)
            saved = await saved_roll_calls(ctx)
            await ctx.db.close()
        echo_app = echo_application(f"http://127.0.0.1:{port}/bot")
        await start_echo(echo_app)
        try:
            echo = measure("echo", await run_one(echo_app, crowd, server, ECHO_TOKEN, port, people, think, timeout),
                           ECHO_PACE)
        finally:
            await stop_echo(echo_app)
    finally:
        await crowd.stop()
        await server.stop()
    show(shcb)
    print(f"   roll calls saved: {saved['start']} start, {saved['end']} end (a deputy after the secretary), "
          f"{shcb['answered'] // len(PLAN) - saved['start'] - saved['end']} conversations ended on "
          f"'saved meanwhile by the other, replace?'")
    show(echo)
    rate_ratio, p99_ratio = shcb["rate"] / echo["rate"], shcb["p99"] / echo["p99"]
    above_ratio = shcb["above_p99"] / TARGET_ABOVE_PACING
    print(f"shcb ÷ echo: throughput {rate_ratio:.2f} (target ≥ {1 / TARGET_RATIO:.2f}: the echo bot at most "
          f"{TARGET_RATIO:g}× as fast), p99 {p99_ratio:.2f} (target ≤ {TARGET_RATIO:g})")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    actions = len(people) * len(PLAN)
    print(rows("burst", [
        (f"burst: {len(people)} secretaries and deputies each open the start roll call, two toggles, done, save "
         f"({actions:,} updates) arriving over {spread:g} s, limits on: time from action to answer above the "
         f"pacing delay (the least wait those arrivals have in one first-come queue at Telegram's pace, 30 a "
         f"second less the 5 % margin), p99",
         f"**{shcb['above_p99'] * 1000:.0f} ms** = {above_ratio:.2f} × the limit (above it p50 "
         f"{shcb['above_p50'] * 1000:.0f} ms; answer p50 {shcb['p50']:.2f} s, p99 {shcb['p99']:.2f} s; pacing "
         f"delay p50 {shcb['floor_p50']:.2f} s, p99 {shcb['floor_p99']:.2f} s; the echo bot's p99 above it "
         f"{echo['above_p99'] * 1000:.0f} ms; above the sliding window's least wait, bursts of 30, p99 "
         f"{shcb['above_window_p99'] * 1000:.0f} ms); "
         f"{len(shcb['failed'])} unanswered, {shcb['rate_limited']} responses 429", "< 250 ms"),
        ("the same load on a bare PTB echo bot (`AIORateLimiter(max_retries=3)`, concurrent updates), same server "
         "and run: "
         "updates per second and p99, shcb ÷ echo",
         f"**{shcb['rate']:.1f}/s** ÷ {echo['rate']:.1f}/s = **{rate_ratio:.2f}**; p99 {shcb['p99']:.2f} s ÷ "
         f"{echo['p99']:.2f} s = **{p99_ratio:.2f}**; 429 responses: shcb {shcb['rate_limited']}, echo "
         f"{echo['rate_limited']}", "≥ 0.5 and ≤ 2"),
    ]))
    ok = (not shcb["failed"] and not echo["failed"] and shcb["above_p99"] < TARGET_ABOVE_PACING
          and rate_ratio >= 1 / TARGET_RATIO and p99_ratio <= TARGET_RATIO)
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--crowd", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--people", type=int, default=612, help="how many secretaries and deputies take part")
    parser.add_argument("--spread", type=float, default=60.0,
                        help="seconds over which they arrive (0: all at once, the minute compressed)")
    parser.add_argument("--think", type=float, default=0.0, help="seconds a person waits after each answer")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds a person waits for an answer")
    parser.add_argument("--seed", type=int, default=1, help="seed of the arrivals and the network's latency")
    parser.add_argument("--wards", type=int, default=34, help="wards of the generated roster kept (a quick run)")
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(serve_local_api(arguments.seed))
        sys.exit(0)
    if arguments.crowd:
        asyncio.run(crowd())
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments.people, arguments.spread, arguments.think, arguments.seed, arguments.timeout,
                                  arguments.wards)))
