"""The typed forms of the roll call and the meeting record: what a person may type instead of tapping
(and what a channel without buttons, like Zalo, takes). Matched on folded text (no case, no diacritics),
in Vietnamese or English:

| typed                                  | means                                                 |
|----------------------------------------|-------------------------------------------------------|
| `vắng 3 7` · `absent 3 7`              | members 3 and 7 absent (with a reason, the default)   |
| `không lý do 3` · `no reason 3`        | member 3 absent without a reason                      |
| `lý do 3 ốm` · `reason 3 ill`          | member 3 absent, the reason "ốm"                      |
| `bỏ vắng 3` · `not absent 3`           | member 3 present after all (an exempt member: attended) |
| `có mặt 27` · `present 27`             | 27 present, counted without naming anyone             |
| `khách 2` · `guests 2`                 | two guests (counted apart)                            |
| `giờ 19:30` · `time 19:30 3/12`        | the roll call's time (and day)                        |
| `xong` · `done`                        | the list is right: show the summary                   |
| a number alone                         | answers the numbered question (in the list: that member, one tap) |
| `bỏ qua` · `skip`                      | skip a step of the record                             |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.rules.text import fold

ABSENT, UNEXCUSED, REASON, PRESENT, COUNT, GUESTS, TIME, DONE, NUMBER, SKIP, ALL_PRESENT = (
    "absent", "unexcused", "reason", "present", "count", "guests", "time", "done", "number", "skip",
    "all_present")

_NUMBERS = r"(\d+(?:[\s,;]+\d+)*)"
_PATTERNS = [
    (UNEXCUSED, re.compile(rf"^(?:vang )?(?:khong ly do|khong co ly do|no reason|unexcused) {_NUMBERS}$")),
    (PRESENT, re.compile(rf"^(?:bo vang|khong vang|not absent|back) {_NUMBERS}$")),
    (ABSENT, re.compile(rf"^(?:vang|absent) {_NUMBERS}$")),
    (COUNT, re.compile(r"^(?:co mat|present) (\d+)$")),
    (GUESTS, re.compile(r"^(?:khach|khach moi|guests?) (\d+)$")),
    (DONE, re.compile(r"^(?:xong|done|ok|dung roi)$")),
    (SKIP, re.compile(r"^(?:bo qua|skip)$")),
    (ALL_PRESENT, re.compile(r"^(?:tat ca co mat|du|everyone present|all present)$")),
    (NUMBER, re.compile(r"^(\d+)$")),
]
_REASON = re.compile(r"^(?:ly do|reason) (\d+)[\s:,.-]+(.+)$")
_TIME = re.compile(r"^(?:gio|luc|time|at )?\s*(\d{1,2})\s*[:h.]\s*(\d{2})"
                   r"(?:\s*(?:ngay )?(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?)?$")


@dataclass(frozen=True)
class Typed:
    form: str
    numbers: tuple[int, ...] = ()
    text: str = ""                 # a reason, as typed (diacritics kept)
    time: tuple[int, int] | None = None                    # (hour, minute)
    day: tuple[int, int, int | None] | None = None         # (day, month, year or None)


def parse(text: str) -> Typed | None:
    """What a typed line means, or None when it is none of the forms (numbers are not checked here)."""
    folded = fold(text)
    if not folded or len(folded) > 500:
        return None
    reason = _REASON.match(folded)
    if reason:
        # the reason as typed: everything after the member's number in the original text
        original = " ".join(text.split())
        found = re.search(r"\d+", original)
        kept = original[found.end():].lstrip(" :,.-") if found else reason.group(2)
        return Typed(REASON, (int(reason.group(1)),), text=kept[:200])
    for form, pattern in _PATTERNS:
        match = pattern.match(folded)
        if match:
            numbers = tuple(int(n) for n in re.findall(r"\d+", match.group(1))) if match.groups() else ()
            return Typed(form, numbers)
    if folded.startswith(("gio", "luc", "time")) or re.match(r"^\d{1,2}[:h]\d{2}", folded):
        timed = _TIME.match(folded.replace("gio ", "").replace("luc ", "").replace("time ", ""))
        if timed:
            hour, minute = int(timed.group(1)), int(timed.group(2))
            day = (int(timed.group(3)), int(timed.group(4)), int(timed.group(5)) if timed.group(5) else None) \
                if timed.group(3) else None
            return Typed(TIME, time=(hour, minute), day=day)
        return Typed(TIME)   # a time that cannot be read: the caller says how to write it
    return None
