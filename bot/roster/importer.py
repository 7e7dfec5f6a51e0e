"""Importing a roster file: check every row first; if any is bad, refuse the whole file and change
nothing; else apply it in one transaction (see `plan.py` for what changes)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.core.clock import Clock
from bot.roster.plan import fold, plan_import
from bot.roster.reader import read_roster
from bot.rules.roster import CITY_STAFF, Problem, RosterRow
from storage import audit, codec
from storage.db import Database
from storage.roster import apply_changes, load_snapshot


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    wards: int
    cells: int
    added: int
    updated: int
    unchanged: int
    deactivated: int
    memberships_opened: int
    memberships_ended: int
    units_added: int
    units_closed: int
    units_moved: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deactivated or self.memberships_opened
                    or self.memberships_ended or self.units_added or self.units_closed or self.units_moved)


@dataclass
class ImportResult:
    path: str
    problems: list[Problem] = field(default_factory=list)
    summary: ImportSummary | None = None
    seconds: float = 0.0  # reading, checking and writing, measured

    @property
    def ok(self) -> bool:
        return not self.problems


async def import_roster(db: Database, path: str | Path, clock: Clock, root_name: str) -> ImportResult:
    """Read, check and import the file at `path`; on any problem nothing is written."""
    started = time.monotonic()
    validation = await asyncio.to_thread(read_roster, path)
    result = ImportResult(str(path), validation.problems)
    if validation.ok:
        result.summary = await import_rows(db, validation.rows, clock, root_name, source=Path(path).name)
    result.seconds = time.monotonic() - started
    return result


async def import_rows(db: Database, rows: list[RosterRow], clock: Clock, root_name: str, *,
                      source: str = "") -> ImportSummary:
    """Apply already checked rows in one transaction; an import that changes nothing writes nothing."""
    now = clock.now()
    async with db.transaction() as conn:
        snapshot = await load_snapshot(conn)
        changes = plan_import(rows, snapshot, root_name=root_name)
        listed_people = len(rows)
        summary = ImportSummary(
            rows=listed_people,
            wards=len({fold(row.ward) for row in rows if row.role != CITY_STAFF}),
            cells=len({(fold(row.ward), fold(row.cell)) for row in rows if row.cell}),
            added=len(changes.new_people),
            updated=len(changes.updated_people),
            unchanged=listed_people - len(changes.new_people) - len(changes.updated_people),
            deactivated=len(changes.deactivated_people),
            memberships_opened=len(changes.new_memberships),
            memberships_ended=len(changes.ended_memberships),
            units_added=len(changes.new_units),
            units_closed=len(changes.closed_units),
            units_moved=len(changes.moved_units),
        )
        if changes:
            await apply_changes(conn, changes, now=codec.instant(now), today=codec.day(now.date()))
            await audit.record(conn, at=codec.instant(now), action="roster.imported",
                               detail={"file": source, **asdict(summary)})
    return summary
