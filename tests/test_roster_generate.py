from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict

import pytest

from bot.roster.generate import generate_roster
from bot.roster.reader import read_roster
from bot.roster.writer import write_roster
from bot.rules.phone import normalize_phone
from bot.rules.roster import RosterRow, validate
from bot.rules.text import fold


def shape(rows: list[RosterRow]):
    wards = {row.ward for row in rows if row.ward}
    cells: dict[tuple[str, str], Counter] = defaultdict(Counter)
    ward_staff: Counter = Counter()
    for row in rows:
        if row.cell:
            cells[(row.ward, row.cell)][row.role] += 1
        elif row.role == "ward_staff":
            ward_staff[row.ward] += 1
    return wards, cells, ward_staff


@pytest.mark.parametrize("seed", [7, 1, 2026])
def test_the_shape_of_thanh_hoa_city(seed):
    rows = generate_roster(seed)
    wards, cells, ward_staff = shape(rows)
    roles = Counter(row.role for row in rows)
    assert len(wards) == 34
    assert len(cells) == 311
    assert roles["secretary"] == 311 and roles["deputy"] == 301
    assert roles["secretary"] + roles["deputy"] == 612
    assert all(c["secretary"] == 1 and c["deputy"] <= 1 for c in cells.values())
    assert sum(1 for c in cells.values() if c["deputy"] == 0) == 10
    assert all(15 <= c["member"] <= 80 for c in cells.values())
    assert set(ward_staff) == wards and all(1 <= n <= 3 for n in ward_staff.values())
    assert roles["city_staff"] == 3
    nam_ngan = [cell for ward, cell in cells if ward == "Nam Ngạn"]
    assert len(nam_ngan) == 11 and "Nguyễn Mộng Tuân 2" in nam_ngan
    # a few exempt members, nobody else exempt
    exempt = [row for row in rows if row.exempt]
    assert 0 < len(exempt) < 0.05 * roles["member"] and {row.role for row in exempt} == {"member"}
    # cell names unique within their ward (folded, as the import matches them)
    assert len({(fold(w), fold(c)) for w, c in cells}) == 311


def test_deterministic_for_a_seed():
    assert generate_roster(7) == generate_roster(7)
    assert generate_roster(7) != generate_roster(8)


def test_people_look_real_but_phones_are_plainly_fictional():
    rows = generate_roster(7)
    phones = [row.phone for row in rows]
    assert len(set(phones)) == len(rows)
    assert all(phone.startswith("843999") and normalize_phone(phone) == phone for phone in phones)
    for row in rows:
        words = row.name.split()
        assert len(words) == 3 and all(word[0].isupper() for word in words)
        assert unicodedata.is_normalized("NFC", row.name)
    # full diacritics, as Vietnamese names are written
    assert sum(1 for row in rows if row.name != fold(row.name).title()) > 0.9 * len(rows)


def test_it_is_a_valid_roster_and_survives_a_file(tmp_path, roster_rows, roster_xlsx):
    header = ["ward", "cell", "name", "role", "phone", "exempt"]
    checked = validate(header, [(row.row, [row.ward, row.cell, row.name, row.role, row.phone, "x" if row.exempt
                                           else ""]) for row in roster_rows])
    assert checked.ok and checked.rows == roster_rows
    assert read_roster(roster_xlsx).rows == roster_rows
    write_roster(tmp_path / "r.csv", roster_rows, "en")
    assert read_roster(tmp_path / "r.csv").rows == roster_rows
