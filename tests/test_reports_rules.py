"""The monthly ward report and the city overview as plain aggregation (bot/rules/reports.py), checked
against figures computed by hand."""

from __future__ import annotations

import pytest

from bot.rules import reports as r
from bot.rules.reports import BOTH, REGULAR, THEMATIC, CellMonth, Count, Recommendation

MONTH = "2026-12"


def cell(cell_id, name, ward_id=1, month=MONTH, start=None, end=None, **kw) -> CellMonth:
    return CellMonth(cell_id, name, ward_id, f"Ward {ward_id}", month, start, end, **kw)


# Ward 1: four cells. A met 27/30 then 26/30 (90 %, 86.7 % → end under target), long enough, thematic;
# B met 20/20 both, too short, regular; C did not report; D met 9/10 both, both kinds, 130 min.
ROWS = [
    cell(1, "An Hoạch", start=Count(27, 30, True), end=Count(26, 30, False), length_ok=True, kind=THEMATIC,
         speakers=5, ward_member_attended=True, recommendations={"new": 2, "resolved": 1}),
    cell(2, "Bà Triệu", start=Count(20, 20, True), end=Count(20, 20, True), length_ok=False, kind=REGULAR,
         speakers=2, ward_member_attended=False, recommendations={"escalated": 1}),
    cell(3, "Cầu Đống"),
    cell(4, "Đông Sơn", start=Count(9, 10, True), end=Count(9, 10, True), length_ok=True, kind=BOTH, speakers=4,
         ward_member_attended=True),
    cell(5, "Other ward", ward_id=2, start=Count(5, 10, False), end=Count(5, 10, False), length_ok=True,
         kind=REGULAR),
    cell(6, "Other ward 2", ward_id=2),
]


def test_ward_totals_by_hand():
    report = r.ward_report(1, "Ward 1", MONTH, ROWS)
    assert [row.cell_name for row in report.rows] == ["An Hoạch", "Bà Triệu", "Cầu Đống", "Đông Sơn"]
    t = report.totals
    assert (t.cells, t.reported, t.not_reported) == (4, 3, 1)
    assert t.reporting_rate == pytest.approx(0.75)
    assert (t.start_present, t.start_eligible) == (56, 60)
    assert t.start_rate == pytest.approx(56 / 60)
    assert (t.end_present, t.end_eligible) == (55, 60)
    assert t.under_target == 1
    assert t.length_ok == 2 and t.length_rate == pytest.approx(2 / 3)
    assert t.thematic == 2                   # thematic and both
    assert t.speakers == 11
    assert t.ward_member_attended == 2 and t.ward_member_rate == pytest.approx(2 / 3)
    assert t.recommendations == {"new": 2, "resolved": 1, "escalated": 1}
    assert [row.cell_name for row in report.not_reported] == ["Cầu Đống"]
    assert [row.cell_name for row in report.under_target] == ["An Hoạch"]


def test_a_ward_without_any_report_has_no_rates():
    report = r.ward_report(3, "Empty", MONTH, [cell(9, "X", ward_id=3)])
    assert report.totals.reported == 0
    assert report.totals.start_rate is None and report.totals.length_rate is None
    assert report.totals.reporting_rate == 0


def test_rows_of_other_months_and_wards_are_left_out():
    rows = ROWS + [cell(1, "An Hoạch", month="2026-11", start=Count(1, 30, False))]
    report = r.ward_report(1, "Ward 1", MONTH, rows)
    assert len(report.rows) == 4 and report.totals.start_present == 56


def test_recommendations_listed_for_the_wards_cells_only():
    recs = [Recommendation("KN-2612-0001", 1, "new"), Recommendation("KN-2612-0002", 5, "escalated")]
    report = r.ward_report(1, "Ward 1", MONTH, ROWS, recs)
    assert [x.code for x in report.recommendations] == ["KN-2612-0001"]


def test_city_report_per_ward_and_most_missing():
    city = r.city_report(MONTH, {1: "Ward 1", 2: "Ward 2", 7: "Ward 7 without cells"}, ROWS,
                         [Recommendation("KN-2612-0002", 2, "escalated")])
    assert [w.ward_name for w in city.wards] == ["Ward 1", "Ward 2", "Ward 7 without cells"]
    assert city.totals.cells == 6 and city.totals.reported == 4
    assert city.totals.start_rate == pytest.approx(61 / 70)
    assert [w.ward_name for w in city.most_missing()] == ["Ward 1", "Ward 2"]   # 1 each, then by name
    assert city.escalated[0].code == "KN-2612-0002"


def test_twelve_month_trend():
    months = r.last_months(MONTH)
    assert months[0] == "2026-01" and months[-1] == MONTH and len(months) == 12
    rows = ROWS + [cell(1, "A", month="2026-06", start=Count(8, 10, False)), cell(2, "B", month="2026-06")]
    points = r.trend(months, rows)
    assert [p.month for p in points] == months
    june = points[5]
    assert june.attendance_rate == pytest.approx(0.8) and june.reporting_rate == pytest.approx(0.5)
    assert points[0].attendance_rate is None and points[0].reporting_rate is None   # no cells that month
    assert points[-1].reporting_rate == pytest.approx(4 / 6)


@pytest.mark.parametrize("quarter, months", [
    ("2026-Q4", ("2026-10", "2026-11", "2026-12")), ("2027-q1", ("2027-01", "2027-02", "2027-03")),
])
def test_quarter_months(quarter, months):
    assert r.quarter_months(quarter) == months
    assert r.quarter_of(months[1]) == quarter.upper()


@pytest.mark.parametrize("bad", ["2026-Q5", "2026Q4", "26-Q1", "2026-Q", "", "2026-Q04", "abcd-Q1"])
def test_malformed_quarters(bad):
    with pytest.raises(ValueError):
        r.quarter_months(bad)


def test_last_months_across_the_year():
    assert r.last_months("2027-02", 3) == ["2026-12", "2027-01", "2027-02"]


from hypothesis import given, strategies as st  # noqa: E402


@st.composite
def cell_months(draw):
    count = draw(st.integers(min_value=0, max_value=30))
    rows = []
    for cell_id in range(count):
        ward_id = draw(st.integers(min_value=1, max_value=4))
        if draw(st.booleans()):
            eligible = draw(st.integers(min_value=0, max_value=80))
            start = Count(draw(st.integers(min_value=0, max_value=eligible)), eligible, draw(st.booleans()))
            end = draw(st.one_of(st.none(), st.just(Count(start.present, eligible, start.meets_target))))
            rows.append(cell(cell_id, f"C{cell_id}", ward_id, start=start, end=end, length_ok=draw(st.booleans()),
                             kind=draw(st.sampled_from([None, REGULAR, THEMATIC, BOTH])),
                             recommendations={"new": draw(st.integers(min_value=0, max_value=3))}))
        else:
            rows.append(cell(cell_id, f"C{cell_id}", ward_id))
    return rows


@given(cell_months())
def test_the_city_is_the_sum_of_its_wards(rows):
    city = r.city_report(MONTH, {1: "A", 2: "B", 3: "C", 4: "D"}, rows)
    for field in ("cells", "reported", "start_present", "start_eligible", "end_present", "end_eligible",
                  "under_target", "length_ok", "thematic"):
        assert getattr(city.totals, field) == sum(getattr(w.totals, field) for w in city.wards), field
    assert sum(w.totals.recommendations.get("new", 0) for w in city.wards) == city.totals.recommendations.get("new", 0)
    for ward in city.wards:
        assert len(ward.not_reported) == ward.totals.not_reported
        assert 0 <= (ward.totals.start_rate or 0) <= 1 and 0 <= (ward.totals.reporting_rate or 0) <= 1
