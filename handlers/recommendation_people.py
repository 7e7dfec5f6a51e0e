"""Who is concerned by a recommendation, read from the database every time: where the item belongs now
(its cell and that cell's current ward), at which levels a person may see and act on it, who receives its
notices (the cell's *current* secretary and deputy; the ward's staff; the city's staff), and those
notices as outbox messages, each in its recipient's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from bot.core import i18n
from bot.core.context import AppContext
from bot.delivery import routing
from bot.rules import access
from bot.rules import recommendations as rules
from bot.rules import schedule
from handlers import common
from storage import accounts, codec, org, reminders
from storage import recommendations as store
from storage.outbox import OutgoingMessage
from storage.recommendations import Recommendation


@dataclass(frozen=True)
class Place:
    cell: org.Unit | None
    ward: org.Unit | None
    submitter: str | None

    @property
    def cell_name(self) -> str:
        return self.cell.name if self.cell else "?"

    @property
    def ward_name(self) -> str:
        return self.ward.name if self.ward else "?"


async def place_of(ctx: AppContext, item: Recommendation) -> Place:
    chain = await org.ancestors(ctx.db, item.cell_id)
    cell = chain[0] if chain else None
    ward = next((unit for unit in chain if unit.kind == "ward"), None)
    person = await org.get_person(ctx.db, item.submitted_by)
    return Place(cell, ward, person.full_name if person else None)


def viewer_of(actor: common.Actor) -> rules.Viewer:
    """The cells a person leads, the wards they are staff of, whether they are city staff — from the
    memberships loaded for this update."""
    if not actor.active:
        return rules.Viewer()
    cells, wards, city = set(), set(), False
    for role, unit_id in actor.scope.anchors:
        unit = actor.units.get(unit_id)
        if unit is None or not unit.active:
            continue
        if role in access.CELL_LEADERS and unit.kind == "cell":
            cells.add(unit_id)
        elif role == access.WARD_STAFF and unit.kind == "ward":
            wards.add(unit_id)
        elif role == access.CITY_STAFF:
            city = True
    return rules.Viewer(frozenset(cells), frozenset(wards), city)


async def levels(ctx: AppContext, actor: common.Actor, item: Recommendation) -> frozenset[str]:
    place = await place_of(ctx, item)
    return rules.levels_of(viewer_of(actor), rules.ItemPlace(
        item.cell_id, place.ward.id if place.ward else None, item.escalated_at is not None))


def leader_cells(actor: common.Actor) -> list[org.Unit]:
    viewer = viewer_of(actor)
    return sorted((actor.units[c] for c in viewer.cells), key=lambda u: (u.name, u.id))


def staff_wards(actor: common.Actor) -> list[org.Unit]:
    viewer = viewer_of(actor)
    return sorted((actor.units[w] for w in viewer.wards), key=lambda u: (u.name, u.id))


# --- Recipients ---------------------------------------------------------------------------------------

Recipient = tuple[org.Person, accounts.Account]


async def _reachable(ctx: AppContext, unit_ids: Iterable[int], roles: Iterable[str]) -> list[Recipient]:
    people = [person for person, _m in await org.current_members(ctx.db, unit_ids, roles)]
    found = await routing.reachable(ctx, [p.id for p in people])
    seen, result = set(), []
    for person in people:
        if person.id in found and person.id not in seen:
            seen.add(person.id)
            result += [(person, account) for account in found[person.id]]
    return result


async def cell_leaders(ctx: AppContext, cell_id: int) -> list[Recipient]:
    """The cell's secretary and deputy now (not necessarily who submitted)."""
    return await _reachable(ctx, [cell_id], org.CELL_LEADERS)


async def ward_staff(ctx: AppContext, ward_id: int | None) -> list[Recipient]:
    return await _reachable(ctx, [ward_id], [org.WARD_STAFF]) if ward_id is not None else []


async def city_staff(ctx: AppContext) -> list[Recipient]:
    roots = await org.units_of_kind(ctx.db, "city")
    return await _reachable(ctx, [u.id for u in roots], [access.CITY_STAFF])


def messages(kind: str, recipients: Iterable[Recipient], render: Callable[[i18n.Translator], dict], *,
             ref: str, dedup: str, exclude: Iterable[int] = ()) -> list[OutgoingMessage]:
    """One outbox message per recipient, rendered in their language; `dedup` names the event."""
    skip = set(exclude)
    return [OutgoingMessage(kind, account.chat_id, render(i18n.get(person.language)), person_id=person.id,
                            ref=ref, dedup_key=f"{dedup}:{person.id}", platform=account.platform)
            for person, account in recipients if person.id not in skip]


async def answers_to_report(ctx: AppContext, cell_id: int, month: str) -> list[Recommendation]:
    """The answers the cell received since its previous meeting, for the record of `month`'s meeting: those
    after the last meeting reminder of an earlier month (which listed the ones before), up to now."""
    year, number = (int(part) for part in month.split("-"))
    month_start = datetime(year, number, 1, tzinfo=ctx.clock.tz)
    since = await reminders.last_sent_before(ctx.db, schedule.MEETING, cell_id, codec.instant(month_start))
    return await store.answered_since(ctx.db, cell_id, since, codec.instant(ctx.clock.now()))
