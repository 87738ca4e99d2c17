"""Where a form may send the browser afterwards: only a path on this site (``next`` after login, the
language switch). Anything a browser could read as another host is refused as a class: a scheme,
``//`` or ``/\\`` in any spelling (backslashes, tabs and other control or blank characters, which
browsers drop or turn into slashes, and their percent-encoded forms)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

#: Longest target kept; anything longer is not a link a page of this site produced.
MAX_TARGET = 2048


def _plain_path(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//"):
        return False
    if any(ch == "\\" or ord(ch) < 0x21 or 0x7F <= ord(ch) <= 0xA0 or ch in "\u2028\u2029\ufeff" for ch in text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def safe_target(target: str | None, default: str) -> str:
    """``target`` when its path is a same-site path (checked as given and once percent-decoded), else
    ``default``. The query and fragment cannot name a host and are kept as they are."""
    if not target or len(target) > MAX_TARGET:
        return default
    path = target.split("?", 1)[0].split("#", 1)[0]
    if _plain_path(path) and _plain_path(unquote(path)):
        return target
    return default
