"""A BPMN diagram in graphviz terms: bands (pools and lanes), nodes, artifacts, edges, and the dot pass.

The plan draws one ``bpmndi:BPMNDiagram`` of a file (elements of other diagrams are left out) and
takes from that diagram's layout what graphviz cannot guess: the order of pools and lanes, whether
the model stands upright, whether an exclusive gateway shows its marker, which nodes a group
encloses. Without layout the document order is used.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from engine.bpmn_di import Diagram
from engine.bpmn_model import CONTAINER_KINDS, Artifact, BpmnDocument, FlowNode, Lane, Process
from engine.flowchart_style import (
    EVENT_GLYPHS,
    FONT,
    GATEWAY_GLYPHS,
    OVERLAY_STYLES,
    Header,
    OverlayStyle,
    attrs,
    clean,
    esc,
    html_lines,
    quote,
    safe_id,
    small,
    wrap,
)
from engine.paths import ACTIVITY_KINDS, parse_duration, working_days
from engine.steptable import format_days


@dataclass
class Band:
    """A pool or lane drawn as a horizontal band (a column when the model stands upright)."""

    key: str
    label: str
    depth: int
    is_pool: bool = False
    drawn: bool = True
    children: list[Band] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    top: float = 0.0
    bottom: float = 0.0
    dy: float = 0.0
    element: str = ""

    def leaves(self) -> Iterator[Band]:
        if not self.children:
            yield self
        for child in self.children:
            yield from child.leaves()

    def walk(self) -> Iterator[Band]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class PlanEdge:
    """One edge: a sequence or message flow, an association, or a boundary event's attachment."""

    key: str
    tail: str
    head: str
    attrs: dict[str, str]
    ltail: str | None = None
    lhead: str | None = None


class Plan:
    """One diagram of a document turned into graphviz terms, with the state both passes share."""

    def __init__(self, doc: BpmnDocument, diagram: Diagram | None, *, only_shown: bool,
                 overlay: Mapping[str, str], header: Header | None, agency_names: Mapping[str, str],
                 legend: bool):
        self.doc = doc
        self.diagram = diagram
        self.only_shown = only_shown and diagram is not None
        self.vertical = diagram.vertical() if diagram is not None else False
        self.legend = legend
        self.overlay = overlay
        self.header = header
        self.agencies = agency_names
        self.nodes: dict[str, FlowNode] = {}
        for process in doc.processes:
            for nid, node in process.nodes.items():
                if self.shown(nid):
                    self.nodes.setdefault(nid, node)
        self.artifacts: dict[str, Artifact] = {a.id: a for a in doc.artifacts if a.kind != "group"
                                               and a.id and a.id not in self.nodes and self.shown(a.id)}
        self.groups = [a for a in doc.artifacts if a.kind == "group" and self.shown(a.id)]
        names = itertools.count()
        self.dot_name = {nid: f"n{next(names)}" for nid in [*self.nodes, *self.artifacts]}
        self.children: dict[str, list[str]] = {}
        for nid, node in self.nodes.items():
            if node.parent_id and node.parent_id in self.nodes:
                self.children.setdefault(node.parent_id, []).append(nid)
        self.clusters = {nid: f"cluster_sp{i}" for i, nid in enumerate(self.children)}
        self._bands = itertools.count(1)
        self.roots: list[Band] = []
        self.band_of: dict[str, Band] = {}
        self.pool_band: dict[str, Band] = {}
        self.loose: Band | None = None
        self._build_bands()
        self._place_artifacts()
        self.leaves = [leaf for root in self.roots for leaf in root.leaves()]
        self.edges = self._build_edges()

    def shown(self, element_id: str) -> bool:
        return not self.only_shown or (self.diagram is not None and self.diagram.shows(element_id))

    def _di_order(self, element_id: str, index: int) -> tuple[int, float, int]:
        """Sort key: elements with a shape by their position across the flow, then the rest in order."""
        shape = self.diagram.shapes.get(element_id) if self.diagram is not None else None
        if shape is None:
            return (1, 0.0, index)
        return (0, shape.bounds.x if self.vertical else shape.bounds.y, index)

    # -- bands ---------------------------------------------------------------------------------

    def _new_band(self, label: str, depth: int, *, is_pool: bool = False, drawn: bool = True) -> Band:
        return Band(key=f"b{next(self._bands)}", label=label, depth=depth, is_pool=is_pool, drawn=drawn)

    def _lane_label(self, name: str) -> str:
        text = clean(name)
        return clean(self.agencies.get(text, self.agencies.get(name, text)))

    def _build_bands(self) -> None:
        shown: set[str] = set()
        participants = [p for p in self.doc.participants if self.shown(p.id)]
        participants = [p for _, p in sorted(enumerate(participants),
                                             key=lambda ip: self._di_order(ip[1].id, ip[0]))]
        for participant in participants:
            process = self.doc.process_of_participant(participant.id)
            label = clean(participant.name) or (clean(process.name) if process else "")
            pool = self._new_band(label, 0, is_pool=True)
            pool.element = participant.id
            self.roots.append(pool)
            self.pool_band[participant.id] = pool
            if process is not None and process.id not in shown:
                shown.add(process.id)
                self._fill(process, pool)
        for process in self.doc.processes:
            if process.id in shown or not any(n in self.nodes for n in process.nodes):
                continue
            if self._lanes(process):
                self._fill(process, None)
            else:
                band = self._new_band("", 0, drawn=False)
                self.roots.append(band)
                self._fill(process, band)

    def _lanes(self, process: Process) -> list[Lane]:
        """The process's shown lanes, siblings ordered as the layout stacks them (a tree, flattened)."""
        lanes = [lane for lane in process.lanes if self.shown(lane.id)]
        index = {lane.id: i for i, lane in enumerate(lanes)}
        kids: dict[str, list[Lane]] = {"": []}
        stack: list[Lane] = []
        for lane in lanes:
            while stack and stack[-1].depth >= lane.depth:
                stack.pop()
            kids.setdefault(stack[-1].id if stack else "", []).append(lane)
            stack.append(lane)
        out: list[Lane] = []

        def visit(parent: str) -> None:
            for lane in sorted(kids.get(parent, []), key=lambda x: self._di_order(x.id, index[x.id])):
                out.append(lane)
                visit(lane.id)

        visit("")
        return out

    def _fill(self, process: Process, pool: Band | None) -> None:
        """Add the process's lanes under ``pool`` (or at the top) and place its nodes in leaves."""
        base = pool.depth + 1 if pool is not None else 0
        lane_band: dict[str, Band] = {}
        stack: list[Band] = []
        for lane in self._lanes(process):
            band = self._new_band(self._lane_label(lane.name), base + lane.depth)
            band.element = lane.id
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
        self.loose = None
        for nid, node in process.nodes.items():
            if self.nodes.get(nid) is not node or node.parent_id in self.nodes:
                continue
            target: Band | None = None
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
                target = self._loose(pool, base)
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
        # A boundary event is drawn on its activity, so it sits in that activity's band.
        for nid, node in self.nodes.items():
            if node.attached_to in self.band_of and node.parent_id not in self.nodes and nid in self.band_of:
                band = self.band_of[nid]
                wanted = self.band_of[node.attached_to]
                if band is not wanted and nid in band.nodes:
                    band.nodes.remove(nid)
                    wanted.nodes.append(nid)
                    self.band_of[nid] = wanted

    def _loose(self, pool: Band | None, depth: int) -> Band:
        if pool is not None and not pool.children:
            return pool
        if self.loose is None:
            self.loose = self._new_band("", depth, drawn=bool(pool))
            (pool.children if pool is not None else self.roots).append(self.loose)
        return self.loose

    def _place_artifacts(self) -> None:
        """A data reference or annotation sits in the band of the first node it is associated with."""
        partner: dict[str, str] = {}
        for assoc in self.doc.associations:
            for mine, other in ((assoc.source, assoc.target), (assoc.target, assoc.source)):
                if mine in self.artifacts and other in self.band_of:
                    partner.setdefault(mine, other)
        for aid in self.artifacts:
            if aid in partner:
                band = self.band_of[partner[aid]]
            else:
                band = self._band_at(aid) or self._orphan_band()
            band.nodes.append(aid)
            self.band_of[aid] = band

    def _band_at(self, element_id: str) -> Band | None:
        """The band of the lane or pool whose shape holds the element's shape (innermost wins)."""
        if self.diagram is None or element_id not in self.diagram.shapes:
            return None
        box = self.diagram.shapes[element_id].bounds
        found: Band | None = None
        for nid, band in self.band_of.items():
            shape = self.diagram.shapes.get(nid)
            if shape is not None and shape.bounds.contains(box):
                found = band
        return found

    def _orphan_band(self) -> Band:
        if self.roots:
            return list(self.roots[-1].leaves())[-1]
        band = self._new_band("", 0, drawn=False)
        self.roots.append(band)
        return band

    # -- nodes ---------------------------------------------------------------------------------

    def status(self, element_id: str) -> OverlayStyle | None:
        state = self.overlay.get(element_id)
        return OVERLAY_STYLES[state] if state else None

    def node_attrs(self, nid: str) -> dict[str, str]:
        if nid in self.artifacts:
            return self._artifact_attrs(self.artifacts[nid])
        node = self.nodes[nid]
        kind = node.kind
        name = clean(node.name)
        out: dict[str, str] = {
            "id": "bpmn-" + safe_id(node.id),
            "class": f"bpmn {kind}" + (f" {self.overlay[node.id]}" if node.id in self.overlay else ""),
            "tooltip": name or node.id,
        }
        style: list[str] = ["filled"]
        fill, border, pen = "#ffffff", "#34495e", 1.2
        if kind.endswith("Gateway"):
            glyph = GATEWAY_GLYPHS.get(kind, "")
            shape = self.diagram.shapes.get(nid) if self.diagram is not None else None
            if kind == "exclusiveGateway" and shape is not None and not shape.marker_visible:
                glyph = ""  # the layout hides the marker (isMarkerVisible absent or false)
            out.update(shape="diamond", fixedsize="true", width="0.5", height="0.5", fontsize="15",
                       label=esc(glyph))
            if name:
                out["xlabel"] = small(wrap(name, 22, 3))
            fill = "#fffbe6"
        elif "Event" in kind:
            glyph = next((EVENT_GLYPHS[k] for k in node.event_kinds if k in EVENT_GLYPHS), "")
            out.update(shape="circle", fixedsize="true", width="0.42", height="0.42", fontsize="12",
                       label=esc(glyph))
            lines = wrap(name, 22, 3)
            if kind == "intermediateCatchEvent" and node.timer_kind == "duration":
                days = parse_duration(node.timer)
                if days is not None:
                    lines.append(format_days(days))
            if lines:
                out["xlabel"] = small(lines)
            if kind == "endEvent":
                pen, fill = 3.0, "#fdecea"
            elif kind == "startEvent":
                fill = "#e8f5e9"
            else:
                out["peripheries"] = "2"
                out["width"] = out["height"] = "0.36"
            if (kind == "boundaryEvent" and not node.cancel_activity) or (
                    kind == "startEvent" and node.parent_id and not node.cancel_activity):
                style.append("dashed")
        else:
            body = "<BR/>".join(esc(line) for line in wrap(name or node.id, 24, 4))
            days = working_days(node) if kind in ACTIVITY_KINDS else None
            if kind in CONTAINER_KINDS:
                body += " ⊞"
            if days is not None:
                body += f'<BR/><FONT POINT-SIZE="9" COLOR="#1f5f99">{esc(format_days(days))}</FONT>'
            out.update(shape="box", label=body, margin="0.1,0.05")
            style.append("rounded")
            if kind == "callActivity":
                pen = 2.6
        state = self.status(node.id)
        if state is not None:
            fill, border, pen = state.fill, state.border, max(pen, state.penwidth)
            if state.dashed and "dashed" not in style:
                style.append("dashed")
        out.update(style=",".join(style), fillcolor=fill, color=border, penwidth=f"{pen:g}")
        return out

    def _artifact_attrs(self, artifact: Artifact) -> dict[str, str]:
        base = {"id": "bpmn-" + safe_id(artifact.id), "class": f"bpmn {artifact.kind}",
                "tooltip": clean(artifact.name) or artifact.id, "color": "#5d6d7e", "penwidth": "1"}
        if artifact.kind == "textAnnotation":
            text = html_lines(artifact.name, 28, 6) or " "
            return {**base, "shape": "plain", "label":
                    f'<TABLE BORDER="0" CELLSPACING="0"><TR><TD SIDES="LTB" BORDER="1" CELLPADDING="4" '
                    f'ALIGN="LEFT" COLOR="#5d6d7e"><FONT POINT-SIZE="9">{text}</FONT></TD></TR></TABLE>'}
        shape = "cylinder" if artifact.kind == "dataStoreReference" else "note"
        out = {**base, "shape": shape, "style": "filled", "fillcolor": "#ffffff", "label": " ",
               "fixedsize": "true", "width": "0.45" if shape == "note" else "0.55", "height": "0.55"}
        if clean(artifact.name):
            out["xlabel"] = small(wrap(artifact.name, 22, 3))
        return out

    # -- edges ---------------------------------------------------------------------------------

    def endpoint(self, nid: str, tail: bool) -> tuple[str, str | None] | None:
        """The dot node an edge attaches to, and the subprocess cluster it is clipped at."""
        if nid in self.artifacts:
            return self.dot_name[nid], None
        if nid not in self.nodes:
            return None
        if nid not in self.children:
            return self.dot_name[nid], None
        inner = self.children[nid]
        ends = [c for c in inner if self.nodes[c].kind == ("endEvent" if tail else "startEvent")]
        rep = (ends[-1] if tail else ends[0]) if ends else (inner[-1] if tail else inner[0])
        found = self.endpoint(rep, tail)
        return (found[0], self.clusters[nid]) if found else None

    def _add(self, edges: list[PlanEdge], tail: tuple[str, str | None], head: tuple[str, str | None],
             values: dict[str, str]) -> None:
        edges.append(PlanEdge(f"e{len(edges)}", tail[0], head[0], values, tail[1], head[1]))

    def _build_edges(self) -> list[PlanEdge]:
        edges: list[PlanEdge] = []
        for process in self.doc.processes:
            for flow in process.flows.values():
                tail, head = self.endpoint(flow.source, True), self.endpoint(flow.target, False)
                if tail is None or head is None or not self.shown(flow.id):
                    continue
                source = self.nodes[flow.source]
                name = clean(flow.name)
                if not name and flow.condition:
                    name = clean(flow.condition)
                    name = name if len(name) <= 28 else name[:27] + "…"
                lines = wrap(name, 22, 2)
                values = {"id": "flow-" + safe_id(flow.id), "class": "bpmn sequenceFlow"}
                if source.default_flow == flow.id:
                    values.update(dir="both", arrowtail="tee", **{"class": "bpmn sequenceFlow default"})
                    lines.append("(mặc định)")
                elif flow.condition and not source.kind.endswith("Gateway"):
                    values.update(dir="both", arrowtail="odiamond")
                if lines:
                    values["label"] = small(lines)
                state = self.status(flow.id)
                if state is not None:
                    values.update(color=state.border, penwidth=f"{state.penwidth:g}")
                    values["class"] += f" {self.overlay[flow.id]}"
                self._add(edges, tail, head, values)
        for nid, node in self.nodes.items():
            if node.attached_to and node.attached_to in self.nodes:
                owner = self.endpoint(node.attached_to, True)
                if owner is not None:
                    self._add(edges, owner, (self.dot_name[nid], None),
                              {"style": "invis", "arrowhead": "none", "weight": "20", "class": "attachment"})
        for assoc in self.doc.associations:
            tail, head = self.endpoint(assoc.source, True), self.endpoint(assoc.target, False)
            if tail is None or head is None or not (assoc.source in self.artifacts
                                                    or assoc.target in self.artifacts):
                continue
            self._add(edges, tail, head, {"id": "assoc-" + safe_id(assoc.id), "class": "bpmn association",
                                          "style": "dotted", "color": "#7f8c8d", "weight": "1",
                                          "arrowhead": "vee" if assoc.data else "none"})
        for message in self.doc.message_flows:
            values = {"id": "message-" + safe_id(message.id), "class": "bpmn messageFlow",
                      "style": "dashed", "dir": "both", "arrowhead": "empty", "arrowtail": "odot",
                      "color": "#5d6d7e", "weight": "0"}
            if clean(message.name):
                values["label"] = small(wrap(message.name, 22, 2))
            tail, head = self.endpoint(message.source, True), self.endpoint(message.target, False)
            tail = tail or self._pool_end(message.source)
            head = head or self._pool_end(message.target)
            if tail is not None and head is not None:
                self._add(edges, tail, head, values)
        return edges

    def _pool_end(self, participant_id: str) -> tuple[str, None] | None:
        band = self.pool_band.get(participant_id)
        return (f"pool:{band.key}", None) if band is not None else None

    # -- pass 1: dot ---------------------------------------------------------------------------

    def first_pass(self) -> str:
        """The graphviz source dot lays out: each leaf band a cluster, flows between them."""
        out = ["digraph G {",
               f"graph [rankdir={'TB' if self.vertical else 'LR'} newrank=true compound=true nodesep=0.28 "
               f"ranksep=0.42 fontname={quote(FONT)} fontsize=10];",
               f"node [fontname={quote(FONT)} fontsize=10];",
               f"edge [fontname={quote(FONT)} fontsize=9 arrowsize=0.7];"]
        for index, leaf in enumerate(self.leaves):
            out.append(f"subgraph cluster_band{index} {{ margin=10;")
            self._write_nodes(out, leaf.nodes)
            out.append("}")
        for edge in self.edges:
            if edge.tail.startswith("pool:") or edge.head.startswith("pool:"):
                continue
            values = {k: v for k, v in edge.attrs.items() if k in ("label", "dir", "arrowtail", "weight", "style")}
            values["id"] = edge.key
            if edge.ltail:
                values["ltail"] = edge.ltail
            if edge.lhead:
                values["lhead"] = edge.lhead
            out.append(f"{edge.tail} -> {edge.head} {attrs(values)};")
        out.append("}")
        return "\n".join(out)

    def _write_nodes(self, out: list[str], node_ids: Sequence[str]) -> None:
        pairs: list[tuple[str, str]] = []
        for nid in node_ids:
            if nid in self.children:
                node = self.nodes[nid]
                dashed = ' style="dashed,rounded"' if node.triggered_by_event else ' style="rounded"'
                out.append(f"subgraph {self.clusters[nid]} {{ label=<{self.subprocess_label(node)}> "
                           f"margin=10{dashed};")
                self._write_nodes(out, self.children[nid])
                out.append("}")
                continue
            out.append(f"{self.dot_name[nid]} {attrs(self.node_attrs(nid))};")
            node_or_none = self.nodes.get(nid)
            if node_or_none is not None and node_or_none.attached_to in self.nodes \
                    and node_or_none.attached_to not in self.children \
                    and self.nodes[node_or_none.attached_to].parent_id == node_or_none.parent_id:
                pairs.append((self.dot_name[node_or_none.attached_to], self.dot_name[nid]))
        for owner, boundary in pairs:
            out.append(f"{{rank=same; {owner}; {boundary};}}")

    def subprocess_label(self, node: FlowNode) -> str:
        text = html_lines(node.name or node.id, 40, 2)
        days = working_days(node)
        if days is not None:
            text += f' <FONT POINT-SIZE="9" COLOR="#1f5f99">{esc(format_days(days))}</FONT>'
        return f'<FONT POINT-SIZE="10">{text}</FONT>'
