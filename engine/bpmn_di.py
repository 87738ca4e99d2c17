"""The layout (BPMN DI) of a BPMN 2.0 file: one ``Diagram`` per ``bpmndi:BPMNDiagram``.

A diagram's plane shows one process, collaboration or subprocess; its shapes give each element's
bounds (and, for gateways, whether the exclusive marker is shown; for pools and lanes, whether they
lie horizontally), its edges the waypoints of flows and associations. Read-only, like
``engine.bpmn_model``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"

_DI = "{" + BPMNDI_NS + "}"
_DC = "{" + DC_NS + "}"
_WP = "{" + DI_NS + "}waypoint"


@dataclass(frozen=True)
class Bounds:
    """A rectangle in diagram coordinates (y grows downwards)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def contains(self, other: Bounds) -> bool:
        return (self.x <= other.x and self.y <= other.y and other.x + other.width <= self.x + self.width
                and other.y + other.height <= self.y + self.height)


@dataclass(frozen=True)
class Shape:
    """A ``BPMNShape``: where one element is drawn."""

    element: str
    bounds: Bounds
    horizontal: bool | None = None
    marker_visible: bool = False
    expanded: bool | None = None
    line: int = 0
    label: Bounds | None = None  # where the name is drawn outside the shape (events, gateways)


@dataclass(frozen=True)
class Edge:
    """A ``BPMNEdge``: the waypoints of one flow or association."""

    element: str
    waypoints: tuple[tuple[float, float], ...]
    line: int = 0
    label: Bounds | None = None  # where the flow's name is drawn


@dataclass
class Diagram:
    """One ``BPMNDiagram``: its name, the element its plane shows, its shapes and edges by element id."""

    id: str
    name: str
    plane_element: str
    shapes: dict[str, Shape] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)

    def shows(self, element_id: str) -> bool:
        return element_id in self.shapes or element_id in self.edges

    def vertical(self) -> bool:
        """Whether the pools and lanes stand upright (``isHorizontal="false"`` on all that say)."""
        said = [s.horizontal for s in self.shapes.values() if s.horizontal is not None]
        return bool(said) and not any(said)


def _float(value: str | None) -> float:
    try:
        number = float(value or 0.0)
    except ValueError:
        return 0.0
    return number if number == number and abs(number) < 1e9 else 0.0  # NaN and absurd values read as 0


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() == "true"


def _bounds(box: etree._Element | None) -> Bounds | None:
    if box is None:
        return None
    return Bounds(_float(box.get("x")), _float(box.get("y")),
                  max(0.0, _float(box.get("width"))), max(0.0, _float(box.get("height"))))


def _label(item: etree._Element) -> Bounds | None:
    label = next(item.iterchildren(_DI + "BPMNLabel"), None)
    return _bounds(next(label.iterchildren(_DC + "Bounds"), None)) if label is not None else None


def _ref(value: str | None) -> str:
    return (value or "").strip().rpartition(":")[2]


def _shapes_and_edges(plane: etree._Element) -> Iterator[etree._Element]:
    for child in plane:
        if child.tag in (_DI + "BPMNShape", _DI + "BPMNEdge"):
            yield child


def read_diagrams(root: etree._Element) -> list[Diagram]:
    """Every ``BPMNDiagram`` under the ``definitions`` element, in document order."""
    diagrams: list[Diagram] = []
    for element in root.iterchildren(_DI + "BPMNDiagram"):
        plane = next(element.iterchildren(_DI + "BPMNPlane"), None)
        diagram = Diagram(id=element.get("id", ""), name=element.get("name", ""),
                          plane_element=_ref(plane.get("bpmnElement")) if plane is not None else "")
        diagrams.append(diagram)
        if plane is None:
            continue
        for item in _shapes_and_edges(plane):
            ref = _ref(item.get("bpmnElement"))
            if not ref:
                continue
            if item.tag == _DI + "BPMNShape":
                bounds = _bounds(next(item.iterchildren(_DC + "Bounds"), None))
                if bounds is None:
                    continue
                diagram.shapes.setdefault(ref, Shape(
                    ref, bounds, horizontal=_flag(item.get("isHorizontal")),
                    marker_visible=bool(_flag(item.get("isMarkerVisible"))),
                    expanded=_flag(item.get("isExpanded")), line=item.sourceline or 0, label=_label(item)))
            else:
                points = tuple((_float(p.get("x")), _float(p.get("y"))) for p in item.iterchildren(_WP))
                diagram.edges.setdefault(ref, Edge(ref, points, line=item.sourceline or 0, label=_label(item)))
    return diagrams
