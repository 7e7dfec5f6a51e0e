"""Words the report files and the chat summaries share: kinds of meeting, recommendation statuses, yes/no,
month and quarter names — English source strings, translated per reader."""

from __future__ import annotations

from datetime import date

from bot.core.i18n import N_, Translator
from bot.rules.reports import BOTH, REGULAR, THEMATIC

KIND_LABELS = {REGULAR: N_("regular"), THEMATIC: N_("thematic"), BOTH: N_("regular and thematic")}

# Recommendation statuses (bot/rules/recommendations.py), in the order the report shows them.
STATUS_LABELS = {
    "new": N_("new"), "received": N_("received"), "returned": N_("returned for clarification"),
    "escalated": N_("escalated to the city"), "city_returned": N_("returned by the city"),
    "resolved": N_("resolved by the ward"), "city_resolved": N_("resolved by the city"),
}


def status_label(t: Translator, status: str) -> str:
    return t.gettext(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def kind_label(t: Translator, kind: str | None) -> str:
    return t.gettext(KIND_LABELS[kind]) if kind in KIND_LABELS else ""


def yes_no(t: Translator, value: bool | None) -> str:
    if value is None:
        return ""
    return t.gettext(N_("yes")) if value else t.gettext(N_("no"))


def month_label(t: Translator, month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return t.format_date(date(year, number, 1), format="MM/yyyy")


def quarter_label(t: Translator, quarter: str) -> str:
    year, _sep, number = quarter.upper().partition("-Q")
    return t.gettext(N_("quarter {number}/{year}")).format(number=number, year=year)


def percent(t: Translator, value: float | None) -> str:
    return "—" if value is None else t.format_percent(value)


def explain(t: Translator, line) -> str:
    """How a criterion's points came: "2 of 3 months", or scored by the inspector."""
    if line.computed is None:
        return t.gettext(N_("scored by the inspector")) if line.points is not None else t.gettext(N_("not scored yet"))
    if line.criterion.source == "thematic":
        return t.gettext(N_("a thematic meeting held in the quarter")) if line.computed.done \
            else t.gettext(N_("no thematic meeting in the quarter"))
    return t.gettext(N_("{done} of {of} months")).format(done=line.computed.done, of=line.computed.of)
