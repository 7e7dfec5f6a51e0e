"""Splitting a long Telegram message (HTML parse mode) into messages Telegram accepts.

Telegram refuses a text longer than 4096 characters after the markup is parsed. A long guidance is cut
at paragraph boundaries (else at a line break, else at a space, else anywhere), and formatting that
spans a cut is closed at the end of one part and opened again, with the same attributes, at the start
of the next — so every part is well formed and the parts read together say exactly what the whole said.

Lengths are counted in UTF-16 code units, as Telegram counts them (an emoji counts two).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TELEGRAM_TEXT_LIMIT = 4096

_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^<>]*)>|&(?:#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")


@dataclass(frozen=True)
class _Atom:
    source: str          # exactly as written in the markup
    weight: int          # visible length in UTF-16 units (0 for a tag)
    tag: str | None = None  # tag name for tags
    closing: bool = False
    visible: str = ""    # the character(s) it shows


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _atoms(text: str, is_html: bool) -> list[_Atom]:
    atoms: list[_Atom] = []

    def add_text(chunk: str) -> None:
        for char in chunk:
            atoms.append(_Atom(char, utf16_len(char), visible=char))

    if not is_html:
        add_text(text)
        return atoms
    position = 0
    for match in _TOKEN.finditer(text):
        add_text(text[position:match.start()])
        if match.group(2):
            atoms.append(_Atom(match.group(0), 0, match.group(2).lower(), bool(match.group(1))))
        else:
            shown = html.unescape(match.group(0))
            atoms.append(_Atom(match.group(0), utf16_len(shown), visible=shown))
        position = match.end()
    add_text(text[position:])
    return atoms


def visible_text(text: str, is_html: bool = True) -> str:
    """What the reader sees: the text without tags, entities resolved."""
    return "".join(atom.visible for atom in _atoms(text, is_html))


def visible_length(text: str, is_html: bool = True) -> int:
    return sum(atom.weight for atom in _atoms(text, is_html))


def formatted_characters(text: str, is_html: bool = True) -> list[tuple[str, tuple[str, ...]]]:
    """Each visible character with the opening tags in force around it (for checking a split)."""
    stack: list[_Atom] = []
    result: list[tuple[str, tuple[str, ...]]] = []
    for atom in _atoms(text, is_html):
        if atom.tag is None:
            for char in atom.visible:
                result.append((char, tuple(open_tag.source for open_tag in stack)))
        else:
            _apply_tag(stack, atom)
    return result


def _apply_tag(stack: list[_Atom], atom: _Atom) -> None:
    if not atom.closing:
        stack.append(atom)
        return
    # Close the innermost open tag of that name (well-formed markup closes the top one).
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].tag == atom.tag:
            del stack[index]
            return


def _closing(stack: list[_Atom]) -> str:
    return "".join(f"</{atom.tag}>" for atom in reversed(stack))


def _opening(stack: list[_Atom]) -> str:
    return "".join(atom.source for atom in stack)


def _best_cut(atoms: list[_Atom], visible_indexes: list[int], first: int, last: int) -> int:
    """Where to end a part whose visible atoms may run from `first` to `last` (positions in
    visible_indexes, and `last + 1` exists): after the latest paragraph break, else line break, else
    space — always at the end of a whitespace run, so the next part starts with words; else at `last`."""
    def is_space(k: int) -> bool:
        return atoms[visible_indexes[k]].visible.isspace()

    best_line = best_space = None
    for k in range(last, first - 1, -1):
        if not is_space(k) or is_space(k + 1):
            continue
        newlines, j = 0, k
        while j >= first and is_space(j):
            newlines += atoms[visible_indexes[j]].visible.count("\n")
            j -= 1
        if j < first:
            continue  # the part would be blank
        if newlines >= 2:
            return k
        if newlines == 1 and best_line is None:
            best_line = k
        if best_space is None:
            best_space = k
    for choice in (best_line, best_space):
        if choice is not None:
            return choice
    return last


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT, *, is_html: bool = True) -> list[str]:
    """Parts of at most `limit` visible UTF-16 units each, each well formed, together the whole text."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    if utf16_len(text) <= limit:   # markup only adds characters: it fits as it is
        return [text]
    atoms = _atoms(text, is_html)
    if sum(atom.weight for atom in atoms) <= limit:
        return [text]
    visible_indexes = [i for i, atom in enumerate(atoms) if atom.tag is None]
    parts: list[str] = []
    stack: list[_Atom] = []
    atom_start = 0    # first atom of the current part
    first = 0         # first visible atom (index in visible_indexes) of the current part
    while first < len(visible_indexes):
        # The furthest visible atom that still fits.
        total, last = 0, first - 1
        while last + 1 < len(visible_indexes) and total + atoms[visible_indexes[last + 1]].weight <= limit:
            last += 1
            total += atoms[visible_indexes[last]].weight
        if last + 1 >= len(visible_indexes):
            cut_visible = len(visible_indexes) - 1
            atom_end = len(atoms)   # the rest, trailing tags included
        else:
            cut_visible = _best_cut(atoms, visible_indexes, first, last)
            atom_end = visible_indexes[cut_visible] + 1
            # Closing tags right after the cut belong to this part; opening ones to the next.
            while atom_end < len(atoms) and atoms[atom_end].tag is not None and atoms[atom_end].closing:
                atom_end += 1
        opened = _opening(stack)
        for atom in atoms[atom_start:atom_end]:
            if atom.tag is not None:
                _apply_tag(stack, atom)
        body = "".join(atom.source for atom in atoms[atom_start:atom_end])
        parts.append(opened + body + _closing(stack))
        atom_start, first = atom_end, cut_visible + 1
    return parts
