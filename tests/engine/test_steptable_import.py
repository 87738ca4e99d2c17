"""Step table → BPMN: a published table (CSV or XLSX) becomes a valid, laid-out Camunda 7 diagram."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import Workbook

from engine.bpmn_model import read_bpmn
from engine.catalog import load_agency_registry, load_kinds
from engine.errors import InvalidInput
from engine.steptable_import import MAX_BYTES, MAX_ROWS, import_table, parse_time, read_steps
from engine.validation import AgencyRef, validate_bpmn
from tests.conftest import DATA, ROOT

TABLES = DATA / "steptable"
BIN = Path(sys.executable).with_name("lienthong")
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
HEADING = "Bước,Nội dung công việc,Trách nhiệm,Thời gian,Kết quả\n"


def convert(data: bytes, filename: str = "bang.csv") -> bytes:
    return import_table(data, filename, code="1.001731", name="Hỗ trợ chi phí mai táng", legal_days=Decimal(5))


def di_problems(data: bytes) -> list[str]:
    """What a modeller would stumble on: nodes without bounds, flows without waypoints or with ends
    off their shapes, segments crossing other nodes, labels on nodes, nodes outside their lane."""
    root = etree.fromstring(data)
    shapes: dict[str, tuple[float, float, float, float]] = {}
    labels: list[tuple[str, tuple[float, float, float, float]]] = []
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        box = shape.find("dc:Bounds", NS)
        assert box is not None
        shapes[shape.get("bpmnElement", "")] = tuple(float(box.get(k, "nan")) for k in ("x", "y", "width", "height"))
        label = shape.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if label is not None:
            labels.append((shape.get("bpmnElement", ""), tuple(float(label.get(k, "0")) for k in ("x", "y", "width",
                                                                                                "height"))))
    edges = {e.get("bpmnElement", ""): [(float(p.get("x", "nan")), float(p.get("y", "nan")))
                                        for p in e.iterfind("di:waypoint", NS)]
             for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    problems: list[str] = []
    process = root.find("bpmn:process", NS)
    assert process is not None
    nodes = [el for el in process if etree.QName(el).localname in ("startEvent", "endEvent", "userTask")]

    def on_border(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
        x, y = point
        bx, by, bw, bh = box
        inside = bx - 0.5 <= x <= bx + bw + 0.5 and by - 0.5 <= y <= by + bh + 0.5
        return inside and min(abs(x - bx), abs(x - bx - bw), abs(y - by), abs(y - by - bh)) <= 0.5

    def crosses(a: tuple[float, float], b: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
        bx, by, bw, bh = box
        for t in (i / 50 for i in range(1, 50)):
            x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
            if bx + 1 < x < bx + bw - 1 and by + 1 < y < by + bh - 1:
                return True
        return False

    for node in nodes:
        box = shapes.get(node.get("id", ""))
        if box is None or not all(v == v for v in box) or box[2] <= 0 or box[3] <= 0:
            problems.append(f"{node.get('id')}: no shape with bounds")
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        points = edges.get(flow.get("id", ""), [])
        source, target = shapes.get(flow.get("sourceRef", "")), shapes.get(flow.get("targetRef", ""))
        if len(points) < 2 or source is None or target is None:
            problems.append(f"{flow.get('id')}: fewer than two waypoints")
            continue
        if not on_border(points[0], source) or not on_border(points[-1], target):
            problems.append(f"{flow.get('id')}: ends off their shapes")
        for element, box in shapes.items():
            if element in (flow.get("sourceRef"), flow.get("targetRef")) or element.startswith(("Lane", "Participant")):
                continue
            if any(crosses(a, b, box) for a, b in itertools.pairwise(points)):
                problems.append(f"{flow.get('id')}: crosses {element}")
    for owner, (lx, ly, lw, lh) in labels:
        for element, (bx, by, bw, bh) in shapes.items():
            if element.startswith(("Lane", "Participant")):
                continue
            if lx < bx + bw and bx < lx + lw and ly < by + bh and by < ly + lh:
                problems.append(f"label of {owner} on {element}")
    for lane in process.iterfind(".//bpmn:lane", NS):
        lx, ly, lw, lh = shapes[lane.get("id", "")]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            bx, by, bw, bh = shapes[ref.text or ""]
            if not (lx <= bx and bx + bw <= lx + lw and ly <= by and by + bh <= ly + lh):
                problems.append(f"{ref.text} outside its lane {lane.get('id')}")
    return problems


@pytest.mark.parametrize(("text", "days"), [
    ("0,5 ngày", "0.5"), ("02 ngày làm việc", "2"), ("4 giờ", "0.5"), ("4 giờ làm việc", "0.5"),
    ("1/2 ngày", "0.5"), ("01 Ngày", "1"), ("12 giờ", "1.5"), ("0 ngày", "0"),
])
def test_times_as_decisions_print_them(text: str, days: str):
    assert parse_time(text) == Decimal(days)


@pytest.mark.parametrize("text", ["", "hai ngày", "2 tuần", "2", "-1 ngày", "1/0 ngày", "3 ngày 4 giờ"])
def test_unreadable_times_are_refused(text: str):
    with pytest.raises(ValueError):
        parse_time(text)


def test_csv_and_xlsx_copies_of_the_table_read_the_same():
    from_csv = read_steps((TABLES / "mai_tang_phi.csv").read_bytes(), "mai_tang_phi.csv")
    from_xlsx = read_steps((TABLES / "mai_tang_phi.xlsx").read_bytes(), "mai_tang_phi.xlsx")
    assert from_csv == from_xlsx
    assert [s.number for s in from_csv] == ["1", "2", "3", "4", "5", "6", "7"]  # title and total lines skipped
    assert sum(s.days for s in from_csv) == 5
    assert from_csv[0].days == Decimal("0.5") and from_csv[0].result.startswith("Giấy tiếp nhận")


@pytest.mark.parametrize("name", ["mai_tang_phi.csv", "mai_tang_phi.xlsx"])
def test_the_imported_diagram_validates_and_is_laid_out(name: str):
    data = convert((TABLES / name).read_bytes(), name)
    registry = [AgencyRef(a.code, a.name) for a in load_agency_registry(ROOT / "workflows" / "agencies.toml")]
    registry += [AgencyRef(k.code, k.name, kind=True) for k in load_kinds(ROOT / "workflows" / "agencies.toml")]
    assert validate_bpmn(data, registry, file=name) == []
    doc = read_bpmn(data)
    (process,) = doc.processes
    assert process.properties == {"procedure_code": "1.001731", "legal_working_days": "5"}
    assert [lane.name for lane in process.lanes] == [
        "UBND cấp xã", "Phòng Văn hóa – Xã hội cấp xã", "Lãnh đạo UBND cấp xã"]
    tasks = [n for n in process.nodes.values() if n.kind == "userTask"]
    assert [t.properties["working_days"] for t in tasks] == ["0.5", "1", "0.5", "1.5", "0.5", "1", "0"]
    assert tasks[3].lane_id == process.lanes[1].id
    (diagram,) = doc.diagrams
    assert all(diagram.shows(n) for n in process.nodes) and all(diagram.shows(f) for f in process.flows)
    assert di_problems(data) == []


def test_the_di_check_catches_a_flow_whose_end_is_off_its_shape():
    data = convert((TABLES / "mai_tang_phi.csv").read_bytes())
    root = etree.fromstring(data)
    point = root.find(".//bpmndi:BPMNEdge/di:waypoint", NS)
    assert point is not None
    point.set("y", str(float(point.get("y", "0")) - 300))
    assert any("ends off their shapes" in p for p in di_problems(etree.tostring(root)))


def _table(rows: list[str], heading: str = HEADING) -> bytes:
    return (heading + "".join(r + "\n" for r in rows)).encode()


@pytest.mark.parametrize(("data", "filename", "message"), [
    (_table(["1,Tiếp nhận,Một cửa,1 ngày,"], "Bước,Nội dung công việc,Trách nhiệm,Kết quả\n"), "a.csv",
     "Bảng thiếu cột: Thời gian"),
    (_table(["1,Tiếp nhận,Một cửa,ba ngày,"]), "a.csv", "không đọc được thời gian «ba ngày»"),
    (_table(["1,Tiếp nhận,,1 ngày,"]), "a.csv", "thiếu Trách nhiệm"),
    (_table([f"{i},Bước {i},Một cửa,1 giờ," for i in range(MAX_ROWS + 1)]), "a.csv", f"quá {MAX_ROWS} bước"),
    (b"x" * (MAX_BYTES + 1), "a.csv", "Tệp quá lớn"),
    (_table([]), "a.csv", "không có bước nào"),
    (b"Ten,Tuoi\nAn,3\n", "a.csv", "Không tìm thấy dòng tiêu đề"),
    ("Bước,Nội dung công việc\n".encode("utf-16"), "a.csv", "UTF-8"),
    (b"PK\x03\x04 not really a workbook", "a.xlsx", "XLSX"),
    (_table(["1,Tiếp nhận,Một cửa,1 ngày,"]), "a.ods", ".csv hoặc .xlsx"),
])
def test_bad_tables_get_one_clear_line(data: bytes, filename: str, message: str):
    with pytest.raises(InvalidInput) as caught:
        convert(data, filename)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_an_xlsx_table_with_too_many_rows_is_refused():
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Bước", "Nội dung công việc", "Trách nhiệm", "Thời gian"])
    for i in range(MAX_ROWS + 1):
        sheet.append([i + 1, f"Bước {i}", "Một cửa", "1 giờ"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(InvalidInput, match=f"quá {MAX_ROWS} bước"):
        convert(buffer.getvalue(), "a.xlsx")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ))


def test_cli_writes_a_diagram_that_lienthong_validate_accepts(tmp_path: Path):
    out = tmp_path / "mai_tang_phi.bpmn"
    made = _cli("import-table", str(TABLES / "mai_tang_phi.xlsx"), "-o", str(out), "--code", "1.001731",
                "--name", "Hỗ trợ chi phí mai táng", "--legal-days", "5")
    assert made.returncode == 0, made.stderr
    checked = _cli("validate", str(out))
    assert (checked.returncode, checked.stdout) == (0, "")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_table(["1,Tiếp nhận,Một cửa,sớm,"]))
    refused = _cli("import-table", str(bad), "-o", str(tmp_path / "bad.bpmn"), "--code", "X", "--name", "Y",
                   "--legal-days", "5")
    assert refused.returncode == 1 and refused.stdout == "" and len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith("lỗi: ") and "«sớm»" in refused.stderr
    assert not (tmp_path / "bad.bpmn").exists()


FRONTEND = ROOT / "webui" / "frontend"
NODE_CHECK = FRONTEND / "check-bpmn.mjs"


def test_bpmn_moddle_reads_the_imported_diagram_without_warnings(tmp_path: Path):
    # make setup installs both (Debian's nodejs, npm ci in webui/frontend): their absence is a set-up failure.
    assert shutil.which("node") is not None, "Node.js is missing: bpmn-moddle needs it (Debian package nodejs)"
    assert (FRONTEND / "node_modules" / "bpmn-moddle").is_dir(), "bpmn-moddle is missing: run `make setup`"
    out = tmp_path / "imported.bpmn"
    out.write_bytes(convert((TABLES / "mai_tang_phi.csv").read_bytes()))
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(out.read_bytes().replace(b'sourceRef="Task_3"', b'sourceRef="Task_missing"'))
    done = subprocess.run(["node", str(NODE_CHECK), str(out), str(broken)], capture_output=True, text=True,
                          timeout=120, check=True)
    results = {Path(r["file"]).name: r for r in map(json.loads, done.stdout.splitlines())}
    assert results["imported.bpmn"] == {"file": str(out), "warnings": [], "error": None}
    assert results["broken.bpmn"]["warnings"] == ["unresolved reference <Task_missing>"]  # the check can fail
