"""The roster file's rules: which headers and words it may use, and what makes a row bad.

A ward keeps its list of party members in a spreadsheet, one row per person: ward (the ward or commune
party committee, *đảng bộ phường/xã*), cell (*chi bộ*), full name, role, phone, exempt from meetings
(*miễn sinh hoạt*: elderly or ill members the cell excused). Headers may be English or Vietnamese, and
headers, roles and yes/no words match without regard to case or diacritics (`bi thu` = `Bí thư`). Names
keep their diacritics as written (in NFC).

`validate()` takes the cells as text and returns either the rows or every problem found, each with its
row number as the spreadsheet shows it, the column as written and a reason code (translated by
`bot/roster/report.py`). Plain data in, plain data out: no file, no database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from bot.rules.phone import display_phone, normalize_phone
from bot.rules.text import fold, normalize_name

WARD, CELL, NAME, ROLE, PHONE, EXEMPT = "ward", "cell", "name", "role", "phone", "exempt"
FIELDS = (WARD, CELL, NAME, ROLE, PHONE, EXEMPT)
# Without an exempt column nobody is exempt; every other column must be there.
REQUIRED_FIELDS = (WARD, CELL, NAME, ROLE, PHONE)

SECRETARY, DEPUTY, MEMBER, WARD_STAFF, CITY_STAFF = "secretary", "deputy", "member", "ward_staff", "city_staff"
ROLES = (SECRETARY, DEPUTY, MEMBER, WARD_STAFF, CITY_STAFF)
CELL_ROLES = (SECRETARY, DEPUTY, MEMBER)
# They join the bot by sharing their phone number, so the roster must have it.
ROLES_NEEDING_PHONE = (SECRETARY, DEPUTY, WARD_STAFF, CITY_STAFF)

# The headers written on export, and the first of each accepted on import.
HEADERS = {
    "vi": {WARD: "Đảng bộ", CELL: "Chi bộ", NAME: "Họ và tên", ROLE: "Chức vụ", PHONE: "Số điện thoại",
           EXEMPT: "Miễn sinh hoạt"},
    "en": {WARD: "ward", CELL: "cell", NAME: "name", ROLE: "role", PHONE: "phone", EXEMPT: "exempt"},
}
_HEADER_ALIASES = {
    WARD: ("ward", "commune", "ward/commune", "dang bo", "dang bo phuong", "dang bo xa", "dang bo phuong/xa"),
    CELL: ("cell", "party cell", "chi bo"),
    NAME: ("name", "full name", "ho va ten", "ho ten"),
    ROLE: ("role", "position", "chuc vu"),
    PHONE: ("phone", "phone number", "telephone", "so dien thoai", "dien thoai", "sdt"),
    EXEMPT: ("exempt", "exempt from meetings", "mien sinh hoat"),
}

# The role words written on export (Vietnamese; English writes the role names themselves).
ROLE_WORDS = {SECRETARY: "Bí thư", DEPUTY: "Phó bí thư", MEMBER: "Đảng viên", WARD_STAFF: "Đảng ủy viên",
              CITY_STAFF: "Cán bộ Thành ủy"}
_ROLE_ALIASES = {
    SECRETARY: ("secretary", "bi thu", "bi thu chi bo"),
    DEPUTY: ("deputy", "deputy secretary", "pho bi thu", "pho bi thu chi bo"),
    MEMBER: ("member", "party member", "dang vien"),
    WARD_STAFF: ("ward staff", "dang uy vien"),
    CITY_STAFF: ("city staff", "can bo thanh uy"),
}
YES_WORDS = ("yes", "y", "x", "co", "1", "true")
NO_WORDS = ("no", "n", "khong", "0", "false", "")

# Reasons a row or the header is bad (see bot/roster/report.py for the words).
HEADER_MISSING = "header_missing"
HEADER_DUPLICATE = "header_duplicate"
ROLE_MISSING = "role_missing"
ROLE_UNKNOWN = "role_unknown"
WARD_MISSING = "ward_missing"
NAME_MISSING = "name_missing"
CELL_MISSING = "cell_missing"
WARD_STAFF_WITH_CELL = "ward_staff_with_cell"
CITY_STAFF_WITH_UNIT = "city_staff_with_unit"
PHONE_INVALID = "phone_invalid"
PHONE_MISSING = "phone_missing"
EXEMPT_UNKNOWN = "exempt_unknown"
SECRETARY_DUPLICATE = "secretary_duplicate"
PHONE_DUPLICATE = "phone_duplicate"
NAME_DUPLICATE = "name_duplicate"
NO_ROWS = "no_rows"


@dataclass(frozen=True)
class RosterRow:
    """One person as the roster lists them. `phone` is normalised (or None); `ward` and `cell` are ""
    where the role has none."""
    ward: str
    cell: str
    name: str
    role: str
    phone: str | None
    exempt: bool = False
    row: int = 0  # where it was in the file (header = row 1); 0 when it comes from elsewhere


@dataclass(frozen=True)
class Problem:
    """What is wrong, where. `column` is the header as written in the file; `others` are the other rows
    involved (duplicates)."""
    row: int | None
    column: str | None
    code: str
    value: str = ""
    others: tuple[int, ...] = ()


@dataclass
class Validation:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _key(text: str) -> str:
    return fold(text.replace("_", " ")).rstrip(":*").strip()


_HEADER_LOOKUP = {alias: name for name, aliases in _HEADER_ALIASES.items() for alias in aliases}
_ROLE_LOOKUP = {alias: role for role, aliases in _ROLE_ALIASES.items() for alias in aliases}


def header_field(text: str) -> str | None:
    """The field a header names, whatever the language, case or diacritics; None if unknown."""
    return _HEADER_LOOKUP.get(_key(text))


def parse_role(text: str) -> str | None:
    return _ROLE_LOOKUP.get(_key(text))


def parse_yes_no(text: str) -> bool | None:
    """True, False, or None when the word is neither (empty means no)."""
    word = _key(text)
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return None


def find_header(rows: Sequence[Sequence[str]]) -> int | None:
    """Which of the first rows is the header: the first naming at least two known columns (ward lists
    often carry a title above it); else the first row that is not blank; None if all are blank."""
    first_filled = None
    for index, values in enumerate(rows):
        if first_filled is None and any(v.strip() for v in values):
            first_filled = index
        if sum(1 for v in values if header_field(v)) >= 2:
            return index
    return first_filled


def map_header(header: Sequence[str], header_row: int = 1) -> tuple[dict[str, int], list[Problem]]:
    """Field → column index, and the problems with the header (each missing column once)."""
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for index, text in enumerate(header):
        name = header_field(text)
        if name is None:
            continue  # other columns (STT, Ghi chú …) are left alone
        if name in columns:
            problems.append(Problem(header_row, text.strip(), HEADER_DUPLICATE))
            continue
        columns[name] = index
    for name in REQUIRED_FIELDS:
        if name not in columns:
            problems.append(Problem(header_row, None, HEADER_MISSING,
                                    f"{HEADERS['vi'][name]} / {HEADERS['en'][name]}"))
    return columns, problems


def validate(header: Sequence[str], rows: Sequence[tuple[int, Sequence[str]]], header_row: int = 1) -> Validation:
    """Check every row; `rows` are (row number in the file, cell texts). Blank rows are skipped."""
    columns, problems = map_header(header, header_row)
    if problems:
        return Validation([], problems)
    titles = {name: header[index].strip() for name, index in columns.items()}
    result = Validation()

    def cell(values: Sequence[str], name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(values):
            return ""
        return values[index] or ""

    for number, values in rows:
        if not any((v or "").strip() for v in values):
            continue
        row_problems: list[Problem] = []

        def bad(name: str, code: str, value: str = "") -> None:
            row_problems.append(Problem(number, titles.get(name), code, value.strip()))

        ward = normalize_name(cell(values, WARD))
        cell_name = normalize_name(cell(values, CELL))
        name = normalize_name(cell(values, NAME))
        role_text, phone_text, exempt_text = cell(values, ROLE), cell(values, PHONE), cell(values, EXEMPT)

        role = parse_role(role_text)
        if not role_text.strip():
            bad(ROLE, ROLE_MISSING)
        elif role is None:
            bad(ROLE, ROLE_UNKNOWN, role_text)
        if role == CITY_STAFF:
            if ward or cell_name:
                bad(WARD if ward else CELL, CITY_STAFF_WITH_UNIT, ward or cell_name)
        elif not ward:
            bad(WARD, WARD_MISSING)
        if role in CELL_ROLES and not cell_name:
            bad(CELL, CELL_MISSING)
        if role == WARD_STAFF and cell_name:
            bad(CELL, WARD_STAFF_WITH_CELL, cell_name)
        if not name:
            bad(NAME, NAME_MISSING)
        phone = normalize_phone(phone_text) if phone_text.strip() else None
        if phone_text.strip() and phone is None:
            bad(PHONE, PHONE_INVALID, phone_text)
        elif phone is None and role in ROLES_NEEDING_PHONE:
            bad(PHONE, PHONE_MISSING)
        exempt = parse_yes_no(exempt_text)
        if exempt is None:
            bad(EXEMPT, EXEMPT_UNKNOWN, exempt_text)

        if row_problems:
            result.problems.extend(row_problems)
        else:
            result.rows.append(RosterRow(ward, cell_name, name, role, phone, bool(exempt), number))

    result.problems.extend(_duplicates(result.rows, titles))
    if not result.problems and not result.rows:
        result.problems.append(Problem(None, None, NO_ROWS))
    position = {titles[name]: index for name, index in columns.items()}
    result.problems.sort(key=lambda p: (p.row or 0, position.get(p.column, -1), p.code))
    if result.problems:
        result.rows = []
    return result


def unit_key(row: RosterRow) -> tuple[str, str]:
    """Which unit a row belongs to, folded: (ward, cell); ("", "") for city staff."""
    return fold(row.ward), fold(row.cell)


def _duplicates(rows: list[RosterRow], titles: dict[str, str]) -> list[Problem]:
    """Rows that are fine alone but not together: each row involved is reported, naming the others."""
    problems = []
    by_phone: dict[str, list[RosterRow]] = defaultdict(list)
    secretaries: dict[tuple[str, str], list[RosterRow]] = defaultdict(list)
    # Without a phone a person is told apart by name within the unit, so two such names are one too many.
    phoneless: dict[tuple[str, str, str], list[RosterRow]] = defaultdict(list)
    for row in rows:
        if row.phone:
            by_phone[row.phone].append(row)
        else:
            phoneless[(*unit_key(row), fold(row.name))].append(row)
        if row.role == SECRETARY:
            secretaries[unit_key(row)].append(row)
    for groups, code, column, value in (
        (by_phone.values(), PHONE_DUPLICATE, PHONE, lambda r: display_phone(r.phone or "")),
        (secretaries.values(), SECRETARY_DUPLICATE, ROLE, lambda r: r.cell),
        (phoneless.values(), NAME_DUPLICATE, NAME, lambda r: r.name),
    ):
        for group in groups:
            if len(group) < 2:
                continue
            numbers = [r.row for r in group]
            for r in group:
                problems.append(Problem(r.row, titles.get(column), code, value(r),
                                        tuple(n for n in numbers if n != r.row)))
    return problems
