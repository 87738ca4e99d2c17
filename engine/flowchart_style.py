"""What a flowchart looks like: the dossier states' colours, the header, glyphs and safe text.

Everything taken from a diagram passes through ``esc`` (graphviz HTML-like labels) or ``quote``
(graphviz strings) before it reaches graphviz.
"""

from __future__ import annotations

import html
import re
import textwrap
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from engine.steptable import format_days

FONT = "Noto Sans,DejaVu Sans,sans-serif"


@dataclass(frozen=True)
class OverlayStyle:
    """How one dossier state colours an element in the live diagram."""

    label: str
    fill: str
    border: str
    penwidth: float = 2.0
    dashed: bool = False


OVERLAY_STYLES: dict[str, OverlayStyle] = {
    "completed": OverlayStyle("Đã hoàn thành", "#d7f0dd", "#2e7d32"),
    "current": OverlayStyle("Đang xử lý", "#fff1c2", "#e08a00", 3.0),
    "late": OverlayStyle("Quá hạn", "#fbd5d5", "#c62828", 3.0),
    "late_completed": OverlayStyle("Hoàn thành trễ hạn", "#ffe0c2", "#b85c00"),
    "cancelled": OverlayStyle("Đã hủy", "#ececec", "#8a8a8a", 1.5, dashed=True),
    # The review of times: each step by its share of the dossiers' lateness.
    "lateness_high": OverlayStyle("Gây từ 25% thời gian trễ hạn", "#fbd5d5", "#c62828", 3.0),
    "lateness_some": OverlayStyle("Gây từ 5% thời gian trễ hạn", "#ffe0c2", "#b85c00"),
    "lateness_none": OverlayStyle("Gây dưới 5% thời gian trễ hạn", "#d7f0dd", "#2e7d32"),
}


@dataclass(frozen=True)
class Header:
    """The lines printed above a flowchart: procedure title, code and time limits."""

    title: str
    code: str = ""
    legal_working_days: Decimal | None = None
    reduced_working_days: Decimal | None = None
    main_path_total: Decimal | None = None
    extra_lines: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The header's lines after the title, as printed."""
        facts: list[str] = []
        if self.code:
            facts.append(f"Mã thủ tục: {self.code}")
        if self.legal_working_days is not None:
            facts.append(f"Thời hạn theo quy định: {format_days(self.legal_working_days)} làm việc")
        if self.reduced_working_days is not None:
            facts.append(f"Thời hạn rút ngắn: {format_days(self.reduced_working_days)} làm việc")
        if self.main_path_total is not None:
            facts.append(f"Tổng thời gian các bước: {format_days(self.main_path_total)} làm việc")
        out = [" · ".join(facts)] if facts else []
        return out + [line for line in self.extra_lines if line.strip()]


EVENT_GLYPHS = {
    "timer": "⏱", "message": "✉", "signal": "△", "error": "ϟ", "escalation": "⇑",
    "conditional": "≡", "compensate": "«", "cancel": "×", "terminate": "●", "link": "→",
}
GATEWAY_GLYPHS = {
    "exclusiveGateway": "×", "parallelGateway": "+", "inclusiveGateway": "○",
    "eventBasedGateway": "⬠", "complexGateway": "✱",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.:-]")


def clean(value: str) -> str:
    """NFC text without control characters, whitespace runs folded to one space."""
    return " ".join(unicodedata.normalize("NFC", _CONTROL.sub("", value)).split())


def safe_id(value: str) -> str:
    """An element id as an SVG id fragment."""
    return _UNSAFE_ID.sub("_", value)


def esc(value: str) -> str:
    """Text for a graphviz HTML-like label."""
    # Graphviz expands \N, \G, \L... even inside HTML-like labels, and reads "\\" as one backslash.
    return html.escape(value, quote=True).replace("\\", "\\\\")


def wrap(value: str, width: int, max_lines: int) -> list[str]:
    """Cleaned text in lines of at most ``width`` characters, cut with "…" after ``max_lines``."""
    lines = textwrap.wrap(clean(value), width=width, break_long_words=True, break_on_hyphens=False)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return lines


def html_lines(value: str, width: int, max_lines: int) -> str:
    """Wrapped, escaped text joined by HTML line breaks."""
    return "<BR/>".join(esc(line) for line in wrap(value, width, max_lines))


def small(lines: list[str]) -> str:
    """Escaped lines in the small font of external labels."""
    return '<FONT POINT-SIZE="9">' + "<BR/>".join(esc(x) for x in lines) + "</FONT>"


def quote(value: str) -> str:
    """A graphviz double-quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def attrs(values: Mapping[str, str]) -> str:
    """A graphviz attribute list; ``label`` and ``xlabel`` are HTML-like, the rest quoted."""
    parts = []
    for key, value in values.items():
        parts.append(f"{key}=<{value}>" if key in ("label", "xlabel") else f"{key}={quote(value)}")
    return "[" + " ".join(parts) + "]"
