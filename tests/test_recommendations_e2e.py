"""Recommendations (kiến nghị) end to end: the real Application polling the local Bot API server, the real
sender, on a copy of the roster database — a secretary submits, the ward and the city handle, the answers
come back down."""

from __future__ import annotations

import asyncio
import time

import pytest

from storage import org, outbox
from storage import recommendations as store
from tests.fixtures.e2e import audit_actions, press_raw

pytestmark = pytest.mark.e2e

WARD = "Nam Ngạn"
HOSTILE = "Đèn <b>đường</b> & *hỏng* _lâu_ </i> <script>"


async def until(predicate, timeout: float = 10, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def cell_of(e2e, ward=WARD, index=0):
    ward_unit = next(w for w in await org.units_of_kind(e2e.db, "ward") if w.name == ward)
    return ward_unit, (await org.cells_under(e2e.db, ward_unit.id))[index]


async def submit(u, *, category="1", content="Đường ngõ 5 bị ngập", source="2", urgency="1", files=()):
    """By typed forms: /guikiennghi → category → content → source → urgency → preview → send. Returns the
    confirmation."""
    await u.send("/guikiennghi")
    await u.wait_for(lambda m: "(1/4)" in m.text)
    await u.send(category)
    await u.wait_for(lambda m: "(2/4)" in m.text)
    await u.send(content)
    for kind, name, data in files:
        await u.wait_for(lambda m: "(3/4)" in m.text or "tệp" in m.text)
        if kind == "photo":
            await u.photo(data)
        else:
            await u.document(name, data)
    await u.wait_for(lambda m: "(3/4)" in m.text)
    await u.send(source)
    await u.wait_for(lambda m: "(4/4)" in m.text)
    await u.send(urgency)
    await u.wait_for(lambda m: "Gửi đi" in str(m.buttons))
    await u.send("1")
    return await u.wait_for(lambda m: "Mã theo dõi" in m.text)


async def test_submit_by_typing_and_the_deputy_is_told(e2e):
    ward, cell = await cell_of(e2e)
    secretary = await e2e.person("secretary", cell=cell.id)
    deputy = await e2e.person("deputy", cell=cell.id)
    s = await e2e.chat_as(secretary)
    d = await e2e.chat_as(deputy, language="en")
    done = await submit(s, content=HOSTILE)
    assert "KN-2611-0001" in done.text
    item = await store.by_code(e2e.db, "KN-2611-0001")
    assert item.content == HOSTILE and item.cell_id == cell.id and item.ward_id == ward.id
    assert (item.source, item.urgency, item.status) == ("citizens", "normal", "new")
    told = await d.wait_for(lambda m: "KN-2611-0001" in m.text)
    assert f"Comrade {secretary.full_name} sent recommendation KN-2611-0001" in told.text
    assert [e.detail["code"] for e in await audit_actions(e2e, "recommendation.submitted")] == ["KN-2611-0001"]
    await s.send("/kiennghi")
    listing = await s.wait_for(lambda m: "KN-2611-0001" in m.text)
    assert "Gửi kiến nghị mới" in str(listing.buttons)
    await s.send("KN-2611-0001")
    shown = await s.wait_for(lambda m: "Nội dung" in m.text)
    assert HOSTILE in shown.text
