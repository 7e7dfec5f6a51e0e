"""`shcb report ward|city|quarter`: the monthly ward report, the city overview and the quarterly
evaluation as XLSX files (and PNG charts), the same the chat sends.

Exit status: 0 written; 1 no database yet, or the file cannot be written; 2 a usage error (an unknown
ward, a malformed or future month or quarter) or a configuration error — each said in one line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli import common_parent, existing_database, load_config_or_exit, setup_logging
from bot.core import i18n
from bot.core.clock import SystemClock
from bot.core.i18n import cli_gettext as _
from bot.reports import charts, facts, xlsx
from bot.reports.evaluation import quarter_results
from bot.rules import reports as rules
from bot.rules.schedule import period_of
from storage import org
from storage.db import Database

OK, FAILED, USAGE = 0, 1, 2


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", parents=[common_parent()], help=_("write the ward's or the city's report, or the quarter's evaluation"),
        description=_("The monthly report of a ward's cell meetings, the city overview, and the quarterly "
                      "evaluation, as Excel files (and PNG charts)."))
    actions = parser.add_subparsers(dest="report_command", metavar=_("REPORT"), required=True)

    ward = actions.add_parser("ward", parents=[common_parent()], help=_("one ward's month, a row per cell"),
                              description=_("One ward's month: a row per cell, totals, absent members and "
                                            "recommendations; optionally the attendance chart."))
    ward.add_argument("--ward", required=True, metavar=_("NAME"), help=_("the ward (case and diacritics ignored)"))
    _month_options(ward)
    ward.set_defaults(func=run_ward)

    city = actions.add_parser("city", parents=[common_parent()], help=_("the city's month, a row per ward"),
                              description=_("The city's month: a row per ward and per cell, the wards with the "
                                            "most missing reports, the escalated recommendations, twelve months' "
                                            "trend; optionally the trend chart."))
    _month_options(city)
    city.set_defaults(func=run_city)

    quarter = actions.add_parser("quarter", parents=[common_parent()], help=_("the quarterly evaluation, a row per cell"),
                                 description=_("The quarterly evaluation of every cell (of one ward with --ward): "
                                               "each criterion's points, the total and the class."))
    quarter.add_argument("--quarter", required=True, metavar="YYYY-QN", help=_("for example 2026-Q4"))
    quarter.add_argument("--ward", metavar=_("NAME"), help=_("only this ward (case and diacritics ignored)"))
    quarter.add_argument("--out", required=True, metavar=_("FILE.xlsx"), help=_("the Excel file to write"))
    quarter.set_defaults(func=run_quarter)


def _month_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", required=True, metavar="YYYY-MM", help=_("the month, e.g. 2026-12"))
    parser.add_argument("--out", required=True, metavar=_("FILE.xlsx"), help=_("the Excel file to write"))
    parser.add_argument("--chart", metavar=_("FILE.png"), help=_("also draw the chart into this PNG file"))


def _fail(text: str, status: int = USAGE) -> int:
    print(text, file=sys.stderr)
    return status


def _month_problem(month: str, config) -> str | None:
    problem = rules.check_month(month, period_of(SystemClock(config.tz).now().date()))
    if problem == rules.MALFORMED:
        return _("--month: not a month YYYY-MM: {value!r}").format(value=month)
    if problem == rules.FUTURE:
        return _("--month: {value} has not begun yet.").format(value=month)
    return None


def _outputs_problem(*paths: str | None) -> str | None:
    for path in paths:
        if path is None:
            continue
        folder = Path(path).expanduser().resolve().parent
        if not folder.is_dir():
            return _("Cannot write {path}: the folder {folder} does not exist.").format(path=path, folder=folder)
        if Path(path).is_dir():
            return _("Cannot write {path}: it is a folder.").format(path=path)
    return None


def _write(path: str, data_writer) -> str | None:
    try:
        data_writer(path)
    except OSError as error:
        return _("Cannot write {path}: {problem}").format(path=path, problem=error.strerror or error)
    return None


async def _ward(db: Database, name: str) -> org.Unit | None:
    wards = await org.units_of_kind(db, "ward")
    found = rules.pick_by_name(((w.id, w.name) for w in wards), name)
    if len(found) == 1:
        return next(w for w in wards if w.id == found[0])
    if not found:
        print(_("No ward is named {name!r}.").format(name=name), file=sys.stderr)
    else:
        names = ", ".join(w.name for w in wards if w.id in found[:10])
        print(_("{name!r} matches several: {names}").format(name=name, names=names), file=sys.stderr)
    return None


def _prepare(args):
    config = load_config_or_exit(args)
    setup_logging("WARNING")
    return config


def run_ward(args: argparse.Namespace) -> int:
    return _run_month_report(args, _run_ward)


def _run_month_report(args: argparse.Namespace, report) -> int:
    """The checks a month's report makes before it reads anything, then `report(config, path, args)`."""
    config = _prepare(args)
    problem = _month_problem(args.month, config)
    if problem:
        return _fail(problem, USAGE)
    problem = _outputs_problem(args.out, args.chart)
    if problem:
        return _fail(problem, USAGE)
    path = existing_database(config)
    if path is None:
        return FAILED
    return asyncio.run(report(config, path, args))


async def _run_ward(config, path, args) -> int:
    t = i18n.cli()
    async with Database.connect(path) as db:
        ward = await _ward(db, args.ward)
        if ward is None:
            return USAGE
        report = await facts.ward_report(db, config, ward, args.month)
    problem = _write(args.out, lambda p: xlsx.save(xlsx.ward_workbook(report, t), p))
    if problem is None and args.chart:
        problem = _write(args.chart, lambda p: charts.ward_attendance(report, config.meeting.target, t, p))
    if problem:
        return _fail(problem, USAGE)
    totals = report.totals
    print(_("{ward}, {month}: {reported} of {cells} cells met, attendance {rate}; written to {path}").format(
        ward=ward.name, month=args.month, reported=totals.reported, cells=totals.cells,
        rate=_rate(t, totals.start_rate), path=args.out))
    return OK


def _rate(t, value) -> str:
    return "—" if value is None else t.format_percent(value)


def run_city(args: argparse.Namespace) -> int:
    return _run_month_report(args, _run_city)


async def _run_city(config, path, args) -> int:
    t = i18n.cli()
    async with Database.connect(path) as db:
        city = await facts.city_report(db, config, args.month)
    problem = _write(args.out, lambda p: xlsx.save(xlsx.city_workbook(city.report, city.trend, t), p))
    if problem is None and args.chart:
        problem = _write(args.chart, lambda p: charts.city_trend(city.trend, config.meeting.target, t, p))
    if problem:
        return _fail(problem, USAGE)
    totals = city.report.totals
    print(_("The city, {month}: {reported} of {cells} cells met, attendance {rate}; written to {path}").format(
        month=args.month, reported=totals.reported, cells=totals.cells, rate=_rate(t, totals.start_rate),
        path=args.out))
    return OK


def run_quarter(args: argparse.Namespace) -> int:
    config = _prepare(args)
    current = period_of(SystemClock(config.tz).now().date())
    problem = rules.check_quarter(args.quarter, current)
    if problem == rules.MALFORMED:
        return _fail(_("--quarter: not a quarter YYYY-QN (for example 2026-Q4): {value!r}").format(value=args.quarter))
    if problem == rules.FUTURE:
        return _fail(_("--quarter: {value} has not begun yet.").format(value=args.quarter))
    problem = _outputs_problem(args.out)
    if problem:
        return _fail(problem, USAGE)
    path = existing_database(config)
    if path is None:
        return FAILED
    return asyncio.run(_run_quarter(config, path, args))


async def _run_quarter(config, path, args) -> int:
    t = i18n.cli()
    quarter = args.quarter.upper()
    async with Database.connect(path) as db:
        ward = None
        if args.ward is not None:
            ward = await _ward(db, args.ward)
            if ward is None:
                return USAGE
        framework = config.evaluation.framework()
        cells = await quarter_results(db, config, quarter, ward_id=ward.id if ward else None)
        scope = ward.name if ward else config.organisation.name
    problem = _write(args.out, lambda p: xlsx.save(xlsx.quarter_workbook(quarter, framework, cells, t, scope), p))
    if problem:
        return _fail(problem, USAGE)
    scored = sum(1 for cell in cells if cell.result.complete)
    print(_("{unit}, {quarter}: {scored} of {cells} cells fully scored; written to {path}").format(
        unit=scope, quarter=quarter, scored=scored, cells=len(cells), path=args.out))
    return OK
