"""Small charts drawn on the server as SVG: bars (one or two series) and a line over months.

Each chart is an ``<svg role="img">`` with a title and a description, so a screen reader announces it,
and the page prints it as it is (no script). The page puts the same figures in a table beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import blake2s
from html import escape

WIDTH = 640
BAR_HEIGHT = 22
LABEL_WIDTH = 230
COLORS = ("#1f6f8b", "#e08a00")
MAX_ROWS = 40
MAX_LABEL = 30


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _ids(title: str) -> tuple[str, str]:
    """Ids for the chart's title and description, distinct per title, so several charts share a page."""
    key = "chart-" + blake2s(title.encode("utf-8"), digest_size=5).hexdigest()
    return f"{key}-t", f"{key}-d"


def _label(text: str) -> str:
    return escape(text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…")


def vi_number(value: float) -> str:
    """One decimal with a decimal comma, as Vietnamese pages write figures (14,3)."""
    return f"{value:,.1f}".replace(",", " ").replace(".", ",")


Format = Callable[[float], str]


def bars(title: str, labels: Sequence[str], series: Sequence[Series], *, fmt: Format = vi_number,
         maximum: float | None = None) -> str:
    """Horizontal bars, one row per label, one bar per series (two series: before and after)."""
    labels = list(labels)[:MAX_ROWS]
    values = [v for s in series for v in list(s.values)[: len(labels)] if v is not None]
    top = maximum if maximum is not None else max(values, default=0) or 1
    per_row = BAR_HEIGHT * len(series) + 8
    legend = 22 if len(series) > 1 else 0
    height = 30 + legend + per_row * len(labels) + 10
    plot = WIDTH - LABEL_WIDTH - 70
    tid, did = _ids(title)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="{tid} {did}">',
             f'<title id="{tid}">{escape(title)}</title>',
             f'<desc id="{did}">{escape(_describe(labels, series, fmt))}</desc>',
             f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>']
    if legend:
        for k, s in enumerate(series):
            x = LABEL_WIDTH + k * 180
            parts.append(f'<rect x="{x}" y="30" width="12" height="12" fill="{COLORS[k % 2]}"/>'
                         f'<text x="{x + 18}" y="41" font-size="12">{escape(s.name)}</text>')
    for i, label in enumerate(labels):
        y = 30 + legend + i * per_row
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + per_row / 2 + 4:.0f}" font-size="12" '
                     f'text-anchor="end"><title>{escape(label)}</title>{_label(label)}</text>')
        for k, s in enumerate(series):
            value = list(s.values)[i] if i < len(s.values) else None
            by = y + 4 + k * BAR_HEIGHT
            if value is None:
                parts.append(f'<text x="{LABEL_WIDTH}" y="{by + 15}" font-size="11" fill="#777">—</text>')
                continue
            w = max(0.0, min(1.0, value / top)) * plot
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{by}" width="{w:.1f}" height="{BAR_HEIGHT - 4}" '
                         f'fill="{COLORS[k % 2]}"/>'
                         f'<text x="{LABEL_WIDTH + w + 4:.1f}" y="{by + 14}" font-size="11">{fmt(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line(title: str, labels: Sequence[str], series: Series, *, fmt: Format = vi_number, maximum: float = 100) -> str:
    """A line over periods (months), with a point and its value at each one."""
    labels = list(labels)[:MAX_ROWS]
    height, left, bottom, top_pad = 240, 46, 40, 34
    plot_w = WIDTH - left - 20
    plot_h = height - bottom - top_pad
    step = plot_w / max(len(labels) - 1, 1)
    tid, did = _ids(title)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="{tid} {did}">',
             f'<title id="{tid}">{escape(title)}</title>',
             f'<desc id="{did}">{escape(_describe(labels, [series], fmt))}</desc>',
             f'<text x="0" y="18" font-size="15" font-weight="bold">{escape(title)}</text>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        y = top_pad + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" x2="{WIDTH - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
                     f'{fmt(maximum * tick)}</text>')
    points = []
    for i, (label, value) in enumerate(zip(labels, list(series.values)[: len(labels)], strict=False)):
        x = left + i * step
        parts.append(f'<text x="{x:.1f}" y="{height - 18}" font-size="11" text-anchor="middle">{_label(label)}</text>')
        if value is None:
            continue
        y = top_pad + plot_h * (1 - max(0.0, min(1.0, value / maximum)))
        points.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{COLORS[0]}"/>'
                     f'<text x="{x:.1f}" y="{y - 8:.1f}" font-size="11" text-anchor="middle">'
                     f'{fmt(value)}</text>')
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{COLORS[0]}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def _describe(labels: Sequence[str], series: Sequence[Series], fmt: Format) -> str:
    rows = []
    for i, label in enumerate(labels):
        cells = [f"{s.name}: {fmt(v) if (v := list(s.values)[i]) is not None else '—'}" for s in series]
        rows.append(f"{label} ({'; '.join(cells)})")
    return "; ".join(rows)
