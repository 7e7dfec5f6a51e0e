"""The Zalo channel's own records (migration 0010): local integer ids for Zalo's string ids, the messages
of each Zalo chat under the ids python-telegram-bot sees, the option list each chat was last shown, and
the update_id sequence. Used by the adapter (bot/channels/zalo/request.py) only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Database


@dataclass(frozen=True)
class StoredMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    zalo_message_id: str | None
    telegram: dict[str, Any]     # the Telegram-shaped message
    shown: str                   # the plain text the person saw


@dataclass(frozen=True)
class OptionList:
    chat_id: int
    message_id: int
    options: dict[str, str]      # what is typed ("3", "b") -> the button's callback_data
    label_numbered: bool


async def local_id(db: Database, zalo_id: str, at: str) -> int:
    """The stable local id of this Zalo user or chat, given the first time it is seen."""
    found = await db.fetchval("SELECT local_id FROM zalo_ids WHERE zalo_id = ?", (zalo_id,))
    if found is not None:
        return int(found)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO zalo_ids (zalo_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           (zalo_id, at))
        cursor = await conn.execute("SELECT local_id FROM zalo_ids WHERE zalo_id = ?", (zalo_id,))
        row = await cursor.fetchone()
    return int(row[0])


async def zalo_id(db: Database, local: int | str) -> str | None:
    """The Zalo id behind a local id (None: never seen)."""
    try:
        number = int(local)
    except (TypeError, ValueError):
        return None
    return await db.fetchval("SELECT zalo_id FROM zalo_ids WHERE local_id = ?", (number,))


async def next_update_id(db: Database) -> int:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE zalo_update_ids SET last_update_id = last_update_id + 1 WHERE id = 1 RETURNING last_update_id")
        row = await cursor.fetchone()
        await cursor.close()
    return int(row[0])


async def add_message(db: Database, *, chat_id: int, from_bot: bool, telegram: dict[str, Any], shown: str,
                      at: str, zalo_message_id: str | None = None,
                      options: tuple[dict[str, str], bool] | None = None, keep_options: bool = False) -> int:
    """Record a message and give it its id; `telegram["message_id"]` is filled in. For the bot's messages,
    the chat's option list becomes `options` (None: no list any more), unless `keep_options` (a notice
    that answers a press leaves the list the person is answering)."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO zalo_messages (chat_id, from_bot, zalo_message_id, telegram, shown, at) "
            "VALUES (?, ?, ?, '{}', ?, ?)", (chat_id, int(from_bot), zalo_message_id, shown, at))
        message_id = cursor.lastrowid
        telegram["message_id"] = message_id
        await conn.execute("UPDATE zalo_messages SET telegram = ? WHERE message_id = ?",
                           (json.dumps(telegram, ensure_ascii=False), message_id))
        if from_bot and not keep_options:
            await _set_options(conn, chat_id, message_id, options, at)
    return int(message_id)


async def update_message(db: Database, message_id: int, *, telegram: dict[str, Any], shown: str, at: str,
                         options: tuple[dict[str, str], bool] | None, latest: bool) -> None:
    """An edit: the message now holds `telegram` and shows `shown`. `latest`: it was sent again as the
    newest message, so its options are the chat's list; else its options replace the list only if the
    list was this message's."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE zalo_messages SET telegram = ?, shown = ? WHERE message_id = ? RETURNING chat_id",
            (json.dumps(telegram, ensure_ascii=False), shown, message_id))
        row = await cursor.fetchone()
        await cursor.close()
        if row is None:
            return
        chat_id = int(row[0])
        if not latest:
            cursor = await conn.execute("SELECT message_id FROM zalo_option_lists WHERE chat_id = ?", (chat_id,))
            current = await cursor.fetchone()
            await cursor.close()
            if current is None or int(current[0]) != message_id:
                return
        await _set_options(conn, chat_id, message_id, options, at)


async def set_shown(db: Database, message_id: int, shown: str) -> None:
    """What the person saw of the message after all (an edit that could not be sent)."""
    await db.execute("UPDATE zalo_messages SET shown = ? WHERE message_id = ?", (shown, message_id))


async def _set_options(conn, chat_id: int, message_id: int, options: tuple[dict[str, str], bool] | None,
                       at: str) -> None:
    if not options or not options[0]:
        await conn.execute("DELETE FROM zalo_option_lists WHERE chat_id = ?", (chat_id,))
        return
    numbered, label_numbered = options
    await conn.execute(
        """INSERT INTO zalo_option_lists (chat_id, message_id, options, label_numbered, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (chat_id) DO UPDATE SET message_id = excluded.message_id, options = excluded.options,
               label_numbered = excluded.label_numbered, at = excluded.at""",
        (chat_id, message_id, json.dumps(list(numbered.items()), ensure_ascii=False), int(label_numbered), at))


async def forget_options_of(db: Database, message_id: int) -> None:
    """The message was deleted: its options are no longer an answer."""
    await db.execute("DELETE FROM zalo_option_lists WHERE message_id = ?", (message_id,))


async def get_message(db: Database, message_id: int) -> StoredMessage | None:
    row = await db.fetchone("SELECT * FROM zalo_messages WHERE message_id = ?", (message_id,))
    if row is None:
        return None
    return StoredMessage(row["message_id"], row["chat_id"], bool(row["from_bot"]), row["zalo_message_id"],
                         json.loads(row["telegram"]), row["shown"])


async def option_list(db: Database, chat_id: int) -> OptionList | None:
    row = await db.fetchone("SELECT * FROM zalo_option_lists WHERE chat_id = ?", (chat_id,))
    if row is None:
        return None
    options = {str(key): data for key, data in json.loads(row["options"])}
    return OptionList(row["chat_id"], row["message_id"], options, bool(row["label_numbered"]))
