"""Writing a roster file in the format `reader.py` reads, so that export → import changes nothing.

Vietnamese headers and role words by default (the wards' own spreadsheets), English on request. Phones
are written grouped ("0912 345 678"), which spreadsheets keep as text with the leading 0.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import BinaryIO, Iterable

from bot.rules.phone import display_phone
from bot.rules.roster import FIELDS, HEADERS, ROLE_WORDS, RosterRow

SUFFIXES = (".xlsx", ".csv")
_COLUMN_WIDTHS = (22, 26, 28, 18, 16, 16)


def row_values(row: RosterRow, language: str = "vi") -> list[str]:
    if language == "vi":
        role, exempt = ROLE_WORDS[row.role], ("x" if row.exempt else "")
    else:
        role, exempt = row.role, ("yes" if row.exempt else "")
    return [row.ward, row.cell, row.name, role, display_phone(row.phone) if row.phone else "", exempt]


def write_roster(path: str | Path, rows: Iterable[RosterRow], language: str = "vi") -> int:
    """Write `rows` to a .xlsx or .csv file (by its suffix); returns how many were written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"unsupported roster file type: {path.suffix!r}")
    header = [HEADERS[language][name] for name in FIELDS]
    values = [row_values(row, language) for row in rows]
    if suffix == ".csv":
        # With a BOM, so that Excel opens it as UTF-8 and the diacritics survive.
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(values)
    else:
        # Opened first, so that a path that cannot be written fails before openpyxl starts its workbook.
        with open(path, "wb") as handle:
            _write_xlsx(handle, header, values)
    return len(values)


def _write_xlsx(out: BinaryIO, header: list[str], values: list[list[str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.freeze_panes = "A2"
    for index, width in enumerate(_COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    title_cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        title_cells.append(cell)
    sheet.append(title_cells)
    for row in values:
        sheet.append(row)
    workbook.save(out)
