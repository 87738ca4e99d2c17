"""Geometric checks of a diagram's layout (BPMN DI), as the modeller will draw it.

A diagram is drawn as designed only if its layout reads well: no label lying on a node, no flow
passing through a node it does not connect or through a label, no two flows drawn on the same
stretch of line, and every name fitting where bpmn-js writes it (docs/modelling.md, "Layout
rules"). ``layout_defects`` lists every breach; the shipped procedures and the step-table import
have none (tests/engine/test_di_check.py).

Text is estimated, not measured: bpmn-js writes a task's name at 12 px inside the box (5 px padding,
1.2 line height, centred vertically: it must keep clear of the icon row) and an event's, gateway's or
flow's name at 11 px wrapped at 90 px. Arial (Liberation Sans here) averages 5.6 px a character at
12 px on the shipped Vietnamese names; the estimate takes 6.2 so that a name judged to fit does fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.bpmn_di import Bounds, Diagram
from engine.bpmn_model import CONTAINER_KINDS, BpmnDocument, read_bpmn

TASK_FONT_CHAR_W = 6.2  #: estimated width of a character of a task's name (12 px Arial)
TASK_LINE_H = 14.4
TASK_PADDING = 5.0
TASK_ICON_ROW = 15.0  #: a task's type icon sits in its top-left corner: the name keeps clear of that row
LABEL_CHAR_W = 5.7  #: estimated width of a character of an external label (11 px Arial)
LABEL_LINE_H = 13.2
LABEL_WRAP_W = 90.0  #: the width Camunda Modeler gives an external label; bpmn-js wraps it at its DI width
LABEL_PAD = 8.0  #: room for the short words whose capitals and accents the average underestimates
_SLACK = 1.0  #: touching is not overlapping

Point = tuple[float, float]
_NAMED_INSIDE = frozenset({"task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask",
                           "receiveTask", "businessRuleTask", "callActivity", *CONTAINER_KINDS})


@dataclass(frozen=True)
class Defect:
    """One breach of the layout rules: which rule, the elements involved."""

    rule: str
    elements: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule}: {', '.join(self.elements)}"


RULES = ("label_on_node", "edge_through_node", "shared_segment", "edge_through_label", "label_on_label",
         "name_does_not_fit")


def wrap(text: str, width: float, char_w: float) -> list[str]:
    """The lines ``text`` breaks into at word boundaries in ``width`` px (estimated)."""
    per_line = max(1, int(width // char_w))
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > per_line:  # a word longer than the line is cut, as bpmn-js does
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= per_line:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def task_name_fits(name: str, width: float, height: float) -> bool:
    """Whether a task's name, wrapped at the box's inner width, fits between its icon row and the
    same margin at the bottom (bpmn-js centres the lines vertically)."""
    lines = wrap(name, width - 2 * TASK_PADDING, TASK_FONT_CHAR_W)
    return len(lines) * TASK_LINE_H <= height - 2 * TASK_ICON_ROW


def label_size(text: str) -> tuple[float, float]:
    """Width and height of an external label as bpmn-js draws it (estimated)."""
    lines = wrap(text, LABEL_WRAP_W, LABEL_CHAR_W)
    widest = max((len(line) for line in lines), default=0) * LABEL_CHAR_W
    return min(LABEL_WRAP_W, widest + LABEL_PAD), len(lines) * LABEL_LINE_H


def _overlap(a: Bounds, b: Bounds) -> bool:
    return (min(a.x + a.width, b.x + b.width) - max(a.x, b.x) > _SLACK
            and min(a.y + a.height, b.y + b.height) - max(a.y, b.y) > _SLACK)


def _crosses(p: Point, q: Point, box: Bounds) -> bool:
    """Whether the segment p–q enters the inside of ``box`` (Liang–Barsky clipping)."""
    x0, y0 = box.x + _SLACK, box.y + _SLACK
    x1, y1 = box.x + box.width - _SLACK, box.y + box.height - _SLACK
    if x1 <= x0 or y1 <= y0:
        return False
    dx, dy = q[0] - p[0], q[1] - p[1]
    low, high = 0.0, 1.0
    for step, room in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if step == 0:
            if room < 0:
                return False
            continue
        t = room / step
        if step < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return high - low > 1e-9


def _segments(points: tuple[Point, ...]) -> list[tuple[Point, Point]]:
    return [(points[i], points[i + 1]) for i in range(len(points) - 1)]


def _collinear_overlap(a: tuple[Point, Point], b: tuple[Point, Point]) -> bool:
    (ax0, ay0), (ax1, ay1) = a
    (bx0, by0), (bx1, by1) = b
    if abs(ay0 - ay1) < _SLACK and abs(by0 - by1) < _SLACK and abs(ay0 - by0) < _SLACK:
        return min(max(ax0, ax1), max(bx0, bx1)) - max(min(ax0, ax1), min(bx0, bx1)) > _SLACK
    if abs(ax0 - ax1) < _SLACK and abs(bx0 - bx1) < _SLACK and abs(ax0 - bx0) < _SLACK:
        return min(max(ay0, ay1), max(by0, by1)) - max(min(ay0, ay1), min(by0, by1)) > _SLACK
    return False


def diagram_defects(doc: BpmnDocument, diagram: Diagram) -> list[Defect]:
    """Every breach of the layout rules in one diagram of ``doc``."""
    nodes = {n.id: n for p in doc.processes for n in p.nodes.values()}
    flows = {f.id: f for p in doc.processes for f in p.flows.values()}
    boxes = {i: s.bounds for i, s in diagram.shapes.items() if i in nodes and nodes[i].kind not in CONTAINER_KINDS}
    labels: dict[str, Bounds] = {i: s.label for i, s in diagram.shapes.items() if s.label and nodes.get(i)
                                 and nodes[i].name}
    labels.update({i: e.label for i, e in diagram.edges.items() if e.label and flows.get(i) and flows[i].name})
    edges = {i: e.waypoints for i, e in diagram.edges.items() if i in flows}
    found: list[Defect] = []
    for owner, label in labels.items():
        found += [Defect("label_on_node", (owner, node)) for node, box in boxes.items()
                  if node != owner and _overlap(label, box)]
    for edge, points in edges.items():
        ends = {flows[edge].source, flows[edge].target}
        segments = _segments(points)
        found += [Defect("edge_through_node", (edge, node)) for node, box in boxes.items()
                  if node not in ends and any(_crosses(p, q, box) for p, q in segments)]
        found += [Defect("edge_through_label", (edge, owner)) for owner, label in labels.items()
                  if any(_crosses(p, q, label) for p, q in segments)]
    ids = sorted(edges)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if any(_collinear_overlap(s, t) for s in _segments(edges[a]) for t in _segments(edges[b])):
                found.append(Defect("shared_segment", (a, b)))
    owners = sorted(labels)
    for i, a in enumerate(owners):
        found += [Defect("label_on_label", (a, b)) for b in owners[i + 1:] if _overlap(labels[a], labels[b])]
    for node_id, box in boxes.items():
        node = nodes[node_id]
        if node.kind in _NAMED_INSIDE and node.name and not task_name_fits(node.name, box.width, box.height):
            found.append(Defect("name_does_not_fit", (node_id,)))
    for owner, label in labels.items():
        name = nodes[owner].name if owner in nodes else flows[owner].name
        width, height = label_size(name)
        if label.width < width - _SLACK or label.height < height - _SLACK:
            found.append(Defect("name_does_not_fit", (owner,)))
    return found


def layout_defects(data: bytes) -> list[Defect]:
    """Every breach of the layout rules in every diagram of a BPMN file."""
    doc = read_bpmn(data)
    return [d for diagram in doc.diagrams for d in diagram_defects(doc, diagram)]
