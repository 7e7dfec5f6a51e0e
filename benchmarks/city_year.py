"""A year of the city's records for the benchmarks, written through the project's own storage and delivery
functions (the same rows the bot writes), seeded so that two runs hold the same data:

    counts = await fill_year(ctx, months, seed=7)
    rows = roster_rows(wards)   # the generated roster, or its first wards only (a quick run)

For each month, with the clock moved as the month goes:
- the 1st: the city's guidance to every cell's secretary and deputy (bot/delivery/guidance_delivery.py),
  its outbox copies marked sent, and a receipt ("read") from about 85 % of them;
- the 2nd, 3rd, 4th and 8th: the reminder checks (bot/reminders/scheduler.py), their outbox rows sent;
- the 3rd: about 95 % of the cells hold the meeting: a start and an end roll call with one row per member
  (about 7 % absent, with or without a reason), and the meeting record (kind, topic, speakers, grade…);
- a recommendation (kiến nghị) from about one cell in three.

Nothing is sent anywhere: outbox rows are marked sent as the sender would after Telegram's answer.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bot.core.clock import VN_TZ
from bot.core.context import AppContext
from bot.delivery import guidance_delivery as delivery
from bot.reminders import scheduler
from bot.rules import attendance
from bot.rules import guidance as guidance_rules
from bot.rules import recommendations as advice
from bot.rules.schedule import parse_period
from storage import codec, guidance, meetings, org, outbox, recommendations, roll_calls

REMINDER_TICKS = ((2, 7, 0), (3, 7, 0), (4, 9, 0), (8, 8, 0))
CATEGORIES = ("An ninh trật tự", "Môi trường – vệ sinh", "Hạ tầng – giao thông", "Chính sách xã hội")
TOPICS = ("Triển khai nghị quyết tháng", "Công tác an sinh xã hội", "Vệ sinh môi trường khu dân cư",
          "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh")


def roster_rows(wards: int) -> list:
    """The generated roster (seed 7), or only its first `wards` wards (and the city staff) for a quick run."""
    from bot.roster.generate import generate_roster

    kept: list[str] = []
    found = []
    for row in generate_roster(7):
        if row.ward and row.ward not in kept and len(kept) < wards:
            kept.append(row.ward)
        if not row.ward or row.ward in kept:
            found.append(row)
    return found


def _at(month: str, day: int, hour: int, minute: int = 0) -> datetime:
    year, number = parse_period(month)
    return datetime(year, number, day, hour, minute, tzinfo=VN_TZ)


async def _mark_outbox_sent(ctx: AppContext) -> int:
    now = codec.instant(ctx.clock.now() + timedelta(days=400))   # everything due, whatever its not_before
    total = 0
    while rows := await outbox.claim_due(ctx.db, now, 5000):
        sent_at = codec.instant(ctx.clock.now())
        await outbox.mark_sent_many(ctx.db, [(row.id, str(row.id), 1, sent_at) for row in rows])
        total += len(rows)
    return total


async def fill_year(ctx: AppContext, months: list[str], *, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    db, clock = ctx.db, ctx.clock
    city = (await org.units_of_kind(db, "city"))[0]
    cells = sorted(await org.units_of_kind(db, "cell"), key=lambda unit: unit.id)
    ward_of = {cell.id: cell.parent_id for cell in cells}
    members = await org.current_members(db, [cell.id for cell in cells], [org.SECRETARY, org.DEPUTY, org.MEMBER])
    by_cell: dict[int, list] = {}
    for person, membership in members:
        by_cell.setdefault(membership.unit_id, []).append((person, membership.role))
    counts = dict.fromkeys(("roll_calls", "member_rows", "meetings", "recommendations", "guidance", "receipts",
                            "outbox_rows"), 0)
    for month in months:
        # the 1st: the city's guidance to the secretaries and deputies, and their receipts
        clock.set(_at(month, 1, 8))
        queued = await delivery.confirm(
            ctx, author_person_id=None, scope_unit_id=city.id, month=month, audience=guidance_rules.LEADERS,
            text=f"<b>Nội dung sinh hoạt chi bộ tháng {month}</b>\n\nThảo luận và triển khai nhiệm vụ tháng.",
            parse_mode="HTML", cell_ids=[cell.id for cell in cells], attachments=[])
        counts["guidance"] += 1
        counts["outbox_rows"] += await _mark_outbox_sent(ctx)
        await delivery.on_settled(ctx, guidance.ref(queued.guidance_id))   # as the sender does once all went
        for recipient in await guidance.recipients(db, queued.guidance_id):
            if rng.random() < 0.85:
                await guidance.record_receipt(db, queued.guidance_id, recipient.person_id,
                                              codec.instant(_at(month, 1, 9, rng.randrange(60))))
                counts["receipts"] += 1
        # the reminders of the month
        for day, hour, minute in REMINDER_TICKS:
            clock.set(_at(month, day, hour, minute))
            await scheduler.tick(ctx, clock.now())
            counts["outbox_rows"] += await _mark_outbox_sent(ctx)
            if day == 3:
                await _meetings(ctx, rng, month, cells, by_cell, counts)
        # recommendations, from about one cell in three, the 5th
        clock.set(_at(month, 5, 10))
        for cell in cells:
            if rng.random() < 1 / 3 and by_cell.get(cell.id):
                person = by_cell[cell.id][0][0]
                new = recommendations.NewRecommendation(
                    category=rng.choice(CATEGORIES), content=f"Đề nghị xem xét {rng.choice(TOPICS).lower()}.",
                    source=rng.choice((advice.MEMBER, advice.CITIZENS)),
                    urgency=rng.choice((advice.NORMAL, advice.NORMAL, advice.URGENT)), cell_id=cell.id,
                    ward_id=ward_of[cell.id], submitted_by=person.id)
                await recommendations.submit(db, new, month=month, at=codec.instant(clock.now()),
                                             make_code=lambda m, seq: f"KN-{m}-{seq:04d}")
                counts["recommendations"] += 1
        counts["outbox_rows"] += await _mark_outbox_sent(ctx)
    return counts


async def _meetings(ctx: AppContext, rng: random.Random, month: str, cells, by_cell, counts) -> None:
    """The 3rd, 19:30 to 21:00: the start and end roll calls and the record of each meeting held."""
    async with ctx.db.transaction() as conn:
        for cell in cells:
            people = by_cell.get(cell.id, [])
            if not people or rng.random() < 0.05:
                continue
            statuses = [rng.choice((attendance.EXEMPT_ABSENT, attendance.EXEMPT_PRESENT)) if person.exempt else
                        attendance.PRESENT if rng.random() < 0.93 else
                        rng.choice((attendance.ABSENT_EXCUSED, attendance.ABSENT_UNEXCUSED))
                        for person, _role in people]
            marks = [roll_calls.MemberMark(person.id, number, person.full_name, role, person.exempt, status,
                                           "ốm" if status == attendance.ABSENT_EXCUSED else None)
                     for number, ((person, role), status) in enumerate(zip(people, statuses), start=1)]
            counted = attendance.count(statuses)
            for phase, hour, minute in ((roll_calls.START, 19, 30), (roll_calls.END, 21, 0)):
                at = codec.instant(_at(month, 3, hour, minute))
                await roll_calls.save(conn, cell_id=cell.id, month=month, phase=phase, taken_at=at,
                                      taken_by=people[0][0].id, saved_at=at, members=marks,
                                      eligible=counted.eligible, present=counted.present,
                                      held_on=_at(month, 3, 19).date() if phase == roll_calls.START else None)
                counts["roll_calls"] += 1
                counts["member_rows"] += len(marks)
            meeting_id = await meetings.ensure_meeting(conn, cell.id, month, codec.instant(_at(month, 3, 21)))
            await meetings.save_record(conn, meeting_id=meeting_id, by=people[0][0].id,
                                       at=codec.instant(_at(month, 3, 21, 10)), fields={
                                           "kind": rng.choice(attendance.KINDS), "topic": rng.choice(TOPICS),
                                           "speakers": rng.randint(2, 9), "ward_member_attended": rng.random() < 0.7,
                                           "conclusions": "Thống nhất triển khai các nhiệm vụ trọng tâm của tháng.",
                                           "proposed_grade": rng.choice(("good", "good", "fair", "average"))})
            counts["meetings"] += 1
