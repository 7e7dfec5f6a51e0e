"""What each role's menu offers. Feature modules add their items at import time; `handlers/menu.py` turns
them into the persistent keyboard, `/menu`, `/help`, the `setMyCommands` lists and the text commands
(typed with or without diacritics, in any case, in either language)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

Callback = Callable[[Any, Any], Awaitable[Any]]  # (Update, CallbackContext) -> ...


@dataclass(frozen=True)
class MenuItem:
    key: str                  # stable id, e.g. "guidance.compose"
    label: str                # English source text of the keyboard button, marked with N_()
    description: str          # English source text for /help and the command list, marked with N_()
    roles: frozenset[str]     # storage.org role names that see it
    callback: Callback        # what pressing the button, typing the label or the command does
    command: str | None = None  # /command (Latin letters, no slash), listed by setMyCommands
    order: int = 100


ITEMS: dict[str, MenuItem] = {}


def add(item: MenuItem) -> None:
    ITEMS[item.key] = item


def items_for(roles: set[str] | frozenset[str]) -> list[MenuItem]:
    return sorted((item for item in ITEMS.values() if item.roles & set(roles)), key=lambda i: (i.order, i.key))
