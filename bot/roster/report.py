"""The roster in words: why a file was refused (one line per problem), what an import did, and the
statistics table — in the reader's language (a `Translator`), numbers formatted by Babel."""

from __future__ import annotations

from bot.core import i18n, problems
from bot.core.i18n import N_
from bot.roster import reader
from bot.rules import roster as rules
from storage.roster import WardStats

# Each reason, with the placeholders it may use: {value}, {roles}, {rows}.
_REASONS = {
    rules.HEADER_MISSING: N_("the column “{value}” is missing"),
    rules.HEADER_DUPLICATE: N_("this column appears twice"),
    rules.ROLE_MISSING: N_("the role is empty (it must be one of: {roles})"),
    rules.ROLE_UNKNOWN: N_("unknown role “{value}” (it must be one of: {roles})"),
    rules.WARD_MISSING: N_("the ward is empty"),
    rules.NAME_MISSING: N_("the name is empty"),
    rules.CELL_MISSING: N_("a secretary, deputy or member must have a cell"),
    rules.WARD_STAFF_WITH_CELL: N_("ward staff have no cell: leave “{value}” out"),
    rules.CITY_STAFF_WITH_UNIT: N_("city staff have no ward or cell: leave “{value}” out"),
    rules.PHONE_INVALID: N_("“{value}” is not a Vietnamese mobile or landline number"),
    rules.PHONE_MISSING: N_("a secretary, deputy or ward or city staff member needs a phone number to join"),
    rules.EXEMPT_UNKNOWN: N_("“{value}” is neither yes nor no (use yes/no, x, có/không or 1/0)"),
    rules.SECRETARY_DUPLICATE: N_("cell “{value}” has a second secretary"),
    rules.PHONE_DUPLICATE: N_("the phone number {value} is listed twice"),
    rules.NAME_DUPLICATE: N_("“{value}” is listed twice in the same unit without a phone number: add the "
                             "phone numbers to tell them apart"),
    rules.NO_ROWS: N_("the file lists nobody"),
    reader.FILE_MISSING: N_("there is no file {value}"),
    reader.FILE_TYPE: N_("“{value}” files cannot be read: save the roster as .xlsx or .csv"),
    reader.FILE_UNREADABLE: N_("the file cannot be read: {value}"),
    reader.FILE_NOT_WORKBOOK: N_("this is not an Excel .xlsx workbook (an old .xls or another file renamed?): "
                                 "open it in Excel and save it as .xlsx"),
    reader.FILE_ENCODING: N_("the CSV file is not in UTF-8: in Excel, save it as “CSV UTF-8”"),
    reader.FILE_EMPTY: N_("the file is empty"),
}


def role_words(t: i18n.Translator) -> str:
    """The role words a file may use, as the reader would write them."""
    if t.lang == "vi":
        return ", ".join(rules.ROLE_WORDS.values())
    return ", ".join(f"{role} ({rules.ROLE_WORDS[role]})" for role in rules.ROLES)


def describe(problem: rules.Problem, t: i18n.Translator) -> str:
    """One line: where (row, column) and why."""
    value = problems.os_reason(problem.value, t) if problem.code == reader.FILE_UNREADABLE else problem.value
    reason = t.gettext(_REASONS.get(problem.code, problem.code)).format(value=value, roles=role_words(t))
    if problem.others:
        others = ", ".join(t.format_number(n) for n in problem.others)
        reason += " " + t.ngettext("(also row {rows})", "(also rows {rows})", len(problem.others)).format(
            rows=others)
    if problem.row is None:
        return reason
    if problem.column:
        return t.gettext("Row {row}, column “{column}”: {reason}").format(
            row=problem.row, column=problem.column, reason=reason)
    return t.gettext("Row {row}: {reason}").format(row=problem.row, reason=reason)


def rejection(path: str, problems: list[rules.Problem], t: i18n.Translator) -> list[str]:
    """The refusal: a heading, then every problem."""
    count = len(problems)
    heading = t.ngettext(
        "{file} was not imported: {count} problem was found. Nothing was changed.",
        "{file} was not imported: {count} problems were found. Nothing was changed.", count,
    ).format(file=path, count=t.format_number(count))
    return [heading] + ["  " + describe(problem, t) for problem in problems]


def summary_lines(path: str, summary, seconds: float, t: i18n.Translator) -> list[str]:
    """What an import did (an `ImportSummary`)."""
    n = t.format_number
    lines = [t.gettext("Imported {file}: {rows} people in {wards} wards and {cells} cells.").format(
        file=path, rows=n(summary.rows), wards=n(summary.wards), cells=n(summary.cells))]
    if summary.changed:
        lines.append(t.gettext(
            "People: {added} added, {updated} updated, {unchanged} unchanged, {deactivated} no longer "
            "listed (now inactive).").format(added=n(summary.added), updated=n(summary.updated),
                                             unchanged=n(summary.unchanged),
                                             deactivated=n(summary.deactivated)))
        lines.append(t.gettext(
            "Roles: {opened} started, {ended} ended. Units: {added} added, {closed} closed, {moved} moved."
        ).format(opened=n(summary.memberships_opened), ended=n(summary.memberships_ended),
                 added=n(summary.units_added), closed=n(summary.units_closed), moved=n(summary.units_moved)))
    else:
        lines.append(t.gettext("Nothing has changed since the last import."))
    lines.append(t.gettext("Took {seconds} s.").format(seconds=t.format_number(round(seconds, 1))))
    return lines


def stats_table(stats: list[WardStats], t: i18n.Translator) -> list[str]:
    """Per ward and in total: cells, secretaries, deputies, members, exempt members, ward staff; then
    the city's own staff. Columns aligned; numbers right-aligned."""
    headings = [t.gettext("Ward"), t.gettext("Cells"), t.gettext("Secretaries"), t.gettext("Deputies"),
                t.gettext("Members"), t.gettext("Exempt"), t.gettext("Ward staff")]
    wards = [s for s in stats if s.ward_id is not None]
    fields = ("cells", "secretaries", "deputies", "members", "exempt", "ward_staff")
    table = [[s.name] + [t.format_number(getattr(s, f)) for f in fields] for s in wards]
    table.append([t.gettext("Total")] + [t.format_number(sum(getattr(s, f) for s in wards)) for f in fields])
    widths = [max(len(row[i]) for row in [headings] + table) for i in range(len(headings))]

    def line(values: list[str]) -> str:
        return "  ".join([values[0].ljust(widths[0])] +
                         [v.rjust(w) for v, w in zip(values[1:], widths[1:])]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [line(headings), rule] + [line(row) for row in table[:-1]] + [rule, line(table[-1])]
    city = sum(s.city_staff for s in stats)
    if city:
        lines.append(t.gettext("City staff: {count}").format(count=t.format_number(city)))
    return lines
