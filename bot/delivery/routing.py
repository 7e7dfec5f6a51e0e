"""Where the bot writes to people on its own (guidance, reminders, notices, answers, reports), now that one
person may be on Telegram, Zalo or both: to the channel they used last, or to each of their channels when
`[delivery] both_channels` is true (storage/accounts.py: for_people). Each account written to gets its
own outbox row; the outbox keeps the rows apart by platform (storage/outbox.py: channel_key). Receipts,
roll calls and recommendations are recorded per person, so they count once whichever channel they came
from."""

from __future__ import annotations

from typing import Iterable

from bot.core.context import AppContext
from storage import accounts
from storage.accounts import Account


async def accounts_of(ctx: AppContext, person_ids: Iterable[int]) -> dict[int, list[Account]]:
    """The account(s) to write to, for each of these people who has joined on any channel (reachable or
    not: a caller that reports who cannot be reached needs to know)."""
    return await accounts.for_people(ctx.db, person_ids, both=ctx.config.delivery.both_channels)


async def reachable(ctx: AppContext, person_ids: Iterable[int]) -> dict[int, list[Account]]:
    """As `accounts_of`, without the accounts that blocked the bot (and without people left with none)."""
    found = {}
    for person_id, listed in (await accounts_of(ctx, person_ids)).items():
        usable = [account for account in listed if not account.unreachable]
        if usable:
            found[person_id] = usable
    return found


def each(found: dict[int, list[Account]]) -> list[tuple[int, Account]]:
    """(person id, account) for every account of every person in `found`: one message each."""
    return [(person_id, account) for person_id, listed in found.items() for account in listed]
