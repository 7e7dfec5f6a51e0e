"""Text commands: a menu label typed by hand matches whatever the case, the diacritics, the language or
the emoji around it (`Trợ giúp`, `tro giup`, `TRỢ GIÚP`, `/help` all name the same item)."""

from __future__ import annotations

import unicodedata
from typing import Iterable, Mapping

from bot.rules.text import fold


def command_key(text: str) -> str:
    """The folded text without punctuation or symbols (emoji, arrows, a leading slash)."""
    kept = "".join(ch if unicodedata.category(ch)[0] in "LNZ" else " " for ch in fold(text))
    return " ".join(kept.split())


def build_index(names: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """{folded spelling: item key} from {item key: its labels in every language and its command}.
    A spelling shared by two items belongs to the first one given (menus are ordered)."""
    index: dict[str, str] = {}
    for key, spellings in names.items():
        for spelling in spellings:
            folded = command_key(spelling)
            if folded and folded not in index:
                index[folded] = key
    return index


def match(text: str | None, index: Mapping[str, str]) -> str | None:
    """The item key a typed text names, or None."""
    if not text:
        return None
    return index.get(command_key(text))
