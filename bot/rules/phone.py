"""Vietnamese phone numbers: one canonical form, so that `0912 345 678`, `+84 912 345 678`,
`84912345678` and `0912.345.678` are the same person.

Stored form: "84" + the national number without its leading 0 (e.g. "84912345678"). Accepted:
- mobiles: 10 national digits, 03x, 05x, 07x, 08x or 09x (e.g. 0912 345 678);
- landlines: 11 national digits, 02 + the rest of the area code + the subscriber number
  (e.g. 0237 3852 123 in Thanh Hóa, 024 3825 1234 in Hà Nội);
- either written with +84, 84, 0084 or a leading 0, with spaces, dots, dashes or brackets between
  digits; or without the leading 0 at all, as spreadsheets do when a number is stored as a number.
"""

from __future__ import annotations

import re

_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_SEPARATORS = re.compile(r"[\s.\-()/]+")


def _national(digits: str) -> str | None:
    """The national form (leading 0) of a string of digits, or None if it is none we know."""
    for candidate in (digits,
                      "0" + digits[2:] if digits.startswith("84") else None,
                      digits[2:] if digits.startswith("840") else None,  # "+84 0912 …"
                      "0" + digits[4:] if digits.startswith("0084") else None,
                      "0" + digits):  # a spreadsheet dropped the leading 0
        if candidate and (_MOBILE.fullmatch(candidate) or _LANDLINE.fullmatch(candidate)):
            return candidate
    return None


def normalize_phone(text: str | None) -> str | None:
    """"84" + the national number without its leading 0, or None when `text` is not a Vietnamese
    mobile or landline number."""
    if text is None:
        return None
    compact = _SEPARATORS.sub("", str(text).strip())
    if compact.startswith("+"):
        if not compact.startswith("+84"):
            return None  # a foreign number
        compact = compact[1:]
    if not compact.isascii() or not compact.isdigit():
        return None
    # The forms cannot be confused: a national number starts with 0, and one without its 0 is 9
    # (mobile) or 10 (landline, starting with 2) digits long, while 84 + national is 11 or 12.
    national = _national(compact)
    return None if national is None else "84" + national[1:]


def national_phone(phone: str) -> str:
    """The stored form back as dialled at home: "84912345678" → "0912345678"."""
    return "0" + phone[2:] if phone.startswith("84") else phone


def display_phone(phone: str) -> str:
    """Grouped for reading and for spreadsheets (which keep it as text): "0912 345 678", "0237 3852 123"."""
    national = national_phone(phone)
    if len(national) == 10:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    return f"{national[:4]} {national[4:8]} {national[8:]}"


def mask_phone(phone: str | None) -> str:
    """For logs and the audit log: "84912345678" → "0912***678"."""
    if not phone:
        return ""
    national = national_phone(phone)
    if len(national) < 8:
        return "*" * len(national)
    return national[:4] + "*" * (len(national) - 7) + national[-3:]
