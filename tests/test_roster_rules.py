from __future__ import annotations

import unicodedata

import pytest

from bot.rules import roster as r
from bot.rules.roster import Problem, RosterRow, find_header, parse_role, parse_yes_no, validate

VI = ["Đảng bộ", "Chi bộ", "Họ và tên", "Chức vụ", "Số điện thoại", "Miễn sinh hoạt"]
EN = ["ward", "cell", "name", "role", "phone", "exempt"]


def rows(*values):
    """Data rows numbered as in a spreadsheet whose header is row 1."""
    return [(number, list(v)) for number, v in enumerate(values, start=2)]


GOOD = [
    ("Nam Ngạn", "", "Lê Văn An", "Đảng ủy viên", "0912 000 001", ""),
    ("Nam Ngạn", "Nguyễn Mộng Tuân 2", "Trần Thị Bình", "Bí thư", "0912 000 002", ""),
    ("Nam Ngạn", "Nguyễn Mộng Tuân 2", "Phạm Văn Cường", "Phó bí thư", "+84 912 000 003", "không"),
    ("Nam Ngạn", "Nguyễn Mộng Tuân 2", "Hoàng Thị Dung", "Đảng viên", "", "x"),
    ("", "", "Đỗ Văn Em", "Cán bộ Thành ủy", "0237 3852 123", ""),
]


def test_vietnamese_and_english_headers_read_the_same():
    vi = validate(VI, rows(*GOOD))
    en = validate(EN, rows(*GOOD))
    assert vi.ok and en.ok
    assert vi.rows == en.rows
    assert vi.rows[1] == RosterRow("Nam Ngạn", "Nguyễn Mộng Tuân 2", "Trần Thị Bình", "secretary", "84912000002",
                                   False, 3)
    assert vi.rows[3].phone is None and vi.rows[3].exempt is True
    assert vi.rows[4] == RosterRow("", "", "Đỗ Văn Em", "city_staff", "842373852123", False, 6)


@pytest.mark.parametrize("header", [
    ["DANG BO", "chi bo", "HỌ VÀ TÊN", "chuc vu", "so dien thoai", "mien sinh hoat"],
    ["Ward", "CELL", "Full name", "Role", "Phone number", "Exempt"],
    ["STT", "Đảng bộ", "Chi bộ", "Họ tên", "Chức vụ", "SĐT", "Ghi chú"],  # extra columns, no exempt
])
def test_headers_match_without_case_or_diacritics_in_any_order(header):
    fields = [r.header_field(h) for h in header]
    value = {r.WARD: "Ba Đình", r.CELL: "Khu phố 1", r.NAME: "Lê Thị Hoa", r.ROLE: "member",
             r.PHONE: "0912000001", r.EXEMPT: "x"}
    result = validate(header, rows([value.get(f, "ghi chú") if f else "1" for f in fields]))
    assert result.ok, result.problems
    assert result.rows[0].name == "Lê Thị Hoa" and result.rows[0].exempt == (r.EXEMPT in fields)


@pytest.mark.parametrize("word, role", [
    ("Bí thư", "secretary"), ("bi thu", "secretary"), ("BÍ THƯ", "secretary"), ("  Bí  thư ", "secretary"),
    ("Secretary", "secretary"), ("Phó bí thư", "deputy"), ("pho bi thu", "deputy"), ("DEPUTY", "deputy"),
    ("Đảng viên", "member"), ("dang vien", "member"), ("member", "member"), ("Đảng ủy viên", "ward_staff"),
    ("dang uy vien", "ward_staff"), ("ward_staff", "ward_staff"), ("Ward staff", "ward_staff"),
    ("Cán bộ Thành ủy", "city_staff"), ("can bo thanh uy", "city_staff"), ("city_staff", "city_staff"),
    (unicodedata.normalize("NFD", "Phó Bí Thư"), "deputy"),
])
def test_role_words(word, role):
    assert parse_role(word) == role


@pytest.mark.parametrize("word, value", [
    ("yes", True), ("Yes", True), ("x", True), ("X", True), ("có", True), ("CÓ", True), ("co", True),
    ("1", True), ("true", True), ("TRUE", True), ("no", False), ("không", False), ("khong", False),
    ("0", False), ("false", False), ("", False), ("  ", False), ("maybe", None), ("2", None),
])
def test_yes_no_words(word, value):
    assert parse_yes_no(word) is value


def test_values_are_trimmed_and_names_kept_as_written_in_nfc():
    nfd = unicodedata.normalize("NFD", "Nguyễn  Thị   Hằng ")
    result = validate(EN, rows(["  Nam Ngạn ", " Bà Triệu ", nfd, " bi thu ", " 0912 000 001 ", " "]))
    row = result.rows[0]
    assert (row.ward, row.cell, row.name) == ("Nam Ngạn", "Bà Triệu", "Nguyễn Thị Hằng")
    assert unicodedata.is_normalized("NFC", row.name)


def test_blank_rows_are_skipped_and_row_numbers_kept():
    result = validate(EN, [(2, ["", "", "", "", "", ""]), (3, ["A", "B", "Lê An", "member", "", ""]), (4, [])])
    assert [row.row for row in result.rows] == [3]


def one(values, header=EN):
    return validate(header, rows(values)).problems


@pytest.mark.parametrize("values, expected", [
    (["A", "B", "Lê An", "thu ky", "", ""], [Problem(2, "role", r.ROLE_UNKNOWN, "thu ky")]),
    (["A", "B", "Lê An", "", "", ""], [Problem(2, "role", r.ROLE_MISSING)]),
    (["", "B", "Lê An", "member", "", ""], [Problem(2, "ward", r.WARD_MISSING)]),
    (["A", "B", "  ", "member", "", ""], [Problem(2, "name", r.NAME_MISSING)]),
    (["A", "", "Lê An", "member", "", ""], [Problem(2, "cell", r.CELL_MISSING)]),
    (["A", "", "Lê An", "deputy", "0912000001", ""], [Problem(2, "cell", r.CELL_MISSING)]),
    (["A", "B", "Lê An", "ward_staff", "0912000001", ""], [Problem(2, "cell", r.WARD_STAFF_WITH_CELL, "B")]),
    (["A", "", "Lê An", "city_staff", "0912000001", ""], [Problem(2, "ward", r.CITY_STAFF_WITH_UNIT, "A")]),
    (["A", "B", "Lê An", "member", "0123 456 789", ""], [Problem(2, "phone", r.PHONE_INVALID, "0123 456 789")]),
    (["A", "B", "Lê An", "secretary", "", ""], [Problem(2, "phone", r.PHONE_MISSING)]),
    (["A", "", "Lê An", "ward_staff", "", ""], [Problem(2, "phone", r.PHONE_MISSING)]),
    (["A", "B", "Lê An", "member", "", "maybe"], [Problem(2, "exempt", r.EXEMPT_UNKNOWN, "maybe")]),
    (["", "", "", "boss", "12", "?"], [Problem(2, "ward", r.WARD_MISSING), Problem(2, "name", r.NAME_MISSING),
                                       Problem(2, "role", r.ROLE_UNKNOWN, "boss"),
                                       Problem(2, "phone", r.PHONE_INVALID, "12"),
                                       Problem(2, "exempt", r.EXEMPT_UNKNOWN, "?")]),
])
def test_each_bad_row_is_reported_with_its_column_as_written(values, expected):
    assert one(values) == expected


def test_columns_are_named_as_the_file_writes_them():
    assert one(["A", "B", "Lê An", "thu ky", "", ""], VI) == [Problem(2, "Chức vụ", r.ROLE_UNKNOWN, "thu ky")]


def test_duplicates_name_every_row_involved():
    result = validate(EN, rows(
        ["A", "B", "Lê An", "secretary", "0912000001", ""],
        ["A", "b", "Lê Bình", "bí thư", "0912000002", ""],          # the same cell, folded
        ["A", "C", "Lê Cường", "member", "+84 912 000 001", ""],    # row 2's phone, written otherwise
        ["A", "C", "Lê Dung", "member", "", ""],
        ["A", "C", "le dung", "member", "", ""],                    # the same name without phones
        ["A", "D", "Lê Dung", "member", "", ""],                    # another cell: fine
    ))
    assert not result.rows
    assert result.problems == [
        Problem(2, "role", r.SECRETARY_DUPLICATE, "B", (3,)),    # in the order of the columns
        Problem(2, "phone", r.PHONE_DUPLICATE, "0912 000 001", (4,)),
        Problem(3, "role", r.SECRETARY_DUPLICATE, "b", (2,)),
        Problem(4, "phone", r.PHONE_DUPLICATE, "0912 000 001", (2,)),
        Problem(5, "name", r.NAME_DUPLICATE, "Lê Dung", (6,)),
        Problem(6, "name", r.NAME_DUPLICATE, "le dung", (5,)),
    ]


def test_missing_headers_are_reported_once_and_rows_not_checked():
    result = validate(["ward", "name", "phone", "role", "role"], rows(["", "", "", "", ""], ["x", "y", "z", "q", ""]))
    assert result.problems == [
        Problem(1, "role", r.HEADER_DUPLICATE),
        Problem(1, None, r.HEADER_MISSING, "Chi bộ / cell"),
    ]


def test_a_file_without_people_is_refused():
    assert validate(EN, rows(["", "", "", "", "", ""])).problems == [Problem(None, None, r.NO_ROWS)]


def test_the_header_may_sit_below_a_title():
    table = [["DANH SÁCH ĐẢNG VIÊN", "", ""], ["", "", ""], VI, ["Ba Đình", "Khu phố 1", "Lê An"]]
    assert find_header(table) == 2
    assert find_header([["", ""], ["no", "header"], ["here", ""]]) == 1
    assert find_header([["", ""]]) is None
