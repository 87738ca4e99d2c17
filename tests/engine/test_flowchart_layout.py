"""The flowchart follows the diagram's own layout: MIWG reference models drawn as their authors laid them out.

One drawing per BPMNDiagram, pools and lanes in the layout's order (columns for an upright model),
boundary events on their activity, data objects, stores, annotations and groups drawn, and the
exclusive gateway's marker only where the layout shows it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from engine import flowchart
from engine.bpmn_model import BpmnDocument, read_bpmn
from engine.flowchart_style import safe_id
from tests.conftest import DATA

MIWG = DATA / "miwg"
SVG = "{http://www.w3.org/2000/svg}"


def load(name: str) -> BpmnDocument:
    return read_bpmn((MIWG / f"{name}.bpmn").read_bytes())


def groups(svg: bytes) -> dict[str, etree._Element]:
    return {g.get("id", ""): g for g in etree.fromstring(svg).iter(SVG + "g")}


def text_xy(group: etree._Element) -> tuple[float, float]:
    first = next(group.iter(SVG + "text"))
    return float(first.get("x", "0")), float(first.get("y", "0"))


def numbers(path_d: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path_d)]


def test_the_suite_is_complete():
    assert len(list(MIWG.glob("*.bpmn"))) == 21


@pytest.mark.parametrize("path", sorted(MIWG.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_diagram_draws_every_element_it_shows(path: Path):
    doc = read_bpmn(path.read_bytes())
    assert flowchart.diagram_count(doc) == len(doc.diagrams) >= 1
    elements = [*(n for p in doc.processes for n in p.nodes), *(a.id for a in doc.artifacts if a.kind != "group")]
    for index, diagram in enumerate(doc.diagrams):
        drawn = set(groups(flowchart.render(doc, "svg", diagram=index)))
        missing = [e for e in elements if diagram.shows(e) and "bpmn-" + safe_id(e) not in drawn]
        assert missing == [], (index, missing)


def _order_cases() -> list[str]:
    cases = []
    for path in sorted(MIWG.glob("*.bpmn")):
        doc = read_bpmn(path.read_bytes())
        if sum(len(p.lanes) for p in doc.processes) + len(doc.participants) >= 2:
            cases.append(path.stem)
    return cases


@pytest.mark.parametrize("name", _order_cases())
def test_pools_and_lanes_are_stacked_in_the_layout_order(name: str):
    doc = load(name)
    diagram = doc.diagrams[0]
    upright = diagram.vertical()
    drawn = groups(flowchart.render(doc, "svg"))
    sibling_sets = [[p.id for p in doc.participants]]
    for process in doc.processes:
        by_depth: dict[int, list[str]] = {}
        for lane in process.lanes:
            by_depth.setdefault(lane.depth, []).append(lane.id)
        sibling_sets += list(by_depth.values())
    checked = 0
    for ids in sibling_sets:
        shown = [i for i in ids if i in diagram.shapes and "band-" + safe_id(i) in drawn]
        if len(shown) < 2:
            continue
        axis = 0 if upright else 1
        by_layout = sorted(shown, key=lambda i: diagram.shapes[i].bounds.x if upright else diagram.shapes[i].bounds.y)
        by_drawing = sorted(shown, key=lambda i: text_xy(drawn["band-" + safe_id(i)])[axis])
        assert by_drawing == by_layout
        checked += 1
    assert checked >= 1


def test_upright_model_keeps_its_lanes_as_columns_and_flows_downwards():
    doc = load("A.4.1")
    assert doc.diagrams[0].vertical()
    drawn = groups(flowchart.render(doc, "svg"))
    lanes = [lane for p in doc.processes for lane in p.lanes]
    xs = [text_xy(drawn["band-" + safe_id(lane.id)])[0] for lane in lanes]
    ys = {text_xy(drawn["band-" + safe_id(lane.id)])[1] for lane in lanes}
    assert len(set(xs)) == len(xs) and len(ys) <= 2  # side by side, headers on one row (per pool depth)
    nodes = {" ".join(n.name.split()): n.id for p in doc.processes for n in p.nodes.values()}

    def centre_y(name: str) -> float:
        ellipse = next(drawn["bpmn-" + safe_id(nodes[name])].iter(SVG + "ellipse"))
        return float(ellipse.get("cy", "0"))

    assert centre_y("Start Event 1") < centre_y("End Event 1")


def test_artifacts_are_drawn_with_their_associations():
    doc = load("B.1.0")
    drawn = groups(flowchart.render(doc, "svg"))
    kinds = {a.kind: a for a in doc.artifacts}
    assert set(kinds) == {"dataObjectReference", "dataStoreReference", "textAnnotation", "group"}
    for artifact in doc.artifacts:
        group = drawn["bpmn-" + safe_id(artifact.id)]
        assert artifact.kind in group.get("class", "").split()
        assert " ".join(artifact.name.split()) in " ".join("".join(t.itertext()) for t in group.iter(SVG + "text"))
    associations = [g for i, g in drawn.items() if i.startswith("assoc-")]
    assert len(associations) == len(doc.associations) == 3


def test_exclusive_gateway_marker_follows_is_marker_visible():
    def gateway_texts(name: str) -> list[str]:
        doc = load(name)
        drawn = groups(flowchart.render(doc, "svg"))
        return ["".join("".join(t.itertext()) for t in drawn["bpmn-" + safe_id(n.id)].iter(SVG + "text"))
                for p in doc.processes for n in p.nodes.values() if n.kind == "exclusiveGateway"]

    hidden = gateway_texts("A.2.0")  # isMarkerVisible="false"
    shown = gateway_texts("C.8.0")  # isMarkerVisible="true"
    assert hidden and all("×" not in t for t in hidden)
    assert shown and all("×" in t for t in shown)


def test_boundary_events_sit_on_their_activity_border_side_by_side():
    doc = load("A.3.0")
    drawn = groups(flowchart.render(doc, "svg"))
    boundary = [n for p in doc.processes for n in p.nodes.values() if n.kind == "boundaryEvent"]
    assert len(boundary) == 2
    centres = []
    for event in boundary:
        host = drawn["bpmn-" + safe_id(event.attached_to or "")]
        values = numbers(next(host.iter(SVG + "path")).get("d", ""))
        xs, ys = values[0::2], values[1::2]
        circle = next(drawn["bpmn-" + safe_id(event.id)].iter(SVG + "ellipse"))
        cx, cy = float(circle.get("cx", "0")), float(circle.get("cy", "0"))
        assert min(xs) <= cx <= max(xs)
        assert abs(cy - max(ys)) < 3  # on the lower border
        centres.append((cx, float(circle.get("rx", "0"))))
    (x1, r1), (x2, r2) = sorted(centres)
    assert x2 - x1 >= r1 + r2  # not on top of each other


def test_each_diagram_of_a_file_is_its_own_drawing(tmp_path: Path):
    doc = load("C.4.0")
    assert flowchart.diagram_count(doc) == 4
    first, second = doc.diagrams[0], doc.diagrams[1]
    only_second = next(n for p in doc.processes for n in p.nodes if second.shows(n) and not first.shows(n))
    assert "bpmn-" + safe_id(only_second) not in groups(flowchart.render(doc, "svg", diagram=0))
    assert "bpmn-" + safe_id(only_second) in groups(flowchart.render(doc, "svg", diagram=1))
    assert flowchart.render_files([MIWG / "C.4.0.bpmn"], tmp_path, ["svg"]) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["C.4.0.2.svg", "C.4.0.3.svg", "C.4.0.4.svg", "C.4.0.svg"]


def test_a_pool_id_with_a_dash_renders():
    data = (DATA / "foreign" / "spiffworkflow" / "spiff__correlation_two_conversations.bpmn").read_bytes()
    doc = read_bpmn(data)
    assert any("-" in p.id for p in doc.participants)
    assert flowchart.render(doc, "svg").lstrip().startswith(b"<?xml")
