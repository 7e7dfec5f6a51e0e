"""Folding Vietnamese text for matching: people type commands, roles and yes/no words with or without
diacritics and in any case (`điểm danh` = `diem danh` = `ĐIỂM DANH`)."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case, no diacritics (đ → d), single spaces, trimmed."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d")
    return " ".join(stripped.split())


def normalize_name(text: str) -> str:
    """A name as written, but in NFC and with single spaces: Excel and phones produce both NFC and NFD."""
    return " ".join(unicodedata.normalize("NFC", text).split())
