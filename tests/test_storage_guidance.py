"""storage/guidance.py on the roster database: what counts as "sent for the month" (the reminders ask),
what a cell reads, receipts once."""

from __future__ import annotations

from storage import codec, org, outbox
from storage import guidance as store
from storage.guidance import Recipient


async def _wards(db):
    wards = await org.units_of_kind(db, "ward")
    return wards[0], wards[1]


async def _create(db, clock, scope, cells, *, status="sending", month="2026-12", scheduled_at=None, queue=True):
    at = codec.instant(clock.now())
    members = await org.current_members(db, [c.id for c in cells], ("secretary",))
    async with db.transaction() as conn:
        guidance_id = await store.create(
            conn, author_person_id=None, scope_unit_id=scope.id, month=month, text="x", parse_mode="HTML",
            audience="secretaries", status=status, scheduled_at=scheduled_at, created_at=at,
            cell_ids=[c.id for c in cells], attachments=[],
            recipients=[Recipient(p.id, m.unit_id, m.role) for p, m in members])
        if queue:
            await outbox.enqueue(conn, [outbox.OutgoingMessage("guidance", str(p.id), {"text": "x"}, person_id=p.id,
                                                               ref=store.ref(guidance_id), not_before=scheduled_at)
                                        for p, _m in members], at=at)
    return guidance_id


async def test_sent_for_month_from_the_ward_or_the_city(roster_db, clock):
    ward, other = await _wards(roster_db)
    cells = await org.cells_under(roster_db, ward.id)
    assert not await store.sent_for_month(roster_db, ward.id, "2026-12")
    await _create(roster_db, clock, ward, cells[:1])   # sent now, even to one chosen cell
    assert await store.sent_for_month(roster_db, ward.id, "2026-12")
    assert not await store.sent_for_month(roster_db, ward.id, "2027-01")
    assert not await store.sent_for_month(roster_db, other.id, "2026-12")
    city = (await org.units_of_kind(roster_db, "city"))[0]
    await _create(roster_db, clock, city, await org.cells_under(roster_db, other.id), month="2027-01")
    assert await store.sent_for_month(roster_db, other.id, "2027-01")
    assert not await store.sent_for_month(roster_db, ward.id, "2027-01")


async def test_a_scheduled_guidance_counts_once_its_copies_go_and_a_cancelled_one_never(roster_db, clock):
    ward, _other = await _wards(roster_db)
    cells = await org.cells_under(roster_db, ward.id)
    later = codec.instant(clock.now().replace(day=30))
    guidance_id = await _create(roster_db, clock, ward, cells, status="scheduled", scheduled_at=later)
    assert not await store.sent_for_month(roster_db, ward.id, "2026-12")
    assert await store.current_for_cell(roster_db, cells[0].id, "2026-12") is None
    await outbox.claim_due(roster_db, later, 1)       # its time came: the first copy is being sent
    assert await store.sent_for_month(roster_db, ward.id, "2026-12")
    assert (await store.current_for_cell(roster_db, cells[0].id, "2026-12")).id == guidance_id
    assert await store.months_for_cell(roster_db, cells[0].id) == ["2026-12"]
    cancelled = await _create(roster_db, clock, ward, cells, status="cancelled", month="2027-02")
    assert not await store.sent_for_month(roster_db, ward.id, "2027-02")
    assert cancelled not in [g.id for g in await store.for_cell(roster_db, cells[0].id)]


async def test_a_receipt_is_recorded_once(roster_db, clock):
    ward, _other = await _wards(roster_db)
    guidance_id = await _create(roster_db, clock, ward, await org.cells_under(roster_db, ward.id))
    person_id = (await store.recipients(roster_db, guidance_id))[0].person_id
    at = codec.instant(clock.now())
    assert await store.is_recipient(roster_db, guidance_id, person_id)
    assert await store.record_receipt(roster_db, guidance_id, person_id, at)
    assert not await store.record_receipt(roster_db, guidance_id, person_id, at)
    assert await store.receipts(roster_db, guidance_id) == {person_id: at}
