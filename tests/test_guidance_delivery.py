"""bot/delivery/guidance_delivery.py on the roster database: settling a guidance marks it sent and queues
the author's report in one transaction; a failure in between leaves it unsettled (to be settled again),
never "sent" without its report."""

from __future__ import annotations

import sqlite3

import pytest

from bot.core.config import Config
from bot.core.context import AppContext
from bot.delivery import guidance_delivery as delivery
from storage import accounts, codec, org, outbox
from storage import guidance as store


async def _sent_guidance(db, clock):
    ctx = AppContext(config=Config(source="test"), db=db, clock=clock)
    ward = (await org.units_of_kind(db, "ward"))[0]
    author = (await org.current_members(db, [ward.id], ("ward_staff",)))[0][0]
    await accounts.link(db, external_id=1, chat_id=1, person_id=author.id, at=codec.instant(clock.now()), platform=accounts.TELEGRAM)
    cells = await org.cells_under(db, ward.id)
    queued = await delivery.confirm(ctx, author_person_id=author.id, scope_unit_id=ward.id, month="2026-12",
                                    text="x", parse_mode=None, audience="leaders", cell_ids=[cells[0].id],
                                    attachments=[])
    return ctx, queued.guidance_id


async def test_settling_marks_sent_and_queues_the_report_together(roster_db, clock):
    ctx, guidance_id = await _sent_guidance(roster_db, clock)
    ref = store.ref(guidance_id)
    # The report cannot be queued (a fault injected in the database itself): nothing of the settling stays.
    await roster_db.conn.execute(
        "CREATE TRIGGER no_reports BEFORE INSERT ON outbox WHEN NEW.ref LIKE '%:report'"
        " BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    with pytest.raises(sqlite3.IntegrityError, match="injected fault"):
        await delivery.on_settled(ctx, ref)
    assert (await store.get(roster_db, guidance_id)).status == store.SENDING
    assert ref in await delivery.unsettled_refs(ctx)   # so it is settled again later
    await roster_db.conn.execute("DROP TRIGGER no_reports")
    await delivery.on_settled(ctx, ref)
    assert (await store.get(roster_db, guidance_id)).status == store.SENT
    assert len(await outbox.by_ref(roster_db, f"{ref}:report")) == 1


async def test_resending_a_guidance_that_does_not_exist_queues_nothing(roster_db, clock):
    ctx = AppContext(config=Config(source="test"), db=roster_db, clock=clock)
    queued = await delivery.resend_unconfirmed(ctx, 999_999)
    assert (queued.recipients, queued.queued) == (0, 0)


async def test_a_resend_after_another_one_is_refused(roster_db, clock):
    ctx, guidance_id = await _sent_guidance(roster_db, clock)
    first = await delivery.resend_unconfirmed(ctx, guidance_id, after_round=0)
    assert first is not None and first.recipients > 0
    assert await delivery.resend_unconfirmed(ctx, guidance_id, after_round=0) is None  # the same old button
    assert (await store.get(roster_db, guidance_id)).resend_rounds == 1
