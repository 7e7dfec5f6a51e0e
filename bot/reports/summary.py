"""The reports as a short chat message a clerk reads on a phone (HTML): the month's headline figures,
then the cells that did not report and those under target, each list cut after a few names."""

from __future__ import annotations

import html
from typing import Sequence

from bot.core.i18n import N_, Translator
from bot.reports.labels import month_label, percent, quarter_label
from bot.rules.reports import CityReport, WardReport

LISTED = 10


def _names(t: Translator, names: Sequence[str]) -> str:
    shown = ", ".join(html.escape(name) for name in names[:LISTED])
    if len(names) > LISTED:
        shown += " " + t.gettext(N_("and {count} more")).format(count=len(names) - LISTED)
    return shown


def ward_summary(t: Translator, report: WardReport) -> str:
    _ = t.gettext
    s = report.totals
    lines = [
        _("<b>{ward} — cell meetings of {month}</b>").format(ward=html.escape(report.ward_name),
                                                              month=month_label(t, report.month)),
        _("Met: {reported} of {cells} cells ({rate})").format(reported=s.reported, cells=s.cells,
                                                               rate=percent(t, s.reporting_rate)),
        _("Attendance: start {start}, end {end}").format(start=percent(t, s.start_rate), end=percent(t, s.end_rate)),
        _("Long enough: {count} · thematic: {thematic} · ward member attended: {ward_member}").format(
            count=s.length_ok, thematic=s.thematic, ward_member=s.ward_member_attended),
        _("Recommendations: {count}").format(count=sum(s.recommendations.values())),
    ]
    if report.not_reported:
        lines.append(_("Did not report ({count}): {names}").format(
            count=len(report.not_reported), names=_names(t, [row.cell_name for row in report.not_reported])))
    if report.under_target:
        lines.append(_("Under target ({count}): {names}").format(
            count=len(report.under_target), names=_names(t, [row.cell_name for row in report.under_target])))
    lines.append(_("The Excel file and the chart follow."))
    return "\n".join(lines)


def city_summary(t: Translator, report: CityReport) -> str:
    _ = t.gettext
    s = report.totals
    lines = [
        _("<b>The city — cell meetings of {month}</b>").format(month=month_label(t, report.month)),
        _("Met: {reported} of {cells} cells ({rate})").format(reported=s.reported, cells=s.cells,
                                                               rate=percent(t, s.reporting_rate)),
        _("Attendance: start {start}, end {end}").format(start=percent(t, s.start_rate), end=percent(t, s.end_rate)),
        _("Cells under target: {count}").format(count=s.under_target),
        _("Escalated recommendations: {count}").format(count=len(report.escalated)),
    ]
    missing = report.most_missing(5)
    if missing:
        lines.append(_("Most missing reports: {names}").format(names=", ".join(
            f"{html.escape(ward.ward_name)} ({ward.totals.not_reported})" for ward in missing)))
    lines.append(_("The Excel file and the twelve-month chart follow."))
    return "\n".join(lines)


def quarter_summary(t: Translator, scope_name: str, quarter: str, cells) -> str:
    """One line per cell: its total and class (or how many criteria are left to score)."""
    _ = t.gettext
    lines = [_("<b>{unit} — evaluation of {quarter}</b>").format(unit=html.escape(scope_name),
                                                                  quarter=quarter_label(t, quarter))]
    for cell in cells[:40]:
        result = cell.result
        if result.grade is not None:
            lines.append(_("{cell}: {total} points, {grade}").format(
                cell=html.escape(cell.cell_name), total=t.format_number(result.total), grade=result.grade.name(t.lang)))
        else:
            lines.append(_("{cell}: {count} criteria to score").format(
                cell=html.escape(cell.cell_name), count=len(result.missing)))
    if len(cells) > 40:
        lines.append(_("and {count} more").format(count=len(cells) - 40))
    return "\n".join(lines)
