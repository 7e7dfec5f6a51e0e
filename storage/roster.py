"""The roster's SQL: the state an import starts from, writing its changes in bulk, and the read-outs
for export and statistics.

What to change is decided in plain Python (`bot/roster/plan.py`) from a `Snapshot` loaded here inside
the import's transaction; `apply_changes` then writes it with a handful of `executemany` calls, so a
whole city (15 000 people) imports in about a second. Nothing is ever deleted: a person no longer listed
has their membership ended (`valid_to`) and becomes inactive; a cell no longer listed is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import aiosqlite

from storage.db import Database


@dataclass(frozen=True)
class UnitRecord:
    id: int
    parent_id: int | None
    kind: str
    name: str
    name_key: str
    active: bool
    merged_into_id: int | None = None


@dataclass(frozen=True)
class PersonRecord:
    id: int
    full_name: str
    name_key: str
    phone: str | None
    exempt: bool
    active: bool


@dataclass(frozen=True)
class MembershipRecord:
    id: int
    person_id: int
    unit_id: int
    role: str
    valid_from: str
    valid_to: str | None


@dataclass
class Snapshot:
    units: dict[int, UnitRecord]
    people: dict[int, PersonRecord]
    memberships: list[MembershipRecord]
    next_unit_id: int
    next_person_id: int


@dataclass
class Changes:
    """Everything an import writes. New units and people carry the ids they will get."""
    new_units: list[UnitRecord] = field(default_factory=list)
    reopened_units: list[int] = field(default_factory=list)
    renamed_units: list[tuple[int, str, str]] = field(default_factory=list)  # (id, name, name_key)
    moved_units: list[tuple[int, int | None, int]] = field(default_factory=list)  # (id, from, to)
    closed_units: list[int] = field(default_factory=list)
    new_people: list[PersonRecord] = field(default_factory=list)
    updated_people: list[PersonRecord] = field(default_factory=list)  # matched and changed, or reactivated
    deactivated_people: list[int] = field(default_factory=list)
    ended_memberships: list[int] = field(default_factory=list)
    new_memberships: list[tuple[int, int, str]] = field(default_factory=list)  # (person, unit, role)

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)


async def load_snapshot(conn: aiosqlite.Connection) -> Snapshot:
    """Units, people and memberships as they are, read inside the caller's transaction."""
    async with conn.execute(
        "SELECT id, parent_id, kind, name, name_key, active, merged_into_id FROM units"
    ) as cursor:
        units = {row[0]: UnitRecord(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])
                 for row in await cursor.fetchall()}
    async with conn.execute("SELECT id, full_name, name_key, phone, exempt, active FROM people") as cursor:
        people = {row[0]: PersonRecord(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]))
                  for row in await cursor.fetchall()}
    async with conn.execute(
        "SELECT id, person_id, unit_id, role, valid_from, valid_to FROM memberships ORDER BY id"
    ) as cursor:
        memberships = [MembershipRecord(*row) for row in await cursor.fetchall()]
    return Snapshot(units, people, memberships, max(units, default=0) + 1, max(people, default=0) + 1)


async def apply_changes(conn: aiosqlite.Connection, changes: Changes, *, now: str, today: str) -> None:
    """Write `changes` inside the caller's transaction. `now` is an instant, `today` a day (codec)."""
    # Closing first frees names; memberships end before new ones open (one current secretary per cell).
    await conn.executemany("UPDATE units SET active = 0, closed_at = ? WHERE id = ?",
                           [(now, unit_id) for unit_id in changes.closed_units])
    await conn.executemany(
        "INSERT INTO units (id, parent_id, kind, name, name_key, active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
        [(u.id, u.parent_id, u.kind, u.name, u.name_key, now) for u in changes.new_units],
    )
    await conn.executemany("UPDATE units SET active = 1, closed_at = NULL WHERE id = ?",
                           [(unit_id,) for unit_id in changes.reopened_units])
    await conn.executemany("UPDATE units SET name = ?, name_key = ? WHERE id = ?",
                           [(name, key, unit_id) for unit_id, name, key in changes.renamed_units])
    await conn.executemany("UPDATE units SET parent_id = ? WHERE id = ?",
                           [(to_id, unit_id) for unit_id, _from_id, to_id in changes.moved_units])
    await conn.executemany(
        "INSERT INTO unit_moves (unit_id, from_parent_id, to_parent_id, moved_at) VALUES (?, ?, ?, ?)",
        [(unit_id, from_id, to_id, now) for unit_id, from_id, to_id in changes.moved_units],
    )
    await conn.executemany("UPDATE memberships SET valid_to = max(?, valid_from) WHERE id = ?",
                           [(today, membership_id) for membership_id in changes.ended_memberships])
    await conn.executemany(
        "INSERT INTO people (id, full_name, name_key, phone, exempt, active, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        [(p.id, p.full_name, p.name_key, p.phone, int(p.exempt), now, now) for p in changes.new_people],
    )
    await conn.executemany(
        "UPDATE people SET full_name = ?, name_key = ?, phone = ?, exempt = ?, active = 1, updated_at = ?"
        " WHERE id = ?",
        [(p.full_name, p.name_key, p.phone, int(p.exempt), now, p.id) for p in changes.updated_people],
    )
    await conn.executemany(
        "INSERT INTO memberships (person_id, unit_id, role, valid_from) VALUES (?, ?, ?, ?)",
        [(person_id, unit_id, role, today) for person_id, unit_id, role in changes.new_memberships],
    )
    await conn.executemany("UPDATE people SET active = 0, updated_at = ? WHERE id = ?",
                           [(now, person_id) for person_id in changes.deactivated_people])


# Every unit mapped to the ward it belongs to (itself for a ward), at any depth below the ward.
_WARD_OF = """
WITH RECURSIVE ward_of(unit_id, ward_id) AS (
    SELECT id, id FROM units WHERE kind = 'ward' AND active = 1
    UNION ALL
    SELECT units.id, ward_of.ward_id FROM units JOIN ward_of ON units.parent_id = ward_of.unit_id
    WHERE units.active = 1 AND units.kind != 'ward'
)"""


@dataclass(frozen=True)
class RosterEntry:
    """One current membership as the roster file shows it ("" where there is no ward or cell)."""
    ward: str
    cell: str
    full_name: str
    role: str
    phone: str | None
    exempt: bool


async def roster_entries(db: Database) -> list[RosterEntry]:
    """Every active person's current membership: city staff first, then ward by ward its staff, then
    cell by cell the secretary, the deputy and the members by name."""
    rows = await db.fetchall(
        _WARD_OF + """
        SELECT coalesce(w.name, '') AS ward, CASE WHEN u.kind = 'cell' THEN u.name ELSE '' END AS cell,
               p.full_name, m.role, p.phone, p.exempt
        FROM memberships m
        JOIN people p ON p.id = m.person_id
        JOIN units u ON u.id = m.unit_id
        LEFT JOIN ward_of ON ward_of.unit_id = u.id
        LEFT JOIN units w ON w.id = ward_of.ward_id
        WHERE m.valid_to IS NULL AND p.active = 1 AND u.active = 1
        ORDER BY w.id IS NOT NULL, w.name_key, w.id, u.kind = 'cell', u.name_key, u.id,
                 CASE m.role WHEN 'secretary' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, p.name_key, p.id
        """
    )
    return [RosterEntry(row[0], row[1], row[2], row[3], row[4], bool(row[5])) for row in rows]


@dataclass(frozen=True)
class WardStats:
    ward_id: int | None  # None: the city's own staff
    name: str
    cells: int
    secretaries: int
    deputies: int
    members: int
    exempt: int  # people in the ward's cells (any role) exempt from meetings
    ward_staff: int
    city_staff: int = 0


async def roster_stats(db: Database) -> list[WardStats]:
    """Current counts per active ward (by name), active people only; city staff as a last row when any."""
    cells = {row[0]: row[1] for row in await db.fetchall(
        _WARD_OF + """
        SELECT ward_of.ward_id, count(*) FROM ward_of JOIN units ON units.id = ward_of.unit_id
        WHERE units.kind = 'cell' GROUP BY ward_of.ward_id""")}
    counts: dict[int | None, dict[str, int]] = {}
    for row in await db.fetchall(
        _WARD_OF + """
        SELECT ward_of.ward_id, m.role, count(*), sum(u.kind = 'cell' AND p.exempt = 1)
        FROM memberships m
        JOIN people p ON p.id = m.person_id
        JOIN units u ON u.id = m.unit_id
        LEFT JOIN ward_of ON ward_of.unit_id = u.id
        WHERE m.valid_to IS NULL AND p.active = 1 AND u.active = 1
        GROUP BY ward_of.ward_id, m.role"""
    ):
        ward_counts = counts.setdefault(row[0], {})
        ward_counts[row[1]] = row[2]
        ward_counts["exempt"] = ward_counts.get("exempt", 0) + (row[3] or 0)
    stats = []
    wards = await db.fetchall("SELECT id, name FROM units WHERE kind = 'ward' AND active = 1 ORDER BY name_key, id")
    for ward in wards:
        c = counts.get(ward["id"], {})
        stats.append(WardStats(ward["id"], ward["name"], cells.get(ward["id"], 0), c.get("secretary", 0),
                               c.get("deputy", 0), c.get("member", 0), c.get("exempt", 0),
                               c.get("ward_staff", 0)))
    city = counts.get(None, {}).get("city_staff", 0)
    if city:
        stats.append(WardStats(None, "", 0, 0, 0, 0, 0, 0, city))
    return stats
