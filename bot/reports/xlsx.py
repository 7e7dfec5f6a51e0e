"""The reports as Excel workbooks (openpyxl): the ward's month, the city's month, the quarter's evaluation.

Each sheet: a title line, then a header row (frozen, in the reader's language: Vietnamese by default), one
row per cell or ward, a totals row in bold; percentages stored as fractions and formatted as percentages;
column widths fitted to their longest text. Values, not formulas: every figure is the one the chat shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.i18n import N_, Translator
from bot.reports.labels import STATUS_LABELS, explain, kind_label, month_label, quarter_label, status_label, yes_no
from bot.rules.evaluation import Framework, Result
from bot.rules.reports import END, CellMonth, CityReport, Totals, TrendPoint, WardReport

PERCENT = "0.0%"
INTEGER = "0"
POINTS = "0.0"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    header: str                          # English source text, translated when written
    value: Callable[[Any], Any]
    number_format: str | None = None


def _statuses(counts: Iterable[dict]) -> list[str]:
    """The recommendation statuses that occur, in the report's order (unknown ones last)."""
    seen = {status for mapping in counts for status, n in mapping.items() if n}
    ordered = [status for status in STATUS_LABELS if status in seen]
    return ordered + sorted(seen - set(ordered))


def _write_table(sheet: Worksheet, t: Translator, title: str, columns: Sequence[Column], items: Iterable[Any],
                 totals: Sequence[Any] | None = None, *, first_row: int = 1, freeze: bool = True) -> int:
    """Title, header, rows, optional totals row (already in column order). Returns the next free row."""
    sheet.cell(first_row, 1, title).font = Font(bold=True, size=13)
    header_row = first_row + 1
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(header_row, index, t.gettext(column.header) if column.header else "")
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    row = header_row + 1
    for item in items:
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(row, index, column.value(item))
            if column.number_format:
                cell.number_format = column.number_format
        row += 1
    if totals is not None:
        for index, (column, value) in enumerate(zip(columns, totals), start=1):
            cell = sheet.cell(row, index, value)
            cell.font = BOLD
            if column.number_format:
                cell.number_format = column.number_format
        row += 1
    if freeze:
        sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    return row


def _fit_widths(sheet: Worksheet) -> None:
    """Each column as wide as its longest value (headers wrap at a reasonable width)."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None or (cell.row == 1 and cell.column == 1):
                continue   # the title may run across
            text = f"{cell.value:.1%}" if cell.number_format == PERCENT and isinstance(cell.value, float) \
                else str(cell.value)
            longest = max(len(line) for line in text.split("\n"))
            if cell.font and cell.font.bold and cell.fill == HEADER_FILL:
                longest = min(longest, 18)   # headers wrap
            widths[cell.column] = max(widths.get(cell.column, 0), longest)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(MAX_WIDTH, width + 2)


def _rate(count) -> float | None:
    return None if count is None or not count.eligible else count.present / count.eligible


def _cell_columns(t: Translator, statuses: Sequence[str], *, with_ward: bool = False) -> list[Column]:
    columns = [Column(N_("No."), lambda item: item[0])]
    if with_ward:
        columns.append(Column(N_("Ward"), lambda item: item[1].ward_name))
    columns += [
        Column(N_("Cell"), lambda item: item[1].cell_name),
        Column(N_("Met"), lambda item: yes_no(t, item[1].reported)),
        Column(N_("Meeting day"), lambda item: item[1].meeting_day or ""),
        Column(N_("Start: present"), lambda item: item[1].start.present if item[1].start else None, INTEGER),
        Column(N_("Start: eligible"), lambda item: item[1].start.eligible if item[1].start else None, INTEGER),
        Column(N_("Start: rate"), lambda item: _rate(item[1].start), PERCENT),
        Column(N_("End: present"), lambda item: item[1].end.present if item[1].end else None, INTEGER),
        Column(N_("End: eligible"), lambda item: item[1].end.eligible if item[1].end else None, INTEGER),
        Column(N_("End: rate"), lambda item: _rate(item[1].end), PERCENT),
        Column(N_("Below target"), lambda item: yes_no(t, item[1].under_target) if item[1].reported else ""),
        Column(N_("Length (minutes)"), lambda item: item[1].length_minutes, INTEGER),
        Column(N_("Minimum (minutes)"), lambda item: item[1].minimum_minutes if item[1].reported else None, INTEGER),
        Column(N_("Length at the minimum"), lambda item: yes_no(t, item[1].length_ok) if item[1].reported else ""),
        Column(N_("Kind"), lambda item: kind_label(t, item[1].kind)),
        Column(N_("Members who spoke"), lambda item: item[1].speakers, INTEGER),
        Column(N_("Ward member attended"), lambda item: yes_no(t, item[1].ward_member_attended)),
    ]
    for status in statuses:
        columns.append(Column("", lambda item, s=status: item[1].recommendations.get(s, 0), INTEGER))
    return columns


def _status_headers(sheet: Worksheet, t: Translator, columns: Sequence[Column], statuses: Sequence[str],
                    header_row: int) -> None:
    """Recommendation status columns are headed "Recommendations: <status>"."""
    first = len(columns) - len(statuses) + 1
    for offset, status in enumerate(statuses):
        sheet.cell(header_row, first + offset).value = t.gettext(N_("Recommendations: {status}")).format(
            status=status_label(t, status))


def _cell_totals(t: Translator, summed: Totals, statuses: Sequence[str], *, with_ward: bool = False) -> list:
    values: list = [t.gettext(N_("Total"))]
    if with_ward:
        values.append("")
    values += [
        t.gettext(N_("{count} cells")).format(count=summed.cells),
        summed.reported, "",
        summed.start_present, summed.start_eligible, summed.start_rate,
        summed.end_present, summed.end_eligible, summed.end_rate,
        summed.under_target, None, None, summed.length_ok, summed.thematic, summed.speakers,
        summed.ward_member_attended,
    ]
    values += [summed.recommendations.get(status, 0) for status in statuses]
    return values


def _absent_and_recommendations(book: Workbook, t: Translator, rows: Sequence[CellMonth], recommendations,
                                title: str) -> None:
    sheet = book.create_sheet(t.gettext(N_("Absent, recommendations"))[:31])
    absent_columns = [
        Column(N_("Cell"), lambda item: item[0].cell_name),
        Column(N_("Roll call"), lambda item: t.gettext(N_("end")) if item[1].phase == END else t.gettext(N_("start"))),
        Column(N_("Name"), lambda item: item[1].name),
        Column(N_("With a reason"), lambda item: yes_no(t, item[1].excused)),
        Column(N_("Reason"), lambda item: item[1].reason),
    ]
    absent = [(row, person) for row in rows for person in row.absent]
    next_row = _write_table(sheet, t, title, absent_columns, absent)
    names = {row.cell_id: row.cell_name for row in rows}
    recommendation_columns = [
        Column(N_("Code"), lambda r: r.code),
        Column(N_("Cell"), lambda r: names.get(r.cell_id, "")),
        Column(N_("Category"), lambda r: r.category),
        Column(N_("Status"), lambda r: status_label(t, r.status)),
        Column(N_("Summary"), lambda r: r.summary),
    ]
    _write_table(sheet, t, t.gettext(N_("Recommendations of the month")), recommendation_columns, recommendations,
                 first_row=next_row + 1, freeze=False)
    _fit_widths(sheet)


def ward_workbook(report: WardReport, t: Translator) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = t.gettext(N_("Cells"))[:31]
    statuses = _statuses(row.recommendations for row in report.rows)
    columns = _cell_columns(t, statuses)
    title = t.gettext(N_("{ward}: the cells' meetings of {month}")).format(
        ward=report.ward_name, month=month_label(t, report.month))
    _write_table(sheet, t, title, columns, enumerate(report.rows, start=1),
                 _cell_totals(t, report.totals, statuses))
    _status_headers(sheet, t, columns, statuses, 2)
    _fit_widths(sheet)
    _absent_and_recommendations(book, t, report.rows, report.recommendations,
                                t.gettext(N_("Absent members")))
    return book


def city_workbook(report: CityReport, trend: Sequence[TrendPoint], t: Translator) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = t.gettext(N_("Wards"))[:31]
    statuses = _statuses(ward.totals.recommendations for ward in report.wards)
    columns = [
        Column(N_("No."), lambda item: item[0]),
        Column(N_("Ward"), lambda item: item[1].ward_name),
        Column(N_("Number of cells"), lambda item: item[1].totals.cells, INTEGER),
        Column(N_("Met"), lambda item: item[1].totals.reported, INTEGER),
        Column(N_("Did not report"), lambda item: item[1].totals.not_reported, INTEGER),
        Column(N_("Reporting rate"), lambda item: item[1].totals.reporting_rate, PERCENT),
        Column(N_("Start: present"), lambda item: item[1].totals.start_present, INTEGER),
        Column(N_("Start: eligible"), lambda item: item[1].totals.start_eligible, INTEGER),
        Column(N_("Start: rate"), lambda item: item[1].totals.start_rate, PERCENT),
        Column(N_("End: rate"), lambda item: item[1].totals.end_rate, PERCENT),
        Column(N_("Cells below target"), lambda item: item[1].totals.under_target, INTEGER),
        Column(N_("Length at the minimum"), lambda item: item[1].totals.length_ok, INTEGER),
        Column(N_("Thematic meetings"), lambda item: item[1].totals.thematic, INTEGER),
        Column(N_("Ward member attended"), lambda item: item[1].totals.ward_member_attended, INTEGER),
    ] + [Column("", lambda item, s=status: item[1].totals.recommendations.get(s, 0), INTEGER) for status in statuses]
    summed = report.totals
    totals = [t.gettext(N_("Total")), t.gettext(N_("{count} wards")).format(count=len(report.wards)),
              summed.cells, summed.reported, summed.not_reported, summed.reporting_rate, summed.start_present,
              summed.start_eligible, summed.start_rate, summed.end_rate, summed.under_target, summed.length_ok,
              summed.thematic, summed.ward_member_attended] + [summed.recommendations.get(s, 0) for s in statuses]
    title = t.gettext(N_("The city's cell meetings of {month}")).format(month=month_label(t, report.month))
    _write_table(sheet, t, title, columns, enumerate(report.wards, start=1), totals)
    _status_headers(sheet, t, columns, statuses, 2)
    _fit_widths(sheet)

    cells = book.create_sheet(t.gettext(N_("Cells"))[:31])
    rows = [row for ward in report.wards for row in ward.rows]
    cell_statuses = _statuses(row.recommendations for row in rows)
    cell_columns = _cell_columns(t, cell_statuses, with_ward=True)
    _write_table(cells, t, title, cell_columns, enumerate(rows, start=1),
                 _cell_totals(t, summed, cell_statuses, with_ward=True))
    _status_headers(cells, t, cell_columns, cell_statuses, 2)
    _fit_widths(cells)

    missing = book.create_sheet(t.gettext(N_("Missing, escalated"))[:31])
    next_row = _write_table(missing, t, t.gettext(N_("Wards with the most missing reports")), [
        Column(N_("Ward"), lambda ward: ward.ward_name),
        Column(N_("Did not report"), lambda ward: ward.totals.not_reported, INTEGER),
        Column(N_("Number of cells"), lambda ward: ward.totals.cells, INTEGER),
        Column(N_("Cells that did not report"), lambda ward: ", ".join(row.cell_name for row in ward.not_reported)),
    ], report.most_missing(10))
    ward_of_cell = {row.cell_id: (row.ward_name, row.cell_name) for row in rows}
    _write_table(missing, t, t.gettext(N_("Recommendations escalated to the city")), [
        Column(N_("Code"), lambda r: r.code),
        Column(N_("Ward"), lambda r: ward_of_cell.get(r.cell_id, ("", ""))[0]),
        Column(N_("Cell"), lambda r: ward_of_cell.get(r.cell_id, ("", ""))[1]),
        Column(N_("Category"), lambda r: r.category),
        Column(N_("Status"), lambda r: status_label(t, r.status)),
        Column(N_("Summary"), lambda r: r.summary),
    ], report.escalated, first_row=next_row + 1, freeze=False)
    _fit_widths(missing)

    trend_sheet = book.create_sheet(t.gettext(N_("12 months"))[:31])
    _write_table(trend_sheet, t, t.gettext(N_("The city over twelve months")), [
        Column(N_("Month"), lambda p: month_label(t, p.month)),
        Column(N_("Attendance (start roll call)"), lambda p: p.attendance_rate, PERCENT),
        Column(N_("Reporting rate"), lambda p: p.reporting_rate, PERCENT),
    ], trend)
    _fit_widths(trend_sheet)
    return book


@dataclass(frozen=True)
class EvaluatedCell:
    ward_name: str
    cell_name: str
    result: Result


def quarter_workbook(quarter: str, framework: Framework, cells: Sequence[EvaluatedCell], t: Translator,
                     scope_name: str) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = t.gettext(N_("Evaluation"))[:31]
    lang = t.lang
    columns = [Column(N_("No."), lambda item: item[0]), Column(N_("Ward"), lambda item: item[1].ward_name),
               Column(N_("Cell"), lambda item: item[1].cell_name)]
    for index, criterion in enumerate(framework.criteria):
        columns.append(Column("", lambda item, i=index: item[1].result.lines[i].points, POINTS))
    columns += [
        Column(N_("Total"), lambda item: item[1].result.total, POINTS),
        Column(N_("Class"), lambda item: item[1].result.grade.name(lang) if item[1].result.grade
               else t.gettext(N_("not scored yet"))),
    ]
    title = t.gettext(N_("{unit}: evaluation of the meetings, {quarter}")).format(
        unit=scope_name, quarter=quarter_label(t, quarter))
    _write_table(sheet, t, title, columns, enumerate(cells, start=1))
    for index, criterion in enumerate(framework.criteria):
        sheet.cell(2, 4 + index).value = t.gettext(N_("{name} (max {points})")).format(
            name=criterion.name(lang), points=t.format_number(criterion.points))
    _fit_widths(sheet)

    how = book.create_sheet(t.gettext(N_("How computed"))[:31])
    lines = [(cell, line) for cell in cells for line in cell.result.lines]
    _write_table(how, t, t.gettext(N_("Points of each criterion")), [
        Column(N_("Ward"), lambda item: item[0].ward_name),
        Column(N_("Cell"), lambda item: item[0].cell_name),
        Column(N_("Criterion"), lambda item: item[1].criterion.name(lang)),
        Column(N_("Points"), lambda item: item[1].points, POINTS),
        Column(N_("Maximum"), lambda item: item[1].criterion.points, POINTS),
        Column(N_("How"), lambda item: explain(t, item[1])),
    ], lines)
    _fit_widths(how)
    return book


def save(book: Workbook, path: str | Path) -> Path:
    path = Path(path)
    book.save(path)
    return path
