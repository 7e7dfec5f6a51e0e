"""What the benchmarks print about the machine and how they print their README rows: the README's
Performance table names the machine and the date of a run, and every figure is a ratio to its limit."""

from __future__ import annotations

import os
import platform
from datetime import date
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def describe() -> str:
    """One line: cores, RAM, CPU model, Python, date and the load average now."""
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores, {memory_gib():.0f} GiB, {cpu_model()}, Python {platform.python_version()}, "
            f"{date.today().isoformat()}, load average {load[0]:.1f}")


def rows(title: str, lines: list[tuple[str, str, str]]) -> str:
    """The README rows of one benchmark, ready to paste under the table's header."""
    header = [f"README rows ({describe()}):"]
    return "\n".join(header + [f"| {what} | {measured} | {target} |" for what, measured, target in lines])


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (no interpolation): p99 of 3,060 values is the 3,030th smallest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def process_memory(pid: int | str = "self") -> dict[str, float]:
    """{"rss": MiB now, "peak": MiB at most so far} of a process, from /proc/PID/status (Linux)."""
    found = {"rss": 0.0, "peak": 0.0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            found["rss"] = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            found["peak"] = int(line.split()[1]) / 1024
    return found
