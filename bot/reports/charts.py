"""The reports' charts as PNG (matplotlib, headless): a ward's attendance per cell against the target
line, and the city's twelve-month trend of attendance and reporting rate.

matplotlib draws with the Agg backend (no display needed) and DejaVu Sans, which ships with matplotlib and
covers Vietnamese; a glyph it lacked would be drawn as a box and warned about, and the tests turn that
warning into a failure.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)
from matplotlib.ticker import PercentFormatter  # noqa: E402

from bot.core.i18n import N_, Translator  # noqa: E402
from bot.reports.labels import month_label  # noqa: E402
from bot.rules.reports import TrendPoint, WardReport  # noqa: E402

FONT = "DejaVu Sans"
DPI = 100
WIDTH, HEIGHT = 10.0, 6.0            # inches: 1000 × 600 pixels at DPI
SIZE = (int(WIDTH * DPI), int(HEIGHT * DPI))
MET, BELOW, TARGET, SECOND = "#2e7d32", "#c62828", "#1565c0", "#ef6c00"


def _figure(height: float = HEIGHT) -> Figure:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    figure.set_layout_engine("constrained")
    return figure


def _png(figure: Figure, path: str | Path | None) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def ward_attendance(report: WardReport, target: float, t: Translator, path: str | Path | None = None) -> bytes:
    """Bars: each cell's start-roll-call rate (green at or above the target, red below; cells that did not
    report shown empty and named), the target as a line. Returns the PNG (also written to `path`)."""
    figure = _figure()
    axes = figure.add_subplot()
    names = [row.cell_name for row in report.rows]
    rates = [row.start.rate or 0.0 if row.start else 0.0 for row in report.rows]
    colours = [MET if row.start and row.start.meets_target else BELOW for row in report.rows]
    positions = range(len(names))
    axes.bar(positions, rates, color=colours)
    for position, row in zip(positions, report.rows):
        if not row.reported:
            axes.text(position, 0.02, t.gettext(N_("no report")), rotation=90, ha="center", va="bottom",
                      fontsize=8, family=FONT, color=BELOW)
    axes.axhline(target, color=TARGET, linestyle="--", linewidth=1.5,
                 label=t.gettext(N_("target {rate}")).format(rate=t.format_percent(target)))
    axes.set_xticks(list(positions), names, rotation=60 if len(names) > 6 else 0, ha="right" if len(names) > 6 else "center",
                    fontsize=8 if len(names) > 15 else 9, family=FONT)
    axes.set_ylim(0, 1.18)            # room for the legend above the bars
    axes.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_ylabel(t.gettext(N_("attendance at the start roll call")), family=FONT)
    axes.set_title(t.gettext(N_("{ward}: attendance per cell, {month}")).format(
        ward=report.ward_name, month=month_label(t, report.month)), family=FONT)
    axes.legend(loc="upper right", prop={"family": FONT})
    return _png(figure, path)


def city_trend(points: Sequence[TrendPoint], target: float, t: Translator, path: str | Path | None = None) -> bytes:
    """Two lines over the months: the city's attendance and its reporting rate, with the target."""
    figure = _figure()
    axes = figure.add_subplot()
    labels = [month_label(t, p.month) for p in points]
    positions = list(range(len(points)))
    axes.plot(positions, [p.attendance_rate for p in points], marker="o", color=MET,
              label=t.gettext(N_("attendance (start roll call)")))
    axes.plot(positions, [p.reporting_rate for p in points], marker="s", color=SECOND,
              label=t.gettext(N_("cells that reported")))
    axes.axhline(target, color=TARGET, linestyle="--", linewidth=1.2,
                 label=t.gettext(N_("target {rate}")).format(rate=t.format_percent(target)))
    axes.set_xticks(positions, labels, rotation=45, ha="right", family=FONT)
    axes.set_ylim(0, 1.05)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_title(t.gettext(N_("The city over twelve months")), family=FONT)
    axes.legend(loc="lower left", prop={"family": FONT})
    axes.grid(axis="y", alpha=0.3)
    return _png(figure, path)
