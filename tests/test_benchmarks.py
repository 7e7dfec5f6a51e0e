"""The benchmarks of benchmarks/ at a tiny size, each run as its command is, so that they cannot rot: they
finish, every person is answered, and they print their README rows. Their figures are not checked here:
at this size, on a shared machine, they mean nothing (the README's table comes from full runs)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*arguments: str, timeout: float = 60) -> str:
    result = subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (0, 1), (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout


def test_burst_with_ten_people_answers_every_action_of_both_bots_and_prints_its_rows():
    out = run("benchmarks/bench_burst.py", "--people", "10", "--spread", "1", "--wards", "2")
    assert "shcb: 50 actions answered (0 not)" in out
    assert "echo: 50 actions answered (0 not)" in out
    assert "429 answers 0" in out
    assert "roll calls saved: " in out and re.search(r"saved: ([1-9]\d*) start", out)
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == 2 and rows[0].startswith("| burst: 10 secretaries and deputies"), rows
    assert re.search(r"= \*\*\d+\.\d\d\*\*; p99 .* = \*\*\d+\.\d\d\*\*", rows[1]), rows[1]


def test_memory_with_two_wards_and_two_months_measures_the_bot_process_and_prints_its_row():
    out = run("benchmarks/bench_memory.py", "--wards", "2", "--months", "2", "--settle", "0.5")
    assert re.search(r"2 months: \d+ roll calls with [\d,]+ member rows, \d+ meeting records, \d+ recommendations, "
                     r"2 guidance with \d+ receipts, [\d,]+ outbox rows", out), out
    assert "after city_staff report, ward_staff report, roll call, menu:" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 and re.search(r"peak \*\*\d+ MB\*\* = \*\*\d\.\d\d\*\* × the limit", rows[0]), rows


def test_the_two_floors_of_the_burst_a_paced_queue_and_the_sliding_window():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_burst import pacing_floor, window_floor

    # Four requests at once and one later, 2 allowed a second: paced, one each half second; by the sliding
    # window, two at once each second.
    arrivals = [0.0, 0.0, 0.0, 0.0, 5.0]
    assert pacing_floor(arrivals, count=2, window=1.0) == [0.0, 0.5, 1.0, 1.5, 0.0]
    assert window_floor(arrivals, count=2, window=1.0) == [0.0, 0.0, 1.0, 1.0, 0.0]
