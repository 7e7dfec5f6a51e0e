"""The organisation tree and its people: read side used by every feature.

(The roster import, in `storage/roster.py`, is what writes units, people and memberships in bulk.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from storage.db import Database

# Role names as stored. Their meaning (who may do what) is in bot/rules/access.py.
SECRETARY, DEPUTY, MEMBER, WARD_STAFF, CITY_STAFF = "secretary", "deputy", "member", "ward_staff", "city_staff"
CELL_LEADERS = (SECRETARY, DEPUTY)


@dataclass(frozen=True)
class Unit:
    id: int
    parent_id: int | None
    kind: str  # 'city', 'ward' or 'cell'
    name: str
    active: bool


@dataclass(frozen=True)
class Person:
    id: int
    full_name: str
    phone: str | None
    language: str
    exempt: bool
    active: bool


@dataclass(frozen=True)
class Membership:
    id: int
    person_id: int
    unit_id: int
    role: str
    valid_from: str
    valid_to: str | None


_UNIT_COLUMNS = "id, parent_id, kind, name, active"
_PERSON_COLUMNS = "id, full_name, phone, language, exempt, active"
_MEMBERSHIP_COLUMNS = "id, person_id, unit_id, role, valid_from, valid_to"


def _unit(row) -> Unit:
    return Unit(row["id"], row["parent_id"], row["kind"], row["name"], bool(row["active"]))


def _person(row) -> Person:
    return Person(row["id"], row["full_name"], row["phone"], row["language"], bool(row["exempt"]),
                  bool(row["active"]))


def _membership(row) -> Membership:
    return Membership(row["id"], row["person_id"], row["unit_id"], row["role"], row["valid_from"],
                      row["valid_to"])


def _placeholders(values: Sequence) -> str:
    return ",".join("?" * len(values))


async def get_unit(db: Database, unit_id: int) -> Unit | None:
    row = await db.fetchone(f"SELECT {_UNIT_COLUMNS} FROM units WHERE id = ?", (unit_id,))
    return _unit(row) if row else None


async def get_units(db: Database, unit_ids: Iterable[int]) -> dict[int, Unit]:
    ids = list(unit_ids)
    if not ids:
        return {}
    rows = await db.fetchall(f"SELECT {_UNIT_COLUMNS} FROM units WHERE id IN ({_placeholders(ids)})", ids)
    return {row["id"]: _unit(row) for row in rows}


async def find_unit(db: Database, parent_id: int | None, name_key: str) -> Unit | None:
    """The active unit of that folded name under that parent (None: a root)."""
    row = await db.fetchone(
        f"SELECT {_UNIT_COLUMNS} FROM units WHERE coalesce(parent_id, 0) = ? AND name_key = ? AND active = 1",
        (parent_id or 0, name_key),
    )
    return _unit(row) if row else None


async def units_of_kind(db: Database, kind: str, *, active_only: bool = True) -> list[Unit]:
    sql = f"SELECT {_UNIT_COLUMNS} FROM units WHERE kind = ?" + (" AND active = 1" if active_only else "")
    return [_unit(row) for row in await db.fetchall(sql + " ORDER BY name_key, id", (kind,))]


async def child_units(db: Database, unit_id: int, kind: str | None = None) -> list[Unit]:
    sql = f"SELECT {_UNIT_COLUMNS} FROM units WHERE parent_id = ? AND active = 1"
    params: list = [unit_id]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    return [_unit(row) for row in await db.fetchall(sql + " ORDER BY name_key, id", params)]


async def subtree_ids(db: Database, unit_id: int) -> list[int]:
    """The unit and every active unit below it, at any depth."""
    rows = await db.fetchall(
        """WITH RECURSIVE tree(id) AS (
               SELECT ? UNION ALL
               SELECT units.id FROM units JOIN tree ON units.parent_id = tree.id WHERE units.active = 1)
           SELECT id FROM tree""",
        (unit_id,),
    )
    return [row["id"] for row in rows]


async def cells_under(db: Database, unit_id: int) -> list[Unit]:
    ids = await subtree_ids(db, unit_id)
    rows = await db.fetchall(
        f"SELECT {_UNIT_COLUMNS} FROM units WHERE kind = 'cell' AND active = 1 AND id IN ({_placeholders(ids)})"
        " ORDER BY name_key, id",
        ids,
    )
    return [_unit(row) for row in rows]


async def ancestors(db: Database, unit_id: int) -> list[Unit]:
    """The unit itself first, then its parent, up to the root."""
    rows = await db.fetchall(
        f"""WITH RECURSIVE up(id, depth) AS (
                SELECT ?, 0 UNION ALL
                SELECT units.parent_id, up.depth + 1 FROM units JOIN up ON units.id = up.id
                WHERE units.parent_id IS NOT NULL)
            SELECT {_UNIT_COLUMNS} FROM units JOIN up USING (id) ORDER BY up.depth""",
        (unit_id,),
    )
    return [_unit(row) for row in rows]


async def get_person(db: Database, person_id: int) -> Person | None:
    row = await db.fetchone(f"SELECT {_PERSON_COLUMNS} FROM people WHERE id = ?", (person_id,))
    return _person(row) if row else None


async def get_people(db: Database, person_ids: Iterable[int]) -> dict[int, Person]:
    ids = list(person_ids)
    if not ids:
        return {}
    rows = await db.fetchall(f"SELECT {_PERSON_COLUMNS} FROM people WHERE id IN ({_placeholders(ids)})", ids)
    return {row["id"]: _person(row) for row in rows}


async def find_person_by_phone(db: Database, phone: str) -> Person | None:
    """`phone` must already be normalised (bot/rules/phone.py)."""
    row = await db.fetchone(f"SELECT {_PERSON_COLUMNS} FROM people WHERE phone = ?", (phone,))
    return _person(row) if row else None


async def current_memberships(db: Database, person_id: int) -> list[Membership]:
    rows = await db.fetchall(
        f"SELECT {_MEMBERSHIP_COLUMNS} FROM memberships WHERE person_id = ? AND valid_to IS NULL ORDER BY id",
        (person_id,),
    )
    return [_membership(row) for row in rows]


async def current_members(
    db: Database, unit_ids: Iterable[int], roles: Iterable[str] | None = None
) -> list[tuple[Person, Membership]]:
    """Active people holding a current membership in any of these units (optionally: in these roles),
    ordered by unit then role then name."""
    ids = list(unit_ids)
    if not ids:
        return []
    sql = (
        f"SELECT p.id, p.full_name, p.phone, p.language, p.exempt, p.active, "
        f"m.id AS m_id, m.person_id, m.unit_id, m.role, m.valid_from, m.valid_to "
        f"FROM memberships m JOIN people p ON p.id = m.person_id "
        f"WHERE m.valid_to IS NULL AND p.active = 1 AND m.unit_id IN ({_placeholders(ids)})"
    )
    params: list = list(ids)
    role_list = list(roles) if roles is not None else None
    if role_list is not None:
        sql += f" AND m.role IN ({_placeholders(role_list)})"
        params += role_list
    sql += (" ORDER BY m.unit_id, CASE m.role WHEN 'secretary' THEN 0 WHEN 'deputy' THEN 1 "
            "WHEN 'ward_staff' THEN 2 WHEN 'city_staff' THEN 3 ELSE 4 END, p.name_key, p.id")
    rows = await db.fetchall(sql, params)
    return [
        (_person(row), Membership(row["m_id"], row["person_id"], row["unit_id"], row["role"],
                                  row["valid_from"], row["valid_to"]))
        for row in rows
    ]


async def set_language(db: Database, person_id: int, language: str, at: str) -> None:
    await db.execute("UPDATE people SET language = ?, updated_at = ? WHERE id = ?", (language, at, person_id))


async def memberships_of(db: Database, person_id: int) -> list[Membership]:
    """Every membership of the person, current and ended, the current ones first, then the latest ended."""
    rows = await db.fetchall(
        f"SELECT {_MEMBERSHIP_COLUMNS} FROM memberships WHERE person_id = ?"
        " ORDER BY valid_to IS NOT NULL, valid_to DESC, id DESC",
        (person_id,),
    )
    return [_membership(row) for row in rows]


async def search_people(db: Database, unit_ids: Iterable[int], *, name_key: str = "", phone: str | None = None,
                        limit: int = 10) -> list[tuple[Person, Membership]]:
    """Active people with a current membership in these units whose folded name contains `name_key`, or
    whose phone is `phone` (normalised); one row per person (their first membership), by name."""
    ids = list(unit_ids)
    if not ids or not (name_key or phone):
        return []
    pattern = "%" + name_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await db.fetchall(
        f"""SELECT p.id, p.full_name, p.phone, p.language, p.exempt, p.active,
                   m.id AS m_id, m.person_id, m.unit_id, m.role, m.valid_from, m.valid_to
            FROM people p JOIN memberships m ON m.id = (
                SELECT min(m2.id) FROM memberships m2
                WHERE m2.person_id = p.id AND m2.valid_to IS NULL AND m2.unit_id IN ({_placeholders(ids)}))
            WHERE p.active = 1 AND ((? != '' AND p.name_key LIKE ? ESCAPE '\\') OR p.phone = ?)
            ORDER BY p.name_key, p.id LIMIT ?""",
        [*ids, name_key, pattern, phone, limit],
    )
    return [
        (_person(row), Membership(row["m_id"], row["person_id"], row["unit_id"], row["role"],
                                  row["valid_from"], row["valid_to"]))
        for row in rows
    ]


async def former_members(db: Database) -> list[tuple[Person, Membership]]:
    """People who hold no current membership (their role ended, or they left the roster), each with their
    latest membership, by name."""
    rows = await db.fetchall(
        """SELECT p.id, p.full_name, p.phone, p.language, p.exempt, p.active,
                  m.id AS m_id, m.person_id, m.unit_id, m.role, m.valid_from, m.valid_to
           FROM people p JOIN memberships m ON m.id = (
               SELECT m2.id FROM memberships m2 WHERE m2.person_id = p.id
               ORDER BY m2.valid_to DESC, m2.id DESC LIMIT 1)
           WHERE NOT EXISTS (SELECT 1 FROM memberships c WHERE c.person_id = p.id AND c.valid_to IS NULL)
           ORDER BY p.name_key, p.id""")
    return [
        (_person(row), Membership(row["m_id"], row["person_id"], row["unit_id"], row["role"],
                                  row["valid_from"], row["valid_to"]))
        for row in rows
    ]
