"""What importing a checked roster changes, decided from the database's current state (a `Snapshot`):
plain Python over plain data, so the import itself is a few bulk writes.

- Units: the root (the city committee, named in the config), wards under it and cells under their ward
  are found by folded name (`BA ĐÌNH` = `ba  dinh` = `Ba Đình`) and renamed to the file's spelling. A closed
  unit listed again is reopened. A cell not found under its ward but whose people, by phone, are mostly
  the current members of a cell the file no longer lists is that cell moved or renamed (wards merge,
  cells move): it keeps its id and history, and the move is logged.
- People: found by phone; without one (or with a new one), by folded name among the current members
  of the same unit, else among its past members who had no phone (or when the file gives none). Found
  people get the file's name, phone and exempt flag, and are active again; everyone else is new.
- Memberships: each person listed holds exactly the role the file gives them: any other current
  membership ends (`valid_to` = today) and the new one opens (`valid_from` = today), so a replaced
  secretary's past records still point at them.
- People not listed who hold a membership in a ward or cell the file covers (one it lists) have it
  ended, and become inactive when they hold none any more. Cells of a covered ward that the file no
  longer lists are closed. Nothing is deleted; wards the file does not list are not touched.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache

from bot.rules.roster import CITY_STAFF, RosterRow
from bot.rules import text
from storage.roster import Changes, MembershipRecord, PersonRecord, Snapshot, UnitRecord


# Ward and cell names repeat on every row: fold each once.
fold = lru_cache(maxsize=65536)(text.fold)


def plan_import(rows: list[RosterRow], snapshot: Snapshot, *, root_name: str) -> Changes:
    return _Planner(snapshot, Changes()).plan(rows, root_name)


class _Planner:
    def __init__(self, snapshot: Snapshot, changes: Changes) -> None:
        self.snap = snapshot
        self.changes = changes
        self.next_unit_id = snapshot.next_unit_id
        self.next_person_id = snapshot.next_person_id
        self.active: dict[tuple[int | None, str], UnitRecord] = {}
        self.closed: dict[tuple[int | None, str], UnitRecord] = {}
        self.children: dict[int, list[UnitRecord]] = defaultdict(list)
        for unit in sorted(snapshot.units.values(), key=lambda u: u.id):
            if unit.active:
                self.active[(unit.parent_id, unit.name_key)] = unit
                if unit.parent_id is not None:
                    self.children[unit.parent_id].append(unit)
            elif unit.merged_into_id is None:
                self.closed[(unit.parent_id, unit.name_key)] = unit  # the latest closed one wins
        self.current: dict[int, list[MembershipRecord]] = defaultdict(list)
        for membership in snapshot.memberships:
            if membership.valid_to is None:
                self.current[membership.person_id].append(membership)

    # Units
    def unit(self, parent_id: int | None, kind: str, name: str, *, create: bool = True) -> int | None:
        """The unit of that name under that parent: found, reopened or (if `create`) new."""
        key = fold(name)
        unit = self.active.get((parent_id, key))
        if unit is None and (unit := self.closed.get((parent_id, key))) is not None:
            self.changes.reopened_units.append(unit.id)
            self.active[(parent_id, key)] = unit
        if unit is not None:
            if unit.name != name:
                self.changes.renamed_units.append((unit.id, name, key))
            return unit.id
        if not create:
            return None
        unit = UnitRecord(self.next_unit_id, parent_id, kind, name, key, True)
        self.next_unit_id += 1
        self.changes.new_units.append(unit)
        self.active[(parent_id, key)] = unit
        return unit.id

    def plan(self, rows: list[RosterRow], root_name: str) -> Changes:
        changes, people = self.changes, self.snap.people
        root_id = self.unit(None, "city", root_name)
        known_units = set(self.snap.units)

        ward_ids: dict[str, int] = {}
        for row in rows:
            if row.role != CITY_STAFF and fold(row.ward) not in ward_ids:
                ward_ids[fold(row.ward)] = self.unit(root_id, "ward", row.ward)
        # Cells: the ones found now; the others wait until we know whose members the people are.
        cell_rows: dict[tuple[str, str], list[int]] = defaultdict(list)
        cell_names: dict[tuple[str, str], str] = {}
        for index, row in enumerate(rows):
            if row.cell:
                key = (fold(row.ward), fold(row.cell))
                cell_rows[key].append(index)
                cell_names.setdefault(key, row.cell)
        cell_ids: dict[tuple[str, str], int] = {}
        for key, name in cell_names.items():
            found = self.unit(ward_ids[key[0]], "cell", name, create=False)
            if found is not None:
                cell_ids[key] = found

        # People by phone first: a phone is a person.
        by_phone = {p.phone: p.id for p in people.values() if p.phone}
        file_phones = {row.phone for row in rows if row.phone}
        matched: dict[int, int] = {}  # row index → person id
        for index, row in enumerate(rows):
            if row.phone and row.phone in by_phone:
                matched[index] = by_phone[row.phone]
        claimed = set(matched.values())

        # A cell not found may be one the file no longer lists, moved or renamed: its people tell.
        listed = set(cell_ids.values())
        for key, name in cell_names.items():
            if key in cell_ids:
                continue
            votes = Counter(
                membership.unit_id
                for index in cell_rows[key] if index in matched
                for membership in self.current.get(matched[index], ())
                if self._is_unlisted_cell(membership.unit_id, listed)
            )
            best = min(votes.items(), key=lambda item: (-item[1], item[0]), default=None)
            if best and best[1] * 2 > len(cell_rows[key]):
                cell_ids[key] = self._reuse_cell(best[0], ward_ids[key[0]], name)
                listed.add(best[0])
            else:
                cell_ids[key] = self.unit(ward_ids[key[0]], "cell", name)
                listed.add(cell_ids[key])

        def unit_of(row: RosterRow) -> int:
            if row.role == CITY_STAFF:
                return root_id
            return cell_ids[(fold(row.ward), fold(row.cell))] if row.cell else ward_ids[fold(row.ward)]

        # Then by name within the unit, for those without a phone we know.
        now_in: dict[tuple[int, str], list[int]] = defaultdict(list)
        was_in: dict[tuple[int, str], list[int]] = defaultdict(list)
        for membership in self.snap.memberships:
            person = people[membership.person_id]
            target = now_in if membership.valid_to is None else was_in
            target[(membership.unit_id, person.name_key)].append(person.id)
        for index, row in enumerate(rows):
            if index in matched:
                continue
            unit_id = unit_of(row)
            if unit_id not in known_units:
                continue
            for index_by_unit in (now_in, was_in):
                # A current member may have changed their number; someone who left with another number
                # and a namesake coming with a new one are two people.
                candidates = sorted({
                    person_id for person_id in index_by_unit.get((unit_id, fold(row.name)), ())
                    if person_id not in claimed
                    and (people[person_id].phone is None or people[person_id].phone not in file_phones)
                    and (index_by_unit is now_in or people[person_id].phone is None or row.phone is None)
                })
                if candidates:
                    matched[index] = candidates[0]
                    claimed.add(candidates[0])
                    break

        # Each person listed: their details, and exactly the one membership the file gives them.
        for index, row in enumerate(rows):
            unit_id, key = unit_of(row), fold(row.name)
            person_id = matched.get(index)
            if person_id is None:
                person_id = self.next_person_id
                self.next_person_id += 1
                changes.new_people.append(PersonRecord(person_id, row.name, key, row.phone, row.exempt, True))
                changes.new_memberships.append((person_id, unit_id, row.role))
                continue
            wanted = PersonRecord(person_id, row.name, key, row.phone, row.exempt, True)
            if people[person_id] != wanted:
                changes.updated_people.append(wanted)
            kept = next((m for m in self.current.get(person_id, ())
                         if m.unit_id == unit_id and m.role == row.role), None)
            if kept is None:
                changes.new_memberships.append((person_id, unit_id, row.role))
            changes.ended_memberships.extend(m.id for m in self.current.get(person_id, ()) if m is not kept)

        # Everyone else in the wards the file covers is no longer listed there.
        covered = self._covered(ward_ids.values(), known_units) | (listed & known_units)
        if root_id in known_units and any(row.role == CITY_STAFF for row in rows):
            covered.add(root_id)
        for person_id, memberships in self.current.items():
            if person_id in claimed:
                continue
            ending = [m.id for m in memberships if m.unit_id in covered]
            changes.ended_memberships.extend(ending)
            if ending and len(ending) == len(memberships) and people[person_id].active:
                changes.deactivated_people.append(person_id)
        occupied = {unit_id for _person, unit_id, _role in changes.new_memberships}
        ended = set(changes.ended_memberships)
        occupied |= {m.unit_id for ms in self.current.values() for m in ms if m.id not in ended}
        changes.closed_units.extend(
            unit_id for unit_id in sorted(covered)
            if self.snap.units[unit_id].kind == "cell" and unit_id not in listed and unit_id not in occupied
        )
        return changes

    def _is_unlisted_cell(self, unit_id: int, listed: set[int]) -> bool:
        unit = self.snap.units.get(unit_id)
        return unit is not None and unit.active and unit.kind == "cell" and unit_id not in listed

    def _reuse_cell(self, unit_id: int, ward_id: int, name: str) -> int:
        unit = self.snap.units[unit_id]
        key = fold(name)
        if unit.parent_id != ward_id:
            self.changes.moved_units.append((unit_id, unit.parent_id, ward_id))
        if unit.name != name:
            self.changes.renamed_units.append((unit_id, name, key))
        self.active.pop((unit.parent_id, unit.name_key), None)
        self.active[(ward_id, key)] = unit
        return unit_id

    def _covered(self, ward_ids, known_units: set[int]) -> set[int]:
        """The wards the file lists that existed before it, and every active unit below them."""
        covered: set[int] = set()
        stack = [ward_id for ward_id in ward_ids if ward_id in known_units]
        while stack:
            unit_id = stack.pop()
            if unit_id in covered:
                continue
            covered.add(unit_id)
            stack.extend(child.id for child in self.children.get(unit_id, ()))
        return covered
