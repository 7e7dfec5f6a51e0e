"""Reading a roster file (.xlsx, or .csv in UTF-8 with or without a BOM, comma, semicolon or tab
separated) into text cells with their spreadsheet row numbers, then checking it (bot/rules/roster.py).

A file that cannot be read at all is reported as a problem without a row, like any other, so that every
caller has one path: `read_roster(path).problems`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from bot.core.problems import errno_name
from bot.rules.roster import Problem, Validation, find_header, validate

# Reasons a whole file is refused (see bot/roster/report.py).
FILE_MISSING = "file_missing"
FILE_TYPE = "file_type"
FILE_UNREADABLE = "file_unreadable"  # detail: the OS error's name ("EACCES"), said by bot/core/problems.py
FILE_NOT_WORKBOOK = "file_not_workbook"
FILE_ENCODING = "file_encoding"
FILE_EMPTY = "file_empty"

SUFFIXES = (".xlsx", ".csv")
# A title, a date line or a blank line may sit above the header; further down we stop looking.
_HEADER_SEARCH_ROWS = 10


class RosterFileError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass
class Table:
    header_row: int  # as the spreadsheet numbers rows: the first is 1
    header: list[str]
    rows: list[tuple[int, list[str]]]


def read_roster(path: str | Path) -> Validation:
    """The file's rows, checked; or every problem with it."""
    try:
        table = read_table(path)
    except RosterFileError as error:
        return Validation([], [Problem(None, None, error.code, error.detail)])
    return validate(table.header, table.rows, table.header_row)


def read_table(path: str | Path) -> Table:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise RosterFileError(FILE_TYPE, path.suffix or path.name)
    if not path.is_file():
        raise RosterFileError(FILE_MISSING, str(path))
    raw = _read_xlsx(path) if suffix == ".xlsx" else _read_csv(path)
    found = find_header([values for values in raw[:_HEADER_SEARCH_ROWS]])
    if found is None:
        raise RosterFileError(FILE_EMPTY, str(path))
    return Table(found + 1, raw[found], [(number, values) for number, values in enumerate(raw, start=1)
                                         if number > found + 1])


def _text(value) -> str:
    """A cell as text: numbers without a trailing .0 (phones typed as numbers), dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except OSError as error:
        raise RosterFileError(FILE_UNREADABLE, errno_name(error)) from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError):
        # Not a zip at all (a renamed .xls or .csv) or a damaged one: openpyxl's own words are English.
        raise RosterFileError(FILE_NOT_WORKBOOK, str(path)) from None
    try:
        sheet = workbook.active
        # Files from other tools often record a wrong size; read what is really there.
        sheet.reset_dimensions()
        return [[_text(value) for value in values] for values in sheet.iter_rows(min_row=1, values_only=True)]
    except OSError as error:
        raise RosterFileError(FILE_UNREADABLE, errno_name(error)) from None
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise RosterFileError(FILE_NOT_WORKBOOK, str(path)) from None
    finally:
        workbook.close()


def _read_csv(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RosterFileError(FILE_UNREADABLE, errno_name(error)) from None
    try:
        text = data.decode("utf-8-sig")  # with or without a BOM (Excel writes one)
    except UnicodeDecodeError:
        raise RosterFileError(FILE_ENCODING, str(path)) from None
    first_lines = text.splitlines()[:_HEADER_SEARCH_ROWS]
    # Excel in a Vietnamese locale separates with ';' (the comma is its decimal mark).
    delimiter = max((",", ";", "\t"), key=lambda d: max((line.count(d) for line in first_lines), default=0))
    return [[_text(value) for value in values]
            for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
