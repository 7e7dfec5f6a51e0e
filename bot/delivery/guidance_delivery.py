"""Delivering the month's guidance: shared by the chat (handlers/guidance.py) and the command line
(`shcb broadcast`). Confirming a guidance writes it, its recipients and one outbox row per recipient in
one transaction (so nothing is sent that is not recorded, and nothing recorded is lost); the outbox sender
does the rest and calls `on_settled` when every copy has settled, which reports to the author.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Awaitable, Callable, Iterable, Sequence

from bot.core import i18n
from bot.core.context import AppContext
from bot.core.i18n import N_
from bot.rules import guidance as rules
from bot.delivery import routing
from storage import codec, org, outbox
from storage import guidance as store
from storage.guidance import Attachment, Guidance, Recipient

log = logging.getLogger(__name__)

KIND = "guidance"
# Callback data of the buttons on a recipient's copy and on the author's report (action + opaque id).
ACK, PROGRESS, RESEND, UNSCHEDULE = "gd:ack:", "gd:prog:", "gd:resend:", "gd:unsched:"
PREVIEW_ACK = "gd:preview"

RECEIVED_LABEL = N_("Received")


@dataclass(frozen=True)
class Queued:
    guidance_id: int
    recipients: int        # people it is for
    queued: int            # copies queued (recipients with a chat account)
    not_joined: list[int]  # recipients without an account: nothing can reach them


def month_label(t: i18n.Translator, month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return t.format_date(date(year, number, 1), format="MM/yyyy")


def copy_payload(t: i18n.Translator, *, text: str, parse_mode: str | None, month: str, scope_name: str,
                 attachments: Sequence[Attachment], ack_data: str) -> dict:
    """A recipient's copy (also the author's preview): a heading, the text, the files, "Received"."""
    _ = t.gettext
    heading = _("<b>Guidance for the cell meeting of {month}</b>\nFrom: {unit}").format(
        month=month_label(t, month), unit=_escape(scope_name))
    body = text if parse_mode == "HTML" else _escape(text)
    return {
        "text": f"{heading}\n\n{body}",
        "parse_mode": "HTML",
        "attachments": [
            {"kind": a.kind, **({"file_id": a.file_id} if a.file_id else {"path": a.path}),
             **({"filename": a.filename} if a.filename else {})}
            for a in attachments
        ],
        "buttons": [[{"text": _(RECEIVED_LABEL), "callback_data": ack_data}]],
    }


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


async def cells_in_scope(ctx: AppContext, unit_ids: Iterable[int]) -> list[org.Unit]:
    """Every active cell under these units (wards, or the city), each once."""
    seen: dict[int, org.Unit] = {}
    for unit_id in unit_ids:
        for cell in await org.cells_under(ctx.db, unit_id):
            seen.setdefault(cell.id, cell)
    return list(seen.values())


async def recipients_for(ctx: AppContext, cell_ids: Sequence[int], audience: str) -> list[Recipient]:
    members = await org.current_members(ctx.db, cell_ids, rules.AUDIENCE_ROLES[audience])
    chosen = rules.recipients((rules.Member(p.id, m.unit_id, m.role) for p, m in members), cell_ids, audience)
    return [Recipient(m.person_id, m.cell_id, m.role) for m in chosen]


def content_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


async def _copies(ctx: AppContext, guidance: Guidance, attachments: Sequence[Attachment],
                  targets: Sequence[Recipient], *, round_: int = 0) -> tuple[list[outbox.OutgoingMessage], list[int]]:
    """One outbox message per target with an account, in the person's language."""
    scope = await org.get_unit(ctx.db, guidance.scope_unit_id)
    found = await routing.accounts_of(ctx, [r.person_id for r in targets])
    people = await org.get_people(ctx.db, [r.person_id for r in targets])
    messages, not_joined = [], []
    not_before = guidance.scheduled_at if round_ == 0 else None
    payloads: dict[str, dict] = {}   # the copy is the same for everyone of one language
    for target in targets:
        if target.person_id not in found:
            not_joined.append(target.person_id)
            continue
        person = people.get(target.person_id)
        t = i18n.get(person.language if person else None)
        payload = payloads.get(t.lang)
        if payload is None:
            payload = payloads[t.lang] = copy_payload(
                t, text=guidance.text, parse_mode=guidance.parse_mode, month=guidance.month,
                scope_name=scope.name if scope else "", attachments=attachments, ack_data=f"{ACK}{guidance.id}")
        suffix = f":r{round_}" if round_ else ""
        # An unreachable account is still written to: the sender records it as such, for the results.
        messages += [outbox.OutgoingMessage(
            kind=KIND, chat_id=account.chat_id, payload=payload, person_id=target.person_id,
            ref=store.ref(guidance.id), dedup_key=f"{store.ref(guidance.id)}:{target.person_id}{suffix}",
            not_before=not_before, platform=account.platform) for account in found[target.person_id]]
    return messages, not_joined


async def confirm(ctx: AppContext, *, author_person_id: int | None, scope_unit_id: int, month: str, text: str,
                  parse_mode: str | None, audience: str, cell_ids: Sequence[int], attachments: Sequence[Attachment],
                  scheduled_at: datetime | None = None, key: str | None = None,
                  in_transaction: Callable[[Any, Queued], Awaitable[Any]] | None = None) -> Queued:
    """Record the guidance and queue a copy for each recipient (at `scheduled_at`, or now), in one
    transaction — with `in_transaction(conn, queued)` too (ending the author's draft, the audit entry; if
    it raises, nothing is recorded); then wake the sender."""
    now = codec.instant(ctx.clock.now())
    targets = await recipients_for(ctx, cell_ids, audience)
    status = store.SCHEDULED if scheduled_at is not None else store.SENDING
    async with ctx.db.transaction() as conn:
        guidance_id = await store.create(
            conn, author_person_id=author_person_id, scope_unit_id=scope_unit_id, month=month, text=text,
            parse_mode=parse_mode, audience=audience, status=status,
            scheduled_at=codec.instant(scheduled_at) if scheduled_at else None, created_at=now,
            cell_ids=cell_ids, attachments=attachments, recipients=targets, content_key=key)
        guidance = Guidance(guidance_id, author_person_id, scope_unit_id, month, text, parse_mode, audience, status,
                            codec.instant(scheduled_at) if scheduled_at else None, now, None, 0, key)
        messages, not_joined = await _copies(ctx, guidance, attachments, targets)
        result = Queued(guidance_id, len(targets), await outbox.enqueue(conn, messages, at=now), not_joined)
        if in_transaction is not None:
            await in_transaction(conn, result)
    ctx.wake_sender()
    log.info("guidance %s for %s: %d recipients, %d queued%s", guidance_id, month, len(targets), result.queued,
             f", at {scheduled_at.isoformat()}" if scheduled_at else "")
    return result


async def cancel_scheduled(ctx: AppContext, guidance_id: int) -> bool:
    """A scheduled guidance whose time has not come: nothing of it will be sent. False when too late."""
    now = codec.instant(ctx.clock.now())
    async with ctx.db.transaction() as conn:
        if not await store.cancel_if_scheduled(conn, guidance_id, now):
            return False
        await outbox.cancel_pending(conn, store.ref(guidance_id))
    return True


async def _resend(ctx: AppContext, guidance_id: int, after_round: int | None) -> Queued:
    """Send another copy to every recipient who has not pressed "Received" — including people who took
    up a role in one of its cells since, and have joined. With `after_round` (the round a button was shown
    after), only if no other re-send came since: None otherwise, and nothing is queued."""
    guidance = await store.get(ctx.db, guidance_id)
    if guidance is None:  # nothing to re-send (the caller checked it exists; it cannot have gone since)
        return Queued(guidance_id, 0, 0, [])
    known = await store.recipients(ctx.db, guidance_id)
    current = await recipients_for(ctx, await store.cell_ids(ctx.db, guidance_id), guidance.audience)
    known_ids = {r.person_id for r in known}
    newcomers = [r for r in current if r.person_id not in known_ids]
    received = await store.receipts(ctx.db, guidance_id)
    targets = [r for r in known + newcomers if r.person_id not in received]
    attachments = await store.attachments(ctx.db, guidance_id)
    now = codec.instant(ctx.clock.now())
    async with ctx.db.transaction() as conn:
        round_ = await store.next_resend_round(conn, guidance_id)
        if after_round is not None and round_ != after_round + 1:
            raise _Superseded
        await store.add_recipients(conn, guidance_id, newcomers)
        messages, not_joined = await _copies(ctx, guidance, attachments, targets, round_=round_)
        queued = await outbox.enqueue(conn, messages, at=now)
    ctx.wake_sender()
    return Queued(guidance_id, len(targets), queued, not_joined)


async def resend_unconfirmed(ctx: AppContext, guidance_id: int, *, after_round: int | None = None) -> Queued | None:
    """See `_resend`; None when another re-send came after `after_round`."""
    try:
        return await _resend(ctx, guidance_id, after_round)
    except _Superseded:
        return None


class _Superseded(Exception):
    """Another re-send came first (rolls this one back)."""


@dataclass
class Report:
    guidance: Guidance
    progress: rules.Progress
    names: dict[int, str]           # person id → full name
    cells: dict[int, str]           # cell id → name


async def report(ctx: AppContext, guidance_id: int) -> Report | None:
    guidance = await store.get(ctx.db, guidance_id)
    if guidance is None:
        return None
    targets = await store.recipients(ctx.db, guidance_id)
    statuses = {person: rules.copy_status(found) for person, found in (await store.copy_statuses(ctx.db, guidance_id)).items()}
    received = await store.receipts(ctx.db, guidance_id)
    members = [rules.Member(r.person_id, r.cell_id, r.role) for r in targets]
    progress = rules.progress(members, statuses, received)
    people = await org.get_people(ctx.db, [r.person_id for r in targets])
    units = await org.get_units(ctx.db, {r.cell_id for r in targets})
    return Report(guidance, progress, {pid: p.full_name for pid, p in people.items()},
                  {uid: u.name for uid, u in units.items()})


def report_text(t: i18n.Translator, result: Report, *, scope_name: str, now: datetime) -> str:
    """The author's view: totals, then each cell with who has not received or not confirmed."""
    _ = t.gettext
    g, total = result.guidance, result.progress.total
    lines = []
    if g.status == store.CANCELLED:
        state = _("cancelled")
    elif g.status == store.SCHEDULED and g.scheduled_at and codec.parse_instant(g.scheduled_at) > now:
        state = _("scheduled for {when}").format(when=t.format_datetime(codec.parse_instant(g.scheduled_at), "short"))
    elif result.progress.finished:
        state = _("delivery finished")
    else:
        state = _("sending")
    lines.append(_("<b>Guidance for {month}</b> ({scope}): {state}").format(
        month=month_label(t, g.month), scope=_escape(scope_name), state=state))
    lines.append(_("Recipients: {total}. Sent: {sent}. Received (confirmed): {received}. Waiting: {pending}. "
                   "Failed: {failed}. Unreachable: {unreachable}. Not joined: {not_joined}.").format(
        total=t.format_number(total.recipients), sent=t.format_number(total.sent),
        received=t.format_number(total.received), pending=t.format_number(total.pending),
        failed=t.format_number(total.failed), unreachable=t.format_number(total.unreachable),
        not_joined=t.format_number(total.not_joined)))
    status_words = {rules.PENDING: _("waiting"), rules.FAILED: _("failed"), rules.UNREACHABLE: _("unreachable"),
                    rules.NOT_JOINED: _("not joined")}
    complete = 0
    for cell in result.progress.cells:
        if not cell.not_delivered and not cell.not_confirmed:
            complete += 1
            continue
        name = _escape(result.cells.get(cell.cell_id, "?"))
        line = _("• {cell}: received {sent}/{total}, confirmed {received}").format(
            cell=name, sent=cell.sent, total=cell.recipients, received=cell.received)
        if cell.not_delivered:
            line += "\n  " + _("not received: {names}").format(names=", ".join(
                f"{_escape(result.names.get(pid, '?'))} ({status_words[status]})" for pid, status in cell.not_delivered))
        if cell.not_confirmed:
            line += "\n  " + _("not confirmed: {names}").format(
                names=", ".join(_escape(result.names.get(pid, "?")) for pid in cell.not_confirmed))
        lines.append(line)
    if total.unreachable:
        lines.append(_("Unreachable means they have blocked the bot: nothing reaches them, reminders included, "
                       "until they open the bot again and press Start. Please call them."))
    if complete:
        lines.append(t.ngettext("• {n} cell: everyone received and confirmed.",
                                "• {n} cells: everyone received and confirmed.", complete).format(n=complete))
    return "\n".join(lines)


def report_buttons(t: i18n.Translator, result: Report) -> list[list[dict[str, str]]]:
    _ = t.gettext
    rows = [[{"text": _("🔄 Refresh"), "callback_data": f"{PROGRESS}{result.guidance.id}"}]]
    unconfirmed = result.progress.total.recipients - result.progress.total.received
    if result.guidance.status not in (store.CANCELLED, store.SCHEDULED) and unconfirmed:
        # With the round it was shown after: pressed again after a later re-send, it is out of date.
        rows.append([{"text": _("📨 Re-send to those who have not confirmed"),
                      "callback_data": f"{RESEND}{result.guidance.id}:{result.guidance.resend_rounds}"}])
    return rows


async def unsettled_refs(ctx: AppContext) -> list[str]:
    """Guidance being sent (or whose scheduled time has come) not yet marked sent: a process that died
    may have sent their last copies without reporting."""
    return [store.ref(g.id) for g in await store.unsettled(ctx.db, codec.instant(ctx.clock.now()))]


async def on_settled(ctx: AppContext, ref: str) -> None:
    """Every copy of a guidance has settled (sent, failed or unreachable): mark it sent and tell the author
    how it went (once per send or re-send)."""
    guidance_id = int(ref.split(":", 1)[1])
    guidance = await store.get(ctx.db, guidance_id)
    if guidance is None or guidance.status == store.CANCELLED:
        return
    now = codec.instant(ctx.clock.now())
    messages = await _author_report(ctx, guidance, ref)
    # Marked sent and the author's report queued together: a crash between them cannot lose the report.
    async with ctx.db.transaction() as conn:
        await store.set_status(conn, guidance_id, store.SENT, sent_at=now)
        if messages:
            await outbox.enqueue(conn, messages, at=now)


async def _author_report(ctx: AppContext, guidance: Guidance, ref: str) -> list[outbox.OutgoingMessage]:
    """The results for the author, in their language, on their channel(s); none when there is nobody to
    tell."""
    if guidance.author_person_id is None:
        return []
    where = (await routing.accounts_of(ctx, [guidance.author_person_id])).get(guidance.author_person_id, [])
    author = await org.get_person(ctx.db, guidance.author_person_id)
    result = await report(ctx, guidance.id)
    if not where or author is None or result is None:
        return []
    t = i18n.get(author.language)
    scope = await org.get_unit(ctx.db, guidance.scope_unit_id)
    text = t.gettext("The guidance has been delivered.") + "\n" + report_text(
        t, result, scope_name=scope.name if scope else "", now=ctx.clock.now())
    payload = {"text": text, "parse_mode": "HTML", "buttons": report_buttons(t, result)}
    return [outbox.OutgoingMessage(
        kind="notice", chat_id=account.chat_id, person_id=author.id, ref=f"{ref}:report",
        dedup_key=f"{ref}:report:{guidance.resend_rounds}", platform=account.platform, payload=payload)
        for account in where]
