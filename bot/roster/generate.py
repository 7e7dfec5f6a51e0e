"""The demo roster: made up, deterministic for a seed, shaped like the party organisation of Thanh Hóa
city (TP Thanh Hóa).

- 34 ward and commune party committees (*đảng bộ phường/xã*); one of them, `Nam Ngạn`, has exactly 11
  cells, one of which is `Nguyễn Mộng Tuân 2`;
- 311 cells (*chi bộ*), each with a secretary; 301 of them with a deputy (10 have none);
- 15–80 ordinary members per cell (the secretary and the deputy come on top), a few exempt from
  meetings; 1–3 ward committee members (ward staff) per ward; 3 city committee staff.

Names are drawn from common Vietnamese surnames, middle and given names, so any match with a real
person is chance. Every phone number is in the block 0399 9xx xxx (stored 843999xxxxx), which the demo
uses for fiction only: never use real numbers in a demo roster.
"""

from __future__ import annotations

import random

from bot.rules.roster import CITY_STAFF, DEPUTY, MEMBER, SECRETARY, WARD_STAFF, RosterRow

WARD_COUNT = 34
CELL_COUNT = 311
CELLS_WITHOUT_DEPUTY = 10
MEMBERS_PER_CELL = (15, 80)
WARD_STAFF_PER_WARD = (1, 3)
CITY_STAFF_COUNT = 3
EXEMPT_SHARE = 0.03
FAKE_PHONE_PREFIX = "843999"  # national 0399 9xx xxx: 100 000 numbers
DEFAULT_SEED = 7

NAM_NGAN = "Nam Ngạn"
NAM_NGAN_CELLS = (
    "Nguyễn Mộng Tuân 1", "Nguyễn Mộng Tuân 2", "Nguyễn Mộng Tuân 3", "Nam Ngạn 1", "Nam Ngạn 2",
    "Nam Ngạn 3", "Nam Ngạn 4", "Trần Xuân Soạn", "Đinh Công Tráng", "Bà Triệu", "Trường Tiểu học Nam Ngạn",
)
OTHER_WARDS = (
    "Điện Biên", "Ba Đình", "Lam Sơn", "Ngọc Trạo", "Phú Sơn", "Trường Thi", "Đông Thọ", "Đông Vệ",
    "Đông Sơn", "Đông Hương", "Đông Hải", "Đông Cương", "Đông Lĩnh", "Đông Tân", "Đông Quang", "Đông Vinh",
    "Hàm Rồng", "Tân Sơn", "An Hưng", "Quảng Hưng", "Quảng Thành", "Quảng Thắng", "Quảng Đông", "Quảng Phú",
    "Quảng Tâm", "Quảng Cát", "Thiệu Dương", "Thiệu Khánh", "Tào Xuyên", "Long Anh", "Hoằng Quang",
    "Hoằng Đại", "Nguyệt Viên",
)
_STREETS = (
    "Lê Lai", "Lê Hoàn", "Trần Phú", "Phan Chu Trinh", "Hàng Đồng", "Lý Thường Kiệt", "Nguyễn Trãi",
    "Bà Triệu", "Tống Duy Tân", "Lê Thánh Tông", "Hạc Thành", "Đội Cung", "Lam Sơn", "Quang Trung",
    "Trường Thi", "Phú Thọ", "Cao Thắng", "Tô Vĩnh Diện", "Nguyễn Du", "Hải Thượng Lãn Ông",
)
_INSTITUTIONS = ("Trường Tiểu học", "Trường THCS", "Trạm Y tế", "Trường Mầm non", "Công an")

_SURNAMES = (  # (name, weight): roughly how common they are
    ("Nguyễn", 32), ("Lê", 14), ("Trần", 10), ("Phạm", 7), ("Hoàng", 5), ("Trịnh", 4), ("Vũ", 3),
    ("Đỗ", 3), ("Bùi", 3), ("Đặng", 2), ("Ngô", 2), ("Mai", 2), ("Đào", 2), ("Hà", 2), ("Phan", 2),
    ("Dương", 1), ("Lương", 1), ("Cao", 1), ("Tống", 1), ("Đinh", 1), ("Hồ", 1), ("Vương", 1),
)
_MIDDLE_MALE = ("Văn", "Văn", "Văn", "Đức", "Hữu", "Minh", "Quang", "Đình", "Xuân", "Ngọc", "Công", "Thanh",
                "Mạnh", "Trọng", "Bá")
_MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Kim", "Phương", "Thúy")
_GIVEN_MALE = ("An", "Bình", "Cường", "Dũng", "Hùng", "Hải", "Long", "Nam", "Phong", "Quân", "Sơn", "Thắng",
               "Tuấn", "Việt", "Trung", "Hoàng", "Khánh", "Lâm", "Mạnh", "Nghĩa", "Phúc", "Tài", "Thành",
               "Tiến", "Toàn", "Vinh", "Đạt", "Hiếu", "Huy", "Kiên", "Lợi", "Quyết", "Thịnh", "Tùng")
_GIVEN_FEMALE = ("Anh", "Chi", "Dung", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Liên", "Linh", "Loan",
                 "Mai", "Nga", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thủy", "Trang", "Tuyết",
                 "Vân", "Yến", "Huyền", "Lụa", "Hiền", "Xuân")


def generate_roster(seed: int = DEFAULT_SEED) -> list[RosterRow]:
    """The demo roster for `seed`: city staff first, then ward by ward its staff and its cells
    (secretary, deputy, members). Row numbers are those of the file it is written to."""
    rng = random.Random(seed)
    surnames, weights = zip(*_SURNAMES)
    phones = iter(rng.sample(range(100_000), 20_000))

    def person_name() -> str:
        if rng.random() < 0.5:
            return f"{rng.choices(surnames, weights)[0]} {rng.choice(_MIDDLE_MALE)} {rng.choice(_GIVEN_MALE)}"
        return f"{rng.choices(surnames, weights)[0]} {rng.choice(_MIDDLE_FEMALE)} {rng.choice(_GIVEN_FEMALE)}"

    def phone() -> str:
        return f"{FAKE_PHONE_PREFIX}{next(phones):05d}"

    wards = _ward_cells(rng)
    cell_total = sum(len(cells) for _ward, cells in wards)
    without_deputy = set(rng.sample(range(cell_total), CELLS_WITHOUT_DEPUTY))

    rows: list[RosterRow] = []

    def add(ward: str, cell: str, role: str, *, exempt: bool = False) -> None:
        rows.append(RosterRow(ward, cell, person_name(), role, phone(), exempt, len(rows) + 2))

    for _ in range(CITY_STAFF_COUNT):
        add("", "", CITY_STAFF)
    cell_number = 0
    for ward, cells in wards:
        for _ in range(rng.randint(*WARD_STAFF_PER_WARD)):
            add(ward, "", WARD_STAFF)
        for cell in cells:
            add(ward, cell, SECRETARY)
            if cell_number not in without_deputy:
                add(ward, cell, DEPUTY)
            for _ in range(rng.randint(*MEMBERS_PER_CELL)):
                add(ward, cell, MEMBER, exempt=rng.random() < EXEMPT_SHARE)
            cell_number += 1
    return rows


def _ward_cells(rng: random.Random) -> list[tuple[str, list[str]]]:
    """The wards, each with its cells' names: Nam Ngạn's fixed, the others' spread between 5 and 14."""
    others = list(OTHER_WARDS[: WARD_COUNT - 1])
    counts = [5] * len(others)
    for _ in range(CELL_COUNT - len(NAM_NGAN_CELLS) - sum(counts)):
        index = rng.choice([i for i, n in enumerate(counts) if n < 14])
        counts[index] += 1
    wards = [(NAM_NGAN, list(NAM_NGAN_CELLS))]
    for ward, count in zip(others, counts):
        wards.append((ward, _cell_names(rng, ward, count)))
    rng.shuffle(wards)
    return wards


def _cell_names(rng: random.Random, ward: str, count: int) -> list[str]:
    """Cells named after residential quarters, as most are (`Khu phố 3`, `Lê Lai 2`, `Thôn 4`), plus the
    odd school or clinic."""
    names: list[str] = []
    style = rng.choice(("quarter", "street", "village"))
    institutions = rng.sample(_INSTITUTIONS, rng.randint(0, 2))
    for institution in institutions[: max(0, count - 3)]:
        names.append(f"{institution} {ward}")
    streets = rng.sample(_STREETS, 4)
    number = 1
    while len(names) < count:
        if style == "quarter":
            names.append(f"Khu phố {number}")
        elif style == "village":
            names.append(f"Thôn {number}")
        else:
            names.append(f"{streets[(number - 1) % len(streets)]} {(number - 1) // len(streets) + 1}")
        number += 1
    return names
