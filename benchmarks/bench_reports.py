"""Reports benchmark: the city report (XLSX and the twelve-month chart) for the generated roster's 311 cells
with twelve months of roll calls (a start and an end roll call per cell and month, one row per member),
from the database to the files.

    python benchmarks/bench_reports.py [--rounds 3]

Prints the time of each round (target: under 2 s) and the peak memory: Python's own allocations during a
round (tracemalloc, in a round of its own: it slows Python down several times) and the process's peak
resident size. Setting up the data (about 350,000 member rows)
is not timed. Matplotlib's import (about 0.4 s) is counted in the first round only, as in `shcb report`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import rows  # noqa: E402

TARGET_SECONDS = 2.0
MONTH = "2026-12"


async def fill(db, months) -> int:
    """A start and an end roll call for every cell and month, statuses drawn at random (seed 7)."""
    from bot.rules import attendance
    from storage import org

    rng = random.Random(7)
    cells = await org.units_of_kind(db, "cell")
    members = await org.current_members(db, [cell.id for cell in cells], ["secretary", "deputy", "member"])
    by_cell: dict[int, list] = {}
    for person, membership in members:
        by_cell.setdefault(membership.unit_id, []).append(person)
    rows = 0
    async with db.transaction() as conn:
        for month in months:
            for cell in cells:
                if rng.random() < 0.05:      # about one cell in twenty did not report that month
                    continue
                await conn.execute("INSERT INTO meetings (cell_id, month, created_at, kind, speakers, "
                                   "ward_member_attended) VALUES (?, ?, ?, ?, ?, ?)",
                                   (cell.id, month, "2026-01-01T00:00:00+00:00", rng.choice(attendance.KINDS),
                                    rng.randint(0, 8), rng.random() < 0.7))
                meeting_id = (await (await conn.execute("SELECT last_insert_rowid()")).fetchone())[0]
                for phase, hour in (("start", 12), ("end", 14)):
                    statuses = []
                    for person in by_cell.get(cell.id, []):
                        if person.exempt:
                            statuses.append(rng.choice(("exempt_absent", "exempt_present")))
                        else:
                            statuses.append("present" if rng.random() < 0.93 else
                                            rng.choice(("absent_excused", "absent_unexcused")))
                    counted = attendance.count(statuses)
                    cursor = await conn.execute(
                        "INSERT INTO roll_calls (meeting_id, phase, taken_at, present, absent, eligible, saved_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (meeting_id, phase, f"{month}-03T{hour}:00:00+00:00", counted.present,
                         counted.eligible - counted.present, counted.eligible, f"{month}-03T{hour}:00:00+00:00"))
                    await conn.executemany(
                        "INSERT INTO roll_call_members (roll_call_id, person_id, number, full_name, role, exempt,"
                        " status, reason) VALUES (?, ?, ?, ?, 'member', ?, ?, NULL)",
                        [(cursor.lastrowid, person.id, number, person.full_name, int(person.exempt), status)
                         for number, (person, status) in enumerate(zip(by_cell[cell.id], statuses), start=1)])
                    rows += len(statuses)
    return rows


async def one_round(db, config, folder: Path) -> float:
    started = time.perf_counter()
    from bot.core import i18n
    from bot.reports import charts, facts, xlsx   # the first round pays for the imports, as `shcb report` does

    t = i18n.get("vi")
    city = await facts.city_report(db, config, MONTH)
    xlsx.save(xlsx.city_workbook(city.report, city.trend, t), folder / "city.xlsx")
    charts.city_trend(city.trend, config.meeting.target, t, folder / "city.png")
    return time.perf_counter() - started


async def main(rounds: int) -> int:
    from bot.core.clock import ManualClock, VN_TZ
    from bot.core.config import Config
    from bot.roster.generate import generate_roster
    from bot.roster.importer import import_rows
    from bot.rules.reports import last_months
    from storage.db import Database

    config = Config()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = await Database.open(folder / "bench.sqlite3")
        try:
            await import_rows(db, generate_roster(7), ManualClock(datetime(2026, 1, 5, 8, tzinfo=VN_TZ)),
                              config.organisation.name, source="bench")
            set_up = time.perf_counter()
            rows_written = await fill(db, last_months(MONTH))
            # as a database whose months were written long ago: everything in the main file, not the WAL
            await db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            print(f"set up: 311 cells, 12 months, {rows_written:,} member rows in {time.perf_counter() - set_up:.1f} s")
            times = [await one_round(db, config, folder) for _ in range(rounds)]
            # memory in a round of its own: tracemalloc slows Python down several times
            tracemalloc.start()
            await one_round(db, config, folder)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            size = (folder / "city.xlsx").stat().st_size, (folder / "city.png").stat().st_size
        finally:
            await db.close()
    for number, seconds in enumerate(times, start=1):
        print(f"round {number}: {seconds:.2f} s" + (" (with matplotlib's import)" if number == 1 else ""))
    print(f"peak Python allocations during a round: {peak / 2**20:.1f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"files: XLSX {size[0] / 1024:.0f} KiB, PNG {size[1] / 1024:.0f} KiB; process peak RSS {rss:.0f} MiB")
    worst = max(times)
    print(f"city report (XLSX + chart): worst {worst:.2f} s, best {min(times):.2f} s — target < {TARGET_SECONDS} s: "
          f"{'OK' if worst < TARGET_SECONDS else 'MISSED'}")
    warm = times[1:] or times
    print(rows("reports", [(
        f"`python benchmarks/bench_reports.py`: the city report (XLSX and chart) for 311 cells with 12 months of "
        f"records ({rows_written:,} member rows)",
        f"**{min(warm):.2f}–{max(warm):.2f} s** = {min(warm) / TARGET_SECONDS:.2f}–{max(warm) / TARGET_SECONDS:.2f} × "
        f"the limit warm, **{times[0]:.2f} s** = {times[0] / TARGET_SECONDS:.2f} × in a fresh process (matplotlib's "
        f"import); peak Python allocations {peak / 2**20:.0f} MiB, process peak RSS {rss:.0f} MiB", "< 2 s")]))
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    sys.exit(asyncio.run(main(parser.parse_args().rounds)))
