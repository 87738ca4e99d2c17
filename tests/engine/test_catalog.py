"""The real procedures in workflows/: metadata, registry, lanes, budgets, layout, and the loaders."""

from __future__ import annotations

import importlib.util
import re
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.bpmn_model import FlowNode, Process, read_bpmn
from engine.catalog import (
    check_against_diagram,
    check_catalog,
    check_lanes,
    check_metadata,
    lane_records,
    load_agency_registry,
    load_procedure_info,
    procedure_files,
)
from engine.errors import DefinitionError
from engine.xmlsafe import parse_xml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
PAIRS = procedure_files(WORKFLOWS)
IDS = [b.stem for b, _ in PAIRS]
STEP_KINDS = {"receive", "examine", "review", "sign", "consult", "supplement", "return"}
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC"}


def process_of(bpmn: Path) -> Process:
    doc = read_bpmn(bpmn.read_bytes())
    (process,) = [p for p in doc.processes if p.executable]
    return process


def budget(node: FlowNode) -> Decimal:
    if node.kind == "userTask":
        return Decimal(node.properties["working_days"])
    if node.kind == "intermediateCatchEvent" and node.timer:
        m = re.fullmatch(r"P(\d+(?:\.\d+)?)D", node.timer.strip())
        assert m, f"{node.id}: timer {node.timer!r} is not a whole-day duration"
        return Decimal(m.group(1))
    return Decimal(0)


def all_paths(process: Process) -> list[list[str]]:
    """Acyclic paths from the start event to every end event (boundary events branch off their task)."""
    out: dict[str, list[str]] = {n: [] for n in process.nodes}
    for f in process.flows.values():
        out[f.source].append(f.target)
    for n in process.nodes.values():
        if n.attached_to:
            out[n.attached_to].append(n.id)
    paths: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        if process.nodes[node].kind == "endEvent":
            paths.append(trail)
            return
        for nxt in out[node]:
            if nxt not in trail:
                walk(nxt, [*trail, nxt])

    (start,) = [n.id for n in process.nodes.values() if n.kind == "startEvent"]
    walk(start, [start])
    return paths


def test_every_diagram_has_metadata_and_there_are_eight_procedures() -> None:
    assert len(PAIRS) >= 8
    assert sorted(WORKFLOWS.glob("*.bpmn")) == [b for b, _ in PAIRS]
    assert check_catalog(WORKFLOWS) == []


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_metadata_passes_schema_and_matches_diagram(bpmn: Path, toml: Path) -> None:
    assert check_metadata(toml) == []
    info = load_procedure_info(toml)
    props = process_of(bpmn).properties
    assert props["procedure_code"] == info.code
    assert Decimal(props["legal_working_days"]) == info.legal_working_days
    assert all(len(f.guide) >= 3 for f in info.forms)


def test_registry_codes_unique_and_parents_known() -> None:
    agencies = load_agency_registry(WORKFLOWS / "agencies.toml")
    codes = [a.code for a in agencies]
    assert len(codes) == len(set(codes))
    assert all(a.parent in codes for a in agencies if a.parent)
    assert any(a.feedback_officials for a in agencies)
    desk = next(a for a in agencies if a.code == "TTPVHCC")
    assert "clerk" in desk.demo_roles and desk.level == "province"


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_every_lane_is_a_registered_agency_or_kind(bpmn: Path, toml: Path) -> None:
    names = lane_records(WORKFLOWS / "agencies.toml")
    assert check_lanes(bpmn, names) == []
    codes = {a.code for a in names}
    assert set(load_procedure_info(toml).responsible_agencies) <= codes


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_budgets_add_up_to_the_limit(bpmn: Path, toml: Path) -> None:
    process = process_of(bpmn)
    info = load_procedure_info(toml)
    totals = {tuple(p): sum((budget(process.nodes[n]) for n in p), Decimal(0)) for p in all_paths(process)}
    returned = [t for p, t in totals.items() if process.nodes[p[-1]].properties.get("outcome") == "returned"]
    assert returned, "no path reaches a 'returned' end"
    assert max(returned) == info.working_days
    assert max(totals.values()) <= info.working_days


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_conventions_of_steps_gateways_and_ends(bpmn: Path, toml: Path) -> None:
    process = process_of(bpmn)
    lanes = {n for lane in process.lanes for n in lane.node_ids}
    assert set(process.nodes) == lanes, "every flow node sits in a lane"
    assert sum(len(lane.node_ids) for lane in process.lanes) == len(process.nodes)
    for node in process.nodes.values():
        if node.kind == "userTask":
            assert re.fullmatch(r"\d+(\.\d+)?", node.properties["working_days"]), node.id
            assert node.properties.get("step_kind", "examine") in STEP_KINDS, node.id
            if node.properties.get("step_kind") in {"return", "supplement"}:
                assert Decimal(node.properties["working_days"]) == 0, node.id
        if node.kind.endswith("Gateway") and node.kind != "parallelGateway" and len(node.outgoing) > 1:
            for fid in node.outgoing:
                assert process.flows[fid].condition or node.default_flow == fid, fid
        if node.kind == "endEvent":
            side_branch = all(process.nodes[process.flows[f].source].kind == "boundaryEvent"
                              for f in node.incoming)
            assert side_branch or node.properties.get("outcome") in {"returned", "refused", "withdrawn"}, node.id
        if node.kind == "boundaryEvent":
            assert not node.cancel_activity and node.timer


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_conditions_name_only_upstream_form_fields(bpmn: Path, toml: Path) -> None:
    process = process_of(bpmn)
    incoming: dict[str, list[str]] = {n: [] for n in process.nodes}
    for f in process.flows.values():
        incoming[f.target].append(f.source)
    for flow in process.flows.values():
        if not flow.condition:
            continue
        seen, todo, fields = set(), [flow.source], set()
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                fields |= {f.id for f in process.nodes[node].form}
                todo += incoming[node]
        text = re.sub(r'"[^"]*"', "", flow.condition)
        names = set(re.findall(r"[A-Za-z_]\w*", text)) - {"True", "False", "and", "or", "not", "in"}
        assert names and names <= fields, f"{flow.id}: {names - fields}"


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_parses_with_spiffworkflow_camunda_parser(bpmn: Path, toml: Path) -> None:
    parser = CamundaParser()
    parser.add_bpmn_file(str(bpmn))
    spec = parser.get_spec(load_procedure_info(toml).process_id)
    tasks = [t for t in spec.task_specs.values() if t.__class__.__name__ == "UserTask"]
    assert tasks and all("working_days" in t.extensions for t in tasks)


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_layout_nodes_inside_their_lane_without_overlap(bpmn: Path, toml: Path) -> None:
    root = parse_xml(bpmn.read_bytes()).getroot()
    process = process_of(bpmn)
    bounds = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        assert b is not None
        bounds[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert set(process.flows) == edges
    for lane in process.lanes:
        assert lane.id in bounds
        lx, ly, lw, lh = bounds[lane.id]
        for nid in lane.node_ids:
            x, y, w, h = bounds[nid]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, nid
    boxes = [(n, bounds[n]) for n, node in process.nodes.items() if node.kind != "boundaryEvent"]
    for i, (a, (ax, ay, aw, ah)) in enumerate(boxes):
        for b, (bx, by, bw, bh) in boxes[i + 1:]:
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)


def test_generator_reproduces_the_committed_diagrams(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_procedures", ROOT / "tools" / "gen_procedures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for made in tmp_path.glob("*.bpmn"):
        assert made.read_text(encoding="utf-8") == (WORKFLOWS / made.name).read_text(encoding="utf-8"), made.name


REDUCTION = ('reduced_working_days = 8\n', '\n[reduction_decision]\nnumber = "15/QĐ-UBND"\ndate = 2026-01-05\n'
             'issuer = "UBND tỉnh Lâm Đồng"\n')


def with_reduction(toml: Path) -> None:
    """The work permit's metadata as a province that cut its limit to 8 working days would write it."""
    text = toml.read_text(encoding="utf-8")
    text = text.replace("legal_working_days = 10\n", "legal_working_days = 10\n" + REDUCTION[0])
    toml.write_text(text.rstrip() + "\n" + REDUCTION[1], encoding="utf-8")


def test_reduced_limit_is_read_with_its_decision(tmp_path: Path) -> None:
    _, toml = _copy(tmp_path, "giay_phep_lao_dong")
    with_reduction(toml)
    info = load_procedure_info(toml)
    assert info.legal_working_days == 10 and info.reduced_working_days == 8 and info.working_days == 8
    assert info.reduction_decision is not None and info.reduction_decision.issuer == "UBND tỉnh Lâm Đồng"
    assert info.fee.amount_vnd > 0
    assert load_procedure_info(WORKFLOWS / "mai_tang_phi.toml").working_days == 5


# --------------------------------------------------------------------------- the checker catches mistakes


def _copy(tmp_path: Path, stem: str) -> tuple[Path, Path]:
    for suffix in (".bpmn", ".toml"):
        shutil.copy(WORKFLOWS / f"{stem}{suffix}", tmp_path / f"{stem}{suffix}")
    return tmp_path / f"{stem}.bpmn", tmp_path / f"{stem}.toml"


def test_schema_errors_are_readable_lines(tmp_path: Path) -> None:
    _bpmn, toml = _copy(tmp_path, "mai_tang_phi")
    text = toml.read_text(encoding="utf-8").replace('code = "1.001731"\n', "")
    toml.write_text(text.replace("legal_working_days = 5", "legal_working_days = 5\nreduced_working_days = 4"),
                    encoding="utf-8")
    lines = check_metadata(toml)
    assert any("'code' is a required property" in line for line in lines)
    assert any("reduction_decision" in line for line in lines)
    assert all(line.startswith(str(toml)) for line in lines)
    with pytest.raises(DefinitionError):
        load_procedure_info(toml)


def test_broken_toml_is_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "x.toml"
    bad.write_text("code = \n", encoding="utf-8")
    (line,) = check_metadata(bad)
    assert "TOML" in line


def test_limit_mismatch_with_diagram_is_reported(tmp_path: Path) -> None:
    bpmn, toml = _copy(tmp_path, "giay_phep_lao_dong")
    with_reduction(toml)  # the diagram has no reduced limit
    lines = check_metadata(toml)
    assert len(lines) == 1 and "reduced_working_days" in lines[0]
    info = load_procedure_info(toml)
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('value="BTH.LDVL.01"', 'value="X.1"'),
                    encoding="utf-8")
    assert any("procedure_code" in line for line in check_against_diagram(info, bpmn))


def test_unknown_lane_and_duplicate_agency_are_reported(tmp_path: Path) -> None:
    bpmn, _ = _copy(tmp_path, "mai_tang_phi")
    agencies = lane_records(WORKFLOWS / "agencies.toml")
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="UBND cấp xã"', 'name="UBND xã Không Có"'),
                    encoding="utf-8")
    (line,) = check_lanes(bpmn, agencies)
    assert "UBND xã Không Có" in line
    # Case and spacing do not matter when a lane names an agency or a kind.
    for name in ("ubnd  XÃ liên hương", " ubnd   CẤP xã", "UBND_XA"):
        text = bpmn.read_text(encoding="utf-8")
        bpmn.write_text(re.sub(r'(<bpmn:lane id="Lane_1" name=")[^"]*"', rf'\g<1>{name}"', text), encoding="utf-8")
        assert check_lanes(bpmn, agencies) == [], name
    registry = tmp_path / "agencies.toml"
    text = (WORKFLOWS / "agencies.toml").read_text(encoding="utf-8")
    registry.write_text(text.replace('code = "UBNDX.BB"', 'code = "UBNDX.LH"'), encoding="utf-8")
    assert any("duplicate code" in line for line in check_metadata(registry))
    with pytest.raises(DefinitionError):
        load_agency_registry(registry)


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_every_id_attribute_is_unique_in_the_file(bpmn: Path, toml: Path) -> None:
    root = parse_xml(bpmn.read_bytes()).getroot()
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


DISTRICT_WORDS = ("huyện", "thành phố phan thiết", "lđ-tb&xh", "lđ-tb&amp;xh", "ubndh")


@pytest.mark.parametrize(("bpmn", "toml"), PAIRS, ids=IDS)
def test_no_shipped_procedure_mentions_a_district_level_agency(bpmn: Path, toml: Path) -> None:
    """Two-tier local government since 1 July 2025: nothing published names the district tier or
    the dissolved labour department (only internal notes and sources, never published, tell the history)."""
    assert not [w for w in DISTRICT_WORDS if w in bpmn.read_text(encoding="utf-8").casefold()]
    with toml.open("rb") as fh:
        published = {k: v for k, v in tomllib.load(fh).items() if k not in ("internal_notes", "sources")}
    assert not [w for w in DISTRICT_WORDS if w in repr(published).casefold()]
    registry = load_agency_registry(WORKFLOWS / "agencies.toml")
    assert not [a.code for a in registry if a.level == "district" or "huyện" in a.name.casefold()]
