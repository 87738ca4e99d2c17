"""Personal data removed from a text before it is published (a citizen's feedback and its answer).

What goes: the sender's name and contact as given, e-mail addresses, telephone numbers (Vietnamese
mobile and landline, ``+84`` or ``0`` first, spaces, dots and dashes allowed) and identity numbers
(any run of 8 or more digits: CMND has 9, CCCD and the personal identification number 12, a social
insurance number 10). What stays: dates, amounts written with thousands separators, short numbers
(a house number, a decision number such as 123/QĐ-UBND). A redaction is never undone: it is applied
to a copy kept for publication, the original stays with the agency.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["EMAIL_MARK", "ID_MARK", "NAME_MARK", "PHONE_MARK", "redact"]

NAME_MARK = "[họ tên]"
EMAIL_MARK = "[thư điện tử]"
PHONE_MARK = "[số điện thoại]"
ID_MARK = "[số giấy tờ]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
#: +84 or 0, then 8–10 more digits, optionally grouped by spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w.])(?:\+84|0084|0)(?:[ .-]?\d){8,10}(?![\w])")
#: Eight or more digits in a row (spaces inside a CCCD number, as printed, are allowed).
_ID = re.compile(r"(?<![\w])\d(?:[ ]?\d){7,}(?![\w])")


def _loose(value: str) -> re.Pattern[str] | None:
    """A case-insensitive pattern for ``value`` with any run of spaces between its words."""
    words = unicodedata.normalize("NFC", value).split()
    if not words or sum(len(w) for w in words) < 2:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE)


def redact(text: str, *, name: str = "", contact: str = "") -> str:
    """``text`` with the sender's name and contact, e-mail addresses, phone and identity numbers replaced."""
    out = unicodedata.normalize("NFC", text)
    for value, mark in ((contact, PHONE_MARK if not _EMAIL.fullmatch(contact.strip()) else EMAIL_MARK),
                        (name, NAME_MARK)):
        pattern = _loose(value)
        if pattern is not None:
            out = pattern.sub(mark, out)
    out = _EMAIL.sub(EMAIL_MARK, out)
    out = _PHONE.sub(PHONE_MARK, out)
    return _ID.sub(ID_MARK, out)
