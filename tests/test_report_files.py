"""The report files: XLSX workbooks read back with openpyxl (headers, totals, formats, frozen header,
widths, the second sheet) and PNG charts (a valid image of the expected size, Vietnamese drawn without a
missing glyph)."""

from __future__ import annotations

import io
import struct
import warnings

import pytest
from openpyxl import load_workbook

from bot.core.i18n import Translator
from bot.reports import charts, xlsx
from bot.rules import evaluation as ev
from bot.rules import reports as r
from bot.rules.reports import END, START, Absent, CellMonth, Count, Recommendation

from bot.core.config import EvaluationConfig

VI, EN = Translator("vi"), Translator("en")
MONTH = "2026-12"


def rows():
    return [
        CellMonth(1, "Nguyễn Mộng Tuân 2", 1, "Nam Ngạn", MONTH, Count(27, 30, True), Count(26, 30, False),
                  length_minutes=95, minimum_minutes=90, length_ok=True, kind="thematic", speakers=5,
                  ward_member_attended=True, recommendations={"new": 2, "escalated": 1},
                  absent=(Absent("Lê Thị Hằng", START, True, "ốm"), Absent("Trần Văn Đức", END, False)),
                  meeting_day="2026-12-05"),
        CellMonth(2, "Bà Triệu", 1, "Nam Ngạn", MONTH, Count(20, 20, True), Count(20, 20, True),
                  length_minutes=80, minimum_minutes=90, length_ok=False, kind="regular", speakers=2,
                  ward_member_attended=False, meeting_day="2026-12-03"),
        CellMonth(3, "Cầu Đống", 1, "Nam Ngạn", MONTH),
    ]


REPORT = r.ward_report(1, "Nam Ngạn", MONTH, rows(), [Recommendation("KN-2612-0001", 1, "new", "Môi trường", "Rác")])


def reopen(book):
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def test_ward_workbook_in_vietnamese():
    book = reopen(xlsx.ward_workbook(REPORT, VI))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    assert headers[:4] == ["STT", "Chi bộ", "Có sinh hoạt", "Ngày sinh hoạt"]
    assert "Đầu buổi: tỷ lệ" in headers and "Kiến nghị: mới" in headers
    assert sheet.freeze_panes == "A3"
    names = [sheet.cell(row, 2).value for row in range(3, 6)]
    assert names == ["Bà Triệu", "Cầu Đống", "Nguyễn Mộng Tuân 2"]
    rate_column = headers.index("Đầu buổi: tỷ lệ") + 1
    assert sheet.cell(5, rate_column).value == pytest.approx(0.9)
    assert sheet.cell(5, rate_column).number_format == "0.0%"
    assert sheet.cell(4, rate_column).value is None                 # did not report
    totals = [c.value for c in sheet[6]]
    assert totals[0] == "Tổng cộng" and totals[2] == 2              # cells met
    assert totals[headers.index("Đầu buổi: có mặt")] == 47
    assert totals[headers.index("Đầu buổi: tổng số")] == 50
    assert totals[rate_column - 1] == pytest.approx(47 / 50)
    assert sheet.cell(6, 1).font.bold
    width = sheet.column_dimensions["B"].width
    assert len("Nguyễn Mộng Tuân 2") + 2 <= width <= 60
    second = book.worksheets[1]
    values = [[c.value for c in row] for row in second.iter_rows()]
    assert ["Nguyễn Mộng Tuân 2", "đầu buổi", "Lê Thị Hằng", "có", "ốm"] in values
    assert ["Nguyễn Mộng Tuân 2", "cuối buổi", "Trần Văn Đức", "không", None] in values
    assert any(row[0] == "KN-2612-0001" and row[3] == "mới" for row in values)


def test_ward_workbook_in_english():
    sheet = reopen(xlsx.ward_workbook(REPORT, EN)).worksheets[0]
    assert [c.value for c in sheet[2]][:3] == ["No.", "Cell", "Met"]
    assert sheet.cell(6, 1).value == "Total"


def test_city_workbook():
    other = CellMonth(9, "Đông Hương 1", 2, "Đông Hương", MONTH)
    city = r.city_report(MONTH, {1: "Nam Ngạn", 2: "Đông Hương"}, rows() + [other],
                         [Recommendation("KN-2612-0002", 1, "escalated", "Hạ tầng", "Đường hỏng")])
    trend = r.trend(r.last_months(MONTH), rows() + [other])
    book = reopen(xlsx.city_workbook(city, trend, VI))
    wards = book.worksheets[0]
    assert [c.value for c in wards[2]][:3] == ["STT", "Đảng bộ", "Số chi bộ"]
    assert [wards.cell(row, 2).value for row in (3, 4)] == ["Đông Hương", "Nam Ngạn"]
    totals = [c.value for c in wards[5]]
    assert totals[2] == 4 and totals[3] == 2 and totals[4] == 2
    assert totals[5] == pytest.approx(0.5) and wards.cell(5, 6).number_format == "0.0%"
    assert len(list(book.worksheets[1].iter_rows())) == 2 + 4 + 1       # title, header, 4 cells, totals
    missing = [[c.value for c in row] for row in book.worksheets[2].iter_rows()]
    assert any(row[0] == "KN-2612-0002" for row in missing)
    assert [row[0] for row in missing[2:4]] == ["Đông Hương", "Nam Ngạn"]
    assert book.worksheets[3].max_row == 2 + 12


def test_quarter_workbook():
    framework = EvaluationConfig().framework()
    months = r.quarter_months("2026-Q4")
    result = ev.evaluate(framework, 1, "2026-Q4", months, rows(), {"preparation": 10, "content": 15,
                                                                      "minutes": 10, "resolution": 5})
    partial = ev.evaluate(framework, 2, "2026-Q4", months, rows(), {})
    cells = [xlsx.EvaluatedCell("Nam Ngạn", "Nguyễn Mộng Tuân 2", result),
             xlsx.EvaluatedCell("Nam Ngạn", "Bà Triệu", partial)]
    book = reopen(xlsx.quarter_workbook("2026-Q4", framework, cells, VI, "Nam Ngạn"))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    assert headers[3] == "Chuẩn bị nội dung, dự thảo nghị quyết (tối đa 10)"
    assert headers[-2:] == ["Tổng cộng", "Xếp loại"]
    assert sheet.cell(3, len(headers) - 1).value == result.total
    assert sheet.cell(3, len(headers)).value == result.grade.name_vi
    assert sheet.cell(4, len(headers)).value == "chưa chấm"
    how = [[c.value for c in row] for row in book.worksheets[1].iter_rows()]
    assert any(row[2] == "Sinh hoạt đủ các tháng trong quý" and row[5] == "1 trên 3 tháng" for row in how)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_ward_chart_is_a_png_of_the_expected_size_with_every_glyph(tmp_path):
    path = tmp_path / "ward.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # "Glyph … missing from font" would fail here
        data = charts.ward_attendance(REPORT, 0.9, VI, path)
    assert path.read_bytes() == data
    assert png_size(data) == charts.SIZE


def test_city_trend_chart(tmp_path):
    trend = r.trend(r.last_months(MONTH), rows())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = charts.city_trend(trend, 0.9, VI)
    assert png_size(data) == charts.SIZE


def test_a_missing_glyph_is_caught_by_the_warning_check():
    """The check above can fail: a character DejaVu Sans lacks does warn."""
    from matplotlib.figure import Figure

    figure = Figure()
    figure.text(0.5, 0.5, "\u4e2d", family=charts.FONT)
    with pytest.warns(UserWarning, match="missing from font"):
        figure.savefig(io.BytesIO(), format="png")
