"""Flowcharts of BPMN definitions: one band per agency (lane or pool), drawn by graphviz.

Two graphviz passes. ``dot`` lays the diagram out left to right with each leaf band as a cluster
(it keeps a band's steps together and places boundary events beside their activity), but it
orders clusters to cut crossings, not in document order. So the bands are then restacked in the
document's order by moving every band's contents vertically, and ``neato -n2`` draws the result:
nodes at the computed positions, edges inside one band as dot routed them, edges between bands
routed anew, the bands themselves as background rectangles with a header cell for their name.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import textwrap
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from engine.bpmn_model import CONTAINER_KINDS, BpmnDocument, FlowNode, Process, read_bpmn
from engine.errors import DefinitionError, InvalidInput, LienThongError
from engine.paths import ACTIVITY_KINDS, main_path, parse_duration, working_days
from engine.problems import error
from engine.steptable import format_days

FORMATS = ("svg", "png", "pdf", "dot")
#: Seconds one graphviz run may take before the render fails.
GRAPHVIZ_TIMEOUT_S = 20.0
#: Rendered outputs kept by ``render_bytes``.
CACHE_SIZE = 64
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


def _decimal_property(process: Process, name: str) -> Decimal | None:
    try:
        value = Decimal(process.properties.get(name, "").strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def header_for(process: Process) -> Header:
    """The default header of a process: its name, ``procedure_code`` and working-day limits."""
    total: Decimal | None = None
    if any(working_days(n) is not None for n in process.nodes.values()):
        path = main_path(process)
        total = path.budget if path is not None else None
    return Header(
        title=process.name.strip() or process.properties.get("procedure_name", "").strip(),
        code=process.properties.get("procedure_code", "").strip(),
        legal_working_days=_decimal_property(process, "legal_working_days"),
        reduced_working_days=_decimal_property(process, "reduced_working_days"),
        main_path_total=total,
    )


# ---------------------------------------------------------------------------------------------
# Text: everything from the diagram is escaped for graphviz HTML-like labels.

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SAFE_ID = re.compile(r"[^A-Za-z0-9_.:-]")


def _text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", _CONTROL.sub("", value)).split())


def _esc(value: str) -> str:
    # Graphviz expands \N, \G, \L... even inside HTML-like labels, and reads "\\" as one backslash.
    return html.escape(value, quote=True).replace("\\", "\\\\")


def _wrap(value: str, width: int, max_lines: int) -> list[str]:
    lines = textwrap.wrap(_text(value), width=width, break_long_words=True, break_on_hyphens=False)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "…"
    return lines


def _html_lines(value: str, width: int, max_lines: int) -> str:
    return "<BR/>".join(_esc(line) for line in _wrap(value, width, max_lines))


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(attrs: Mapping[str, str]) -> str:
    parts = []
    for key, value in attrs.items():
        if key == "label" or key == "xlabel":
            parts.append(f"{key}=<{value}>")
        else:
            parts.append(f"{key}={_q(value)}")
    return "[" + " ".join(parts) + "]"


# ---------------------------------------------------------------------------------------------
# What is drawn: bands, nodes, clusters, edges.

_EVENT_GLYPHS = {
    "timer": "⏱", "message": "✉", "signal": "△", "error": "ϟ", "escalation": "⇑",
    "conditional": "≡", "compensate": "«", "cancel": "×", "terminate": "●", "link": "→",
}
_GATEWAY_GLYPHS = {
    "exclusiveGateway": "×", "parallelGateway": "+", "inclusiveGateway": "○",
    "eventBasedGateway": "⬠", "complexGateway": "✱",
}

HEADER_CELL_W = 128.0
PAD = 14.0
MIN_BAND_H = 64.0
POOL_GAP = 12.0


@dataclass
class _Band:
    key: str
    label: str
    depth: int
    is_pool: bool = False
    drawn: bool = True
    children: list[_Band] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    top: float = 0.0
    bottom: float = 0.0
    dy: float = 0.0

    def leaves(self) -> Iterator[_Band]:
        if not self.children:
            yield self
        for child in self.children:
            yield from child.leaves()


@dataclass
class _Edge:
    key: str
    tail: str
    head: str
    attrs: dict[str, str]
    ltail: str | None = None
    lhead: str | None = None
    constraint: bool = True


class _Plan:
    """The diagram turned into graphviz terms, with the state both passes share."""

    def __init__(self, doc: BpmnDocument, overlay: Mapping[str, str], header: Header | None,
                 agency_names: Mapping[str, str], legend: bool):
        self.doc = doc
        self.legend = legend
        self.overlay = overlay
        self.header = header
        self.agencies = agency_names
        self.nodes: dict[str, FlowNode] = {}
        for process in doc.processes:
            for nid, node in process.nodes.items():
                self.nodes.setdefault(nid, node)
        self.dot_name = {nid: f"n{i}" for i, nid in enumerate(self.nodes)}
        self.children: dict[str, list[str]] = {}
        for nid, node in self.nodes.items():
            if node.parent_id and node.parent_id in self.nodes:
                self.children.setdefault(node.parent_id, []).append(nid)
        self.clusters = {nid: f"cluster_sp{i}" for i, nid in enumerate(self.children)}
        self.roots: list[_Band] = []
        self.band_of: dict[str, _Band] = {}
        self.pool_band: dict[str, _Band] = {}
        self._build_bands()
        self.leaves = [leaf for root in self.roots for leaf in root.leaves()]
        self.edges = self._build_edges()

    # -- bands ---------------------------------------------------------------------------------

    def _new_band(self, label: str, depth: int, *, is_pool: bool = False, drawn: bool = True) -> _Band:
        self._band_count = getattr(self, "_band_count", 0) + 1
        return _Band(key=f"b{self._band_count}", label=label, depth=depth, is_pool=is_pool, drawn=drawn)

    def _all_bands(self) -> Iterator[_Band]:
        stack = list(self.roots)
        while stack:
            band = stack.pop()
            yield band
            stack.extend(band.children)

    def _lane_label(self, name: str) -> str:
        clean = _text(name)
        return _text(self.agencies.get(clean, self.agencies.get(name, clean)))

    def _build_bands(self) -> None:
        shown: set[str] = set()
        for participant in self.doc.participants:
            process = self.doc.process_of_participant(participant.id)
            label = _text(participant.name) or (_text(process.name) if process else "")
            pool = self._new_band(label, 0, is_pool=True)
            self.roots.append(pool)
            self.pool_band[participant.id] = pool
            if process is not None and process.id not in shown:
                shown.add(process.id)
                self._fill(process, pool)
        for process in self.doc.processes:
            if process.id in shown:
                continue
            if process.lanes:
                self._fill(process, None)
            else:
                band = self._new_band("", 0, drawn=False)
                self.roots.append(band)
                self._fill(process, band)

    def _fill(self, process: Process, pool: _Band | None) -> None:
        """Add the process's lanes under ``pool`` (or at the top) and place its nodes in leaves."""
        base = pool.depth + 1 if pool is not None else 0
        lane_band: dict[str, _Band] = {}
        stack: list[_Band] = []
        for lane in process.lanes:
            band = self._new_band(self._lane_label(lane.name), base + lane.depth)
            while stack and stack[-1].depth >= band.depth:
                stack.pop()
            if stack:
                stack[-1].children.append(band)
            elif pool is not None:
                pool.children.append(band)
            else:
                self.roots.append(band)
            stack.append(band)
            lane_band[lane.id] = band
        loose: _Band | None = None
        for nid, node in process.nodes.items():
            if self.nodes.get(nid) is not node or node.parent_id in self.nodes:
                continue
            target: _Band | None = None
            if node.lane_id in lane_band:
                target = lane_band[node.lane_id]
                if target.children:
                    if target.children[-1].label != "" or target.children[-1].children:
                        target.children.append(self._new_band("", target.depth + 1))
                    target = target.children[-1]
            elif node.attached_to and node.attached_to in process.nodes:
                attached = process.nodes[node.attached_to]
                if attached.lane_id in lane_band:
                    target = lane_band[attached.lane_id]
                    while target.children:
                        target = target.children[-1]
            if target is None:
                if pool is not None and not pool.children:
                    target = pool
                else:
                    if loose is None:
                        loose = self._new_band("", base, drawn=bool(pool))
                        (pool.children if pool is not None else self.roots).append(loose)
                    target = loose
            target.nodes.append(nid)
            self.band_of[nid] = target
        for nid in process.nodes:
            inner = self.nodes.get(nid)
            if inner is None or nid in self.band_of:
                continue
            top = inner
            seen = {nid}
            while top.parent_id in self.nodes and top.parent_id not in seen:
                top = self.nodes[top.parent_id]
                seen.add(top.id)
            if top.id in self.band_of:
                self.band_of[nid] = self.band_of[top.id]
        # Boundary events without a lane sit in their activity's band, wherever that landed.
        for nid, node in self.nodes.items():
            if node.attached_to in self.band_of and node.parent_id not in self.nodes:
                band = self.band_of[nid]
                wanted = self.band_of[node.attached_to]
                if band is not wanted and not node.lane_id:
                    band.nodes.remove(nid)
                    wanted.nodes.append(nid)
                    self.band_of[nid] = wanted

    # -- nodes ---------------------------------------------------------------------------------

    def status(self, element_id: str) -> OverlayStyle | None:
        state = self.overlay.get(element_id)
        return OVERLAY_STYLES[state] if state else None

    def node_attrs(self, node: FlowNode) -> dict[str, str]:
        kind = node.kind
        name = _text(node.name)
        attrs: dict[str, str] = {
            "id": "bpmn-" + _SAFE_ID.sub("_", node.id),
            "class": f"bpmn {kind}" + (f" {self.overlay[node.id]}" if node.id in self.overlay else ""),
            "tooltip": name or node.id,
        }
        style: list[str] = ["filled"]
        fill, border, pen = "#ffffff", "#34495e", 1.2
        if kind.endswith("Gateway"):
            attrs.update(shape="diamond", fixedsize="true", width="0.5", height="0.5", fontsize="15",
                         label=_esc(_GATEWAY_GLYPHS.get(kind, "")))
            if name:
                attrs["xlabel"] = f'<FONT POINT-SIZE="9">{_html_lines(name, 22, 3)}</FONT>'
            fill = "#fffbe6"
        elif "Event" in kind:
            glyph = next((_EVENT_GLYPHS[k] for k in node.event_kinds if k in _EVENT_GLYPHS), "")
            attrs.update(shape="circle", fixedsize="true", width="0.42", height="0.42", fontsize="12",
                         label=_esc(glyph))
            lines = _wrap(name, 22, 3)
            if kind == "intermediateCatchEvent" and node.timer_kind == "duration":
                days = parse_duration(node.timer)
                if days is not None:
                    lines.append(format_days(days))
            if lines:
                attrs["xlabel"] = '<FONT POINT-SIZE="9">' + "<BR/>".join(_esc(x) for x in lines) + "</FONT>"
            if kind == "endEvent":
                pen = 3.0
                fill = "#fdecea"
            elif kind == "startEvent":
                fill = "#e8f5e9"
            else:
                attrs["peripheries"] = "2"
                attrs["width"] = attrs["height"] = "0.36"
            if (kind == "boundaryEvent" and not node.cancel_activity) or (
                    kind == "startEvent" and node.parent_id and not node.cancel_activity):
                style.append("dashed")
        else:
            lines = _wrap(name or node.id, 24, 4)
            body = "<BR/>".join(_esc(line) for line in lines)
            days = working_days(node) if kind in ACTIVITY_KINDS else None
            if kind in CONTAINER_KINDS:
                body += " ⊞"
            if days is not None:
                body += f'<BR/><FONT POINT-SIZE="9" COLOR="#1f5f99">{_esc(format_days(days))}</FONT>'
            attrs.update(shape="box", label=body, margin="0.1,0.05")
            style.append("rounded")
            if kind == "callActivity":
                pen = 2.6
        state = self.status(node.id)
        if state is not None:
            fill, border, pen = state.fill, state.border, max(pen, state.penwidth)
            if state.dashed and "dashed" not in style:
                style.append("dashed")
        attrs.update(style=",".join(style), fillcolor=fill, color=border, penwidth=f"{pen:g}")
        return attrs

    # -- edges ---------------------------------------------------------------------------------

    def _endpoint(self, nid: str, tail: bool) -> tuple[str, str | None] | None:
        """The dot node an edge attaches to, and the subprocess cluster it is clipped at."""
        if nid not in self.nodes:
            return None
        if nid not in self.children:
            return self.dot_name[nid], None
        inner = self.children[nid]
        ends = [c for c in inner if self.nodes[c].kind == ("endEvent" if tail else "startEvent")]
        rep = (ends[-1] if tail else ends[0]) if ends else (inner[-1] if tail else inner[0])
        found = self._endpoint(rep, tail)
        return (found[0], self.clusters[nid]) if found else None

    def _build_edges(self) -> list[_Edge]:
        edges: list[_Edge] = []
        for process in self.doc.processes:
            for flow in process.flows.values():
                tail = self._endpoint(flow.source, True)
                head = self._endpoint(flow.target, False)
                if tail is None or head is None:
                    continue
                source = self.nodes[flow.source]
                name = _text(flow.name)
                if not name and flow.condition:
                    name = _text(flow.condition)
                    name = name if len(name) <= 28 else name[:27] + "…"
                lines = _wrap(name, 22, 2)
                attrs: dict[str, str] = {"id": "flow-" + _SAFE_ID.sub("_", flow.id),
                                         "class": "bpmn sequenceFlow"}
                if source.default_flow == flow.id:
                    attrs.update(dir="both", arrowtail="tee", **{"class": "bpmn sequenceFlow default"})
                    lines.append("(mặc định)")
                elif flow.condition and not source.kind.endswith("Gateway"):
                    attrs.update(dir="both", arrowtail="odiamond")
                if lines:
                    attrs["label"] = ('<FONT POINT-SIZE="9">' + "<BR/>".join(_esc(x) for x in lines)
                                      + "</FONT>")
                state = self.status(flow.id)
                if state is not None:
                    attrs.update(color=state.border, penwidth=f"{state.penwidth:g}")
                    attrs["class"] += f" {self.overlay[flow.id]}"
                edges.append(_Edge(f"e{len(edges)}", tail[0], head[0], attrs, tail[1], head[1]))
        for nid, node in self.nodes.items():
            if node.attached_to and node.attached_to in self.nodes:
                owner = self._endpoint(node.attached_to, True)
                if owner is None:
                    continue
                attrs = {"style": "dotted", "arrowhead": "none", "color": "#7f8c8d", "weight": "20",
                         "class": "bpmn attachment"}
                edges.append(_Edge(f"e{len(edges)}", owner[0], self.dot_name[nid], attrs, owner[1]))
        for message in self.doc.message_flows:
            attrs = {"id": "message-" + _SAFE_ID.sub("_", message.id), "class": "bpmn messageFlow",
                     "style": "dashed", "dir": "both", "arrowhead": "empty", "arrowtail": "odot",
                     "color": "#5d6d7e", "weight": "0"}
            if _text(message.name):
                attrs["label"] = f'<FONT POINT-SIZE="9">{_html_lines(message.name, 22, 2)}</FONT>'
            tail = self._endpoint(message.source, True)
            head = self._endpoint(message.target, False)
            tail_key = tail[0] if tail else self._pool_key(message.source)
            head_key = head[0] if head else self._pool_key(message.target)
            if tail_key is None or head_key is None:
                continue
            edges.append(_Edge(f"e{len(edges)}", tail_key, head_key, attrs,
                               tail[1] if tail else None, head[1] if head else None,
                               constraint=bool(tail and head)))
        return edges

    def _pool_key(self, participant_id: str) -> str | None:
        return f"pool:{participant_id}" if participant_id in self.pool_band else None

    # -- pass 1: dot ---------------------------------------------------------------------------

    def first_pass(self) -> str:
        out = ["digraph G {",
               f"graph [rankdir=LR newrank=true compound=true nodesep=0.28 ranksep=0.42 "
               f"fontname={_q(FONT)} fontsize=10];",
               f"node [fontname={_q(FONT)} fontsize=10];",
               f"edge [fontname={_q(FONT)} fontsize=9 arrowsize=0.7];"]
        for index, leaf in enumerate(self.leaves):
            out.append(f"subgraph cluster_band{index} {{ margin=10;")
            self._write_nodes(out, leaf.nodes)
            out.append("}")
        for edge in self.edges:
            if edge.tail.startswith("pool:") or edge.head.startswith("pool:"):
                continue
            attrs = {k: v for k, v in edge.attrs.items() if k in ("label", "dir", "arrowtail", "weight")}
            attrs["id"] = edge.key
            if edge.ltail:
                attrs["ltail"] = edge.ltail
            if edge.lhead:
                attrs["lhead"] = edge.lhead
            if "attachment" in edge.attrs.get("class", ""):
                attrs["style"] = "invis"
            out.append(f"{edge.tail} -> {edge.head} {_attrs(attrs)};")
        out.append("}")
        return "\n".join(out)

    def _write_nodes(self, out: list[str], node_ids: Sequence[str]) -> None:
        pairs: list[tuple[str, str]] = []
        for nid in node_ids:
            node = self.nodes[nid]
            if nid in self.children:
                sub = self._subprocess_label(node)
                dashed = ' style="dashed,rounded"' if node.triggered_by_event else ' style="rounded"'
                out.append(f"subgraph {self.clusters[nid]} {{ label=<{sub}> margin=10{dashed};")
                self._write_nodes(out, self.children[nid])
                out.append("}")
            else:
                out.append(f"{self.dot_name[nid]} {_attrs(self.node_attrs(node))};")
            if node.attached_to in self.nodes and node.attached_to not in self.children \
                    and self.nodes[node.attached_to].parent_id == node.parent_id:
                pairs.append((self.dot_name[node.attached_to], self.dot_name[nid]))
        for owner, boundary in pairs:
            out.append(f"{{rank=same; {owner}; {boundary};}}")

    def _subprocess_label(self, node: FlowNode) -> str:
        text = _html_lines(node.name or node.id, 40, 2)
        days = working_days(node)
        if days is not None:
            text += f' <FONT POINT-SIZE="9" COLOR="#1f5f99">{_esc(format_days(days))}</FONT>'
        return f'<FONT POINT-SIZE="10">{text}</FONT>'

    # -- pass 2: neato -n2 ---------------------------------------------------------------------

    def second_pass(self, layout: Mapping[str, object]) -> str:
        pos: dict[str, tuple[float, float, float, float]] = {}
        boxes: dict[str, tuple[float, float, float, float]] = {}
        for obj in _objects(layout):
            name = str(obj.get("name", ""))
            if "pos" in obj:
                x, y = (float(v) for v in str(obj["pos"]).split(",")[:2])
                w = float(str(obj.get("width", "0"))) * 72
                h = float(str(obj.get("height", "0"))) * 72
                pos[name] = (x, y, w, h)
            elif name.startswith("cluster_sp") and "bb" in obj:
                x0, y0, x1, y1 = (float(v) for v in str(obj["bb"]).split(","))
                boxes[name] = (x0, y0, x1, y1)
        routes: dict[str, Mapping[str, object]] = {}
        for route_obj in _edges(layout):
            routes[str(route_obj.get("id", ""))] = route_obj

        dot_band: dict[str, _Band] = {}
        for nid, band in self.band_of.items():
            dot_band[self.dot_name[nid]] = band
        cluster_band = {self.clusters[nid]: self.band_of[nid] for nid in self.clusters if nid in self.band_of}

        # Extents of each leaf's contents in the dot layout.
        extent: dict[str, list[float]] = {}

        def grow(band: _Band, y_low: float, y_high: float) -> None:
            box = extent.setdefault(band.key, [y_low, y_high])
            box[0], box[1] = min(box[0], y_low), max(box[1], y_high)

        xs: list[float] = []
        for name, (x, y, w, h) in pos.items():
            holder = dot_band.get(name)
            if holder is None:
                continue
            below = 16.0 if h < 45 else 0.0  # room for an event's or gateway's external label
            grow(holder, y - h / 2 - below, y + h / 2)
            xs += [x - w / 2, x + w / 2]
        for cname, (x0, y0, x1, y1) in boxes.items():
            cb = cluster_band.get(cname)
            if cb is not None:
                grow(cb, y0, y1)
                xs += [x0, x1]
        same_band: set[str] = set()
        for edge in self.edges:
            tb, hb = dot_band.get(edge.tail), dot_band.get(edge.head)
            route = routes.get(edge.key)
            if tb is None or tb is not hb or route is None or "pos" not in route:
                continue
            same_band.add(edge.key)
            for px, py in _points(str(route["pos"])):
                grow(tb, py, py)
                xs.append(px)
            if "lp" in route:
                lx, ly = (float(v) for v in str(route["lp"]).split(","))
                grow(tb, ly - 12, ly + 12)

        any_drawn = any(leaf.drawn for leaf in self.leaves)
        max_depth = max((leaf.depth for leaf in self.leaves if leaf.drawn), default=-1)
        x_content = (max_depth + 1) * HEADER_CELL_W + PAD if any_drawn else 0.0
        min_x = min(xs, default=0.0)
        max_x = max(xs, default=0.0)
        dx = x_content - min_x
        width = max(x_content + (max_x - min_x) + PAD, x_content + 200.0)

        # Stack the leaves top to bottom in document order.
        cursor = 0.0
        previous_root: _Band | None = None
        root_of = {leaf.key: root for root in self.roots for leaf in root.leaves()}
        for leaf in self.leaves:
            root = root_of[leaf.key]
            if previous_root is not None and root is not previous_root and (root.is_pool or
                                                                             previous_root.is_pool):
                cursor -= POOL_GAP
            previous_root = root
            low, high = extent.get(leaf.key, [0.0, 0.0])
            content_h = high - low
            label_h = 14.0 * len(_wrap(leaf.label, 20, 4)) + 2 * PAD
            height = max(content_h + 2 * PAD, label_h, MIN_BAND_H if leaf.drawn or leaf.nodes else 0.0)
            leaf.top, leaf.bottom = cursor, cursor - height
            leaf.dy = (cursor - (height - content_h) / 2) - high
            cursor -= height
        for root in self.roots:
            _span(root)

        out = ["digraph G {",
               f"graph [splines=true forcelabels=true outputorder=edgesfirst fontname={_q(FONT)} "
               f"fontsize=10 pad=0.2];",
               f"node [fontname={_q(FONT)} fontsize=10];",
               f"edge [fontname={_q(FONT)} fontsize=9 arrowsize=0.7];"]
        label = self._graph_label()
        if label:
            out.append(f"graph [label=<{label}> labelloc=t labeljust=l];")
        drawing: list[str] = []
        bottom = min((leaf.bottom for leaf in self.leaves), default=0.0)
        out.append('corner0 [shape=point style=invis width=0.01 pos="0,0"];')
        out.append(f'corner1 [shape=point style=invis width=0.01 pos="{width:.2f},{bottom:.2f}"];')
        for index, band in enumerate(b for root in self.roots for b in _walk(root)):
            if not band.drawn:
                continue
            x0 = band.depth * HEADER_CELL_W
            cell_w = (max_depth + 1 - band.depth) * HEADER_CELL_W if not band.children else HEADER_CELL_W
            if not band.children:
                drawing.append(_rect(x0, band.bottom, width, band.top,
                                     "#f7f9fc" if index % 2 else "#ffffff", "#8a9bb0"))
            drawing.append(_rect(x0, band.bottom, x0 + cell_w, band.top,
                                 "#dfe8f3" if band.is_pool else "#eaf0f7", "#8a9bb0"))
            text = _html_lines(band.label, 20 if cell_w <= HEADER_CELL_W else 28, 5)
            if text:
                weight = ("<B>", "</B>") if band.is_pool or band.depth == 0 else ("", "")
                out.append(f'band{index} [shape=plaintext margin=0 id={_q("band-" + band.key)} '
                           f'class="bpmn band{" pool" if band.is_pool else " lane"}" '
                           f'label=<{weight[0]}{text}{weight[1]}> '
                           f'pos="{x0 + cell_w / 2:.2f},{(band.top + band.bottom) / 2:.2f}"];')
        for nid, cname in self.clusters.items():
            if cname not in boxes or nid not in self.band_of:
                continue
            x0, y0, x1, y1 = boxes[cname]
            dy = self.band_of[nid].dy
            node = self.nodes[nid]
            state = self.status(nid)
            drawing.append(_rect(x0 + dx, y0 + dy, x1 + dx, y1 + dy, "#fbfdff",
                                 state.border if state is not None else "#34495e",
                                 dashed=node.triggered_by_event))
            out.append(f'{cname.replace("cluster_", "label_")} [shape=plaintext margin=0 height=0.2 '
                       f'id={_q("bpmn-" + _SAFE_ID.sub("_", nid))} class="bpmn {node.kind}" '
                       f'label=<{self._subprocess_label(node)}> '
                       f'pos="{(x0 + x1) / 2 + dx:.2f},{y1 + dy - 11:.2f}"];')
        out.insert(4, f"graph [_background={_q(' '.join(drawing))}];")
        for nid in self.nodes:
            if nid in self.children or nid not in self.band_of:
                continue
            name = self.dot_name[nid]
            if name not in pos:
                continue
            x, y, _, _ = pos[name]
            attrs = self.node_attrs(self.nodes[nid])
            attrs["pos"] = f"{x + dx:.2f},{y + self.band_of[nid].dy:.2f}"
            out.append(f"{name} {_attrs(attrs)};")
        placed = {self.dot_name[n] for n in self.nodes if n in self.band_of and self.dot_name[n] in pos}
        for i, edge in enumerate(self.edges):
            attrs = dict(edge.attrs)
            attrs.pop("weight", None)
            tail, head = edge.tail, edge.head
            for end in ("tail", "head"):
                key = tail if end == "tail" else head
                if key.startswith("pool:"):
                    other = head if end == "tail" else tail
                    point = self._pool_point(key, other, pos, dx, i, width)
                    out.append(f"{key.replace(':', '_')}_{i} [shape=point style=invis width=0.01 "
                               f'pos="{point[0]:.2f},{point[1]:.2f}"];')
                    if end == "tail":
                        tail = f"{key.replace(':', '_')}_{i}"
                    else:
                        head = f"{key.replace(':', '_')}_{i}"
                elif key not in placed:
                    break
            else:
                route = routes.get(edge.key)
                if edge.key in same_band and route is not None:
                    dy = dot_band[edge.tail].dy
                    attrs["pos"] = _shift(str(route["pos"]), dx, dy)
                    if "lp" in route:
                        lx, ly = (float(v) for v in str(route["lp"]).split(","))
                        attrs["lp"] = f"{lx + dx:.2f},{ly + dy:.2f}"
                out.append(f"{_q(tail)} -> {_q(head)} {_attrs(attrs)};")
        out.append("}")
        return "\n".join(out)

    def _pool_point(self, key: str, other: str, pos: Mapping[str, tuple[float, float, float, float]],
                    dx: float, index: int, width: float) -> tuple[float, float]:
        band = self.pool_band[key.split(":", 1)[1]]
        other_band = self.pool_band.get(other.split(":", 1)[1]) if other.startswith("pool:") else None
        if other in pos and other in {self.dot_name[n] for n in self.band_of}:
            nid = next(n for n, d in self.dot_name.items() if d == other)
            x = pos[other][0] + dx
            y = pos[other][1] + self.band_of[nid].dy
        elif other_band is not None:
            x = HEADER_CELL_W * 2 + 60.0 * (index + 1)
            y = (other_band.top + other_band.bottom) / 2
        else:
            x, y = width / 2, (band.top + band.bottom) / 2
        x = min(max(x, HEADER_CELL_W + 10), width - 10)
        return (x, band.top - 1) if y > band.top else (x, band.bottom + 1)

    def _graph_label(self) -> str:
        rows: list[str] = []
        if self.header is not None:
            if _text(self.header.title):
                rows.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="14"><B>'
                            f"{_html_lines(self.header.title, 120, 3)}</B></FONT></TD></TR>")
            for line in self.header.lines():
                rows.append(f'<TR><TD ALIGN="LEFT">{_html_lines(line, 160, 3)}</TD></TR>')
        if self.legend:
            cells = "".join(
                f'<TD BGCOLOR="{s.fill}" COLOR="{s.border}" BORDER="1" CELLPADDING="3">{_esc(s.label)}</TD>'
                for s in OVERLAY_STYLES.values())
            rows.append('<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="4" CELLPADDING="0"><TR>'
                        f"<TD>Chú giải:</TD>{cells}</TR></TABLE></TD></TR>")
        if not rows:
            return ""
        return '<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="1">' + "".join(rows) + "</TABLE>"


def _walk(band: _Band) -> Iterator[_Band]:
    yield band
    for child in band.children:
        yield from _walk(child)


def _span(band: _Band) -> None:
    if band.children:
        for child in band.children:
            _span(child)
        band.top = band.children[0].top
        band.bottom = band.children[-1].bottom


def _rect(x0: float, y0: float, x1: float, y1: float, fill: str, pen: str, dashed: bool = False) -> str:
    style = "S 6 -dashed " if dashed else "S 5 -solid "
    points = f"4 {x0:.2f} {y0:.2f} {x1:.2f} {y0:.2f} {x1:.2f} {y1:.2f} {x0:.2f} {y1:.2f}"
    return f"{style}C {len(fill)} -{fill} c {len(pen)} -{pen} P {points}"


def _objects(layout: Mapping[str, object]) -> list[Mapping[str, object]]:
    objs = layout.get("objects", [])
    return [o for o in objs if isinstance(o, Mapping)] if isinstance(objs, list) else []


def _edges(layout: Mapping[str, object]) -> list[Mapping[str, object]]:
    edges = layout.get("edges", [])
    return [e for e in edges if isinstance(e, Mapping)] if isinstance(edges, list) else []


def _points(spline: str) -> Iterator[tuple[float, float]]:
    for token in spline.replace(";", " ").split():
        parts = token.split(",")
        if parts[0] in ("e", "s"):
            parts = parts[1:]
        yield float(parts[0]), float(parts[1])


def _shift(spline: str, dx: float, dy: float) -> str:
    pieces = []
    for part in spline.split(";"):
        tokens = []
        for token in part.split():
            parts = token.split(",")
            prefix = ""
            if parts[0] in ("e", "s"):
                prefix, parts = parts[0] + ",", parts[1:]
            tokens.append(f"{prefix}{float(parts[0]) + dx:.2f},{float(parts[1]) + dy:.2f}")
        pieces.append(" ".join(tokens))
    return ";".join(pieces)


# ---------------------------------------------------------------------------------------------
# Running graphviz, rendering, caching.


def _graphviz(args: Sequence[str], source: str) -> bytes:
    try:
        done = subprocess.run(["dot", *args], input=source.encode("utf-8"), capture_output=True,
                              timeout=GRAPHVIZ_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise RuntimeError("Không tìm thấy chương trình 'dot' của graphviz")\
            from None
    except subprocess.TimeoutExpired:
        raise DefinitionError([error(f"Graphviz vẽ sơ đồ quá {GRAPHVIZ_TIMEOUT_S:g} giây")]) from None
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        raise DefinitionError([error(f"Graphviz không vẽ được sơ đồ: {detail}")])
    return done.stdout


def _default_header(doc: BpmnDocument) -> Header | None:
    candidates = [p for p in doc.processes if p.nodes]
    main = next((p for p in candidates if p.executable), candidates[0] if candidates else None)
    if main is None:
        return None
    header = header_for(main)
    if not header.title and doc.participants:
        header = Header(_text(doc.participants[0].name), header.code, header.legal_working_days,
                        header.reduced_working_days, header.main_path_total, header.extra_lines)
    return header if header.title or header.lines() else None


def _check(fmt: str, overlay: Mapping[str, str] | None) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"Định dạng không hỗ trợ: {fmt!r} (chọn một trong {', '.join(FORMATS)})")
    for element_id, state in (overlay or {}).items():
        if state not in OVERLAY_STYLES:
            raise InvalidInput(f"Trạng thái không hợp lệ cho {element_id!r}: {state!r}")


def to_dot(doc: BpmnDocument, *, overlay: Mapping[str, str] | None = None, header: Header | None = None,
           agency_names: Mapping[str, str] | None = None) -> str:
    """The final graphviz source (positions included; draw it with ``dot -Kneato -n2``)."""
    _check("dot", overlay)
    plan = _Plan(doc, overlay or {}, header if header is not None else _default_header(doc),
                 agency_names or {}, legend=overlay is not None)
    layout = json.loads(_graphviz(["-Tjson"], plan.first_pass()).decode("utf-8"))
    return plan.second_pass(layout)


def render(doc: BpmnDocument, fmt: str = "svg", *, overlay: Mapping[str, str] | None = None,
           header: Header | None = None, agency_names: Mapping[str, str] | None = None) -> bytes:
    """Draw a definition as svg, png, pdf or dot; ``overlay`` colours a dossier's elements by state.

    ``overlay`` maps element ids to one of OVERLAY_STYLES ("completed", "current", "late",
    "late_completed", "cancelled") and adds a legend; ``header`` defaults to ``header_for`` of the
    main process; ``agency_names`` maps lane names to the agency names shown on the bands.
    """
    _check(fmt, overlay)
    source = to_dot(doc, overlay=overlay, header=header, agency_names=agency_names)
    if fmt == "dot":
        return source.encode("utf-8")
    return _graphviz(["-Kneato", "-n2", f"-T{fmt}"], source)


_cache: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
_cache_lock = threading.Lock()


def _frozen(mapping: Mapping[str, str] | None) -> tuple[tuple[str, str], ...] | None:
    return None if mapping is None else tuple(sorted(mapping.items()))


def render_bytes(data: bytes, fmt: str = "svg", *, overlay: Mapping[str, str] | None = None,
                 header: Header | None = None, agency_names: Mapping[str, str] | None = None) -> bytes:
    """Read BPMN bytes and render them, cached by content hash, format, overlay, header and names."""
    key = (hashlib.sha256(data).hexdigest(), fmt, _frozen(overlay), header, _frozen(agency_names))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    out = render(read_bpmn(data), fmt, overlay=overlay, header=header, agency_names=agency_names)
    with _cache_lock:
        _cache[key] = out
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return out


def clear_cache() -> None:
    """Forget every cached rendering."""
    with _cache_lock:
        _cache.clear()


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, DefinitionError) and exc.problems:
        parts = [(f"dòng {p.line}: " if p.line else "") + p.message for p in exc.problems]
        return " ".join("; ".join(parts).split())
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, LienThongError | OSError) else f"{type(exc).__name__}: {text}"


def render_files(paths: Sequence[Path], out_dir: Path, formats: Sequence[str]) -> list[str]:
    """Render each file to ``out_dir/<stem>.<fmt>``; return one ``FILE: ERROR message`` per failure."""
    for fmt in formats:
        _check(fmt, None)
    out_dir.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    for path in paths:
        try:
            doc = read_bpmn(Path(path).read_bytes())
            for fmt in formats:
                (out_dir / f"{Path(path).stem}.{fmt}").write_bytes(render(doc, fmt))
        except Exception as exc:  # one line per file, never a traceback
            failures.append(f"{path}: ERROR {_one_line(exc)}")
    return failures
