"""A published step table (CSV or XLSX) turned into a laid-out BPMN diagram.

Decisions publish a procedure as a table: ``Bước | Nội dung công việc | Trách nhiệm | Thời gian``
and optionally ``Kết quả``. Each row becomes a user task with its ``working_days`` in the lane of
its ``Trách nhiệm``; the steps run one after the other from a start event to an end event. The
result is a Camunda 7 file as the shipped procedures are written (process properties
``procedure_code`` and ``legal_working_days``, task properties ``working_days`` and ``result``)
with a layout: lanes stacked in order of first appearance, steps left to right, flows with
orthogonal waypoints from border to border and no label on any node.

Pure: bytes in, bytes out. Input is bounded (size, rows, columns, unpacked XLSX size).
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape, quoteattr

from engine.di_check import label_size
from engine.errors import InvalidInput
from engine.paths import HOURS_PER_DAY

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500
MAX_COLUMNS = 40
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
#: Rows above the heading row that may hold a title or a source line.
MAX_TITLE_ROWS = 10
MAX_CELL_CHARS = 2000

# Column → accepted headings (compared without case, accents kept, spacing folded; a heading may
# continue, e.g. "Trách nhiệm thực hiện", "Kết quả / biểu mẫu").
COLUMNS = {
    "step": "bước",
    "work": "nội dung công việc",
    "responsible": "trách nhiệm",
    "time": "thời gian",
    "result": "kết quả",
}
REQUIRED = ("step", "work", "responsible", "time")
HEADINGS = {"step": "Bước", "work": "Nội dung công việc", "responsible": "Trách nhiệm", "time": "Thời gian"}

_TIME = re.compile(r"^(\d{1,4}(?:[.,]\d{1,3})?|\d{1,2}/\d{1,2})\s*(ngày|giờ)(?:\s+làm\s+việc)?\.?$")

# Layout, in the units Camunda Modeler uses.
POOL_X, POOL_Y, POOL_HEADER, LANE_HEADER = 160, 80, 30, 30
LANE_H, COL_W = 140, 210
TASK_W, TASK_H, EVENT = 160, 90, 36
EVENT_NAMES = {"StartEvent_1": "Tiếp nhận hồ sơ", "EndEvent_1": "Trả kết quả"}


@dataclass(frozen=True)
class Step:
    """One row of the table: its number as printed, the work, who does it, its budget in working days."""

    number: str
    work: str
    responsible: str
    days: Decimal
    time: str
    result: str = ""


def _clean(value: object) -> str:
    text = "" if value is None else str(value)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _key(value: str) -> str:
    return _clean(value).lower()


def parse_time(text: str) -> Decimal:
    """``0,5 ngày`` → 0.5; ``02 ngày làm việc`` → 2; ``4 giờ`` → 0.5 (a day has 8 working hours)."""
    match = _TIME.match(_key(text))
    if match is None:
        raise ValueError(text)
    amount, unit = match.groups()
    if "/" in amount:
        top, bottom = (Decimal(part) for part in amount.split("/"))
        if bottom == 0:
            raise ValueError(text)
        value = top / bottom
    else:
        value = Decimal(amount.replace(",", "."))
    return (value / HOURS_PER_DAY if unit == "giờ" else value).normalize()


# -- reading ------------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> Iterable[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("Tệp CSV phải được lưu với bảng mã UTF-8") from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text), dialect)
    except csv.Error as exc:
        raise InvalidInput(f"Tệp CSV hỏng: {exc}") from None


def _xlsx_rows(data: bytes) -> Iterable[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput("Tệp XLSX hỏng hoặc không phải tệp Excel (.xlsx)") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput(f"Tệp XLSX giải nén quá {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [_cell(value) for value in row]
        book.close()
    except InvalidInput:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise InvalidInput(f"Không đọc được tệp XLSX: {type(exc).__name__}") from None


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _heading_map(row: Sequence[str]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        text = _key(cell)
        for column, heading in COLUMNS.items():
            if column not in found and text.startswith(heading):
                found[column] = index
    return found if all(c in found for c in ("step", "work")) else None


def read_steps(data: bytes, filename: str) -> list[Step]:
    """The steps of a CSV or XLSX table; InvalidInput (one line) when the table cannot be used."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"Tệp quá lớn: {len(data)} byte, tối đa {MAX_BYTES // (1024 * 1024)} MB")
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "csv":
        rows = _csv_rows(data)
    elif suffix == "xlsx":
        rows = _xlsx_rows(data)
    else:
        raise InvalidInput(f"Chỉ đọc được bảng .csv hoặc .xlsx, không đọc được «{filename}»")
    columns: dict[str, int] | None = None
    steps: list[Step] = []
    line = 0
    for line, row in enumerate(rows, start=1):
        if len(row) > MAX_COLUMNS:
            row = row[:MAX_COLUMNS]
        if columns is None:
            columns = _heading_map(row)
            if columns is None and line >= MAX_TITLE_ROWS:
                break
            if columns is not None:
                missing = [HEADINGS[c] for c in REQUIRED if c not in columns]
                if missing:
                    raise InvalidInput(f"Bảng thiếu cột: {', '.join(missing)} (dòng tiêu đề {line})")
            continue
        step = _step(row, columns, line)
        if step is None:
            continue
        if len(steps) == MAX_ROWS:
            raise InvalidInput(f"Bảng có quá {MAX_ROWS} bước")
        steps.append(step)
    if columns is None:
        raise InvalidInput("Không tìm thấy dòng tiêu đề có các cột Bước, Nội dung công việc, Trách nhiệm, "
                           "Thời gian")
    if not steps:
        raise InvalidInput("Bảng không có bước nào")
    return steps


def _step(row: Sequence[str], columns: dict[str, int], line: int) -> Step | None:
    def get(column: str) -> str:
        index = columns.get(column)
        value = _clean(row[index]) if index is not None and index < len(row) else ""
        if len(value) > MAX_CELL_CHARS:
            raise InvalidInput(f"Dòng {line}: ô quá dài (tối đa {MAX_CELL_CHARS} ký tự)")
        return value

    number, work, responsible, time = get("step"), get("work"), get("responsible"), get("time")
    if not any((number, work, responsible, time)):
        return None
    if not number and _key(work).startswith("tổng"):
        return None  # the total line under the table
    label = f"Dòng {line} (bước {number})" if number else f"Dòng {line}"
    if not work:
        raise InvalidInput(f"{label}: thiếu Nội dung công việc")
    if not responsible:
        raise InvalidInput(f"{label}: thiếu Trách nhiệm")
    try:
        days = parse_time(time)
    except (ValueError, InvalidOperation):
        raise InvalidInput(f"{label}: không đọc được thời gian «{time}» "
                           f"(viết như 0,5 ngày; 02 ngày làm việc; 4 giờ)") from None
    return Step(number=number, work=work, responsible=responsible, days=days, time=time, result=get("result"))


# -- writing ------------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _slug(code: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_]", "_", code)
    return slug if slug[:1].isalpha() or slug[:1] == "_" else f"P_{slug}"


def _props(values: dict[str, str], indent: str) -> str:
    inner = "".join(f'{indent}    <camunda:property name="{k}" value={quoteattr(v)} />\n' for k, v in values.items())
    return (f"{indent}<bpmn:extensionElements>\n{indent}  <camunda:properties>\n{inner}"
            f"{indent}  </camunda:properties>\n{indent}</bpmn:extensionElements>\n")


def to_bpmn(steps: Sequence[Step], *, code: str, name: str, legal_days: Decimal) -> bytes:
    """A Camunda 7 BPMN file: one lane per responsible party, one user task per step, with layout."""
    code, name = _clean(code), _clean(name)
    if not code or not name:
        raise InvalidInput("Cần mã thủ tục (--code) và tên thủ tục (--name)")
    if not legal_days.is_finite() or legal_days <= 0:
        raise InvalidInput("Thời hạn luật định (--legal-days) phải là số ngày làm việc dương")
    if not steps:
        raise InvalidInput("Bảng không có bước nào")
    slug = _slug(code)
    lanes: list[str] = []
    for step in steps:
        if step.responsible not in lanes:
            lanes.append(step.responsible)
    row = {lane: i for i, lane in enumerate(lanes)}
    # Nodes in order: start, steps, end; each in its own column.
    nodes: list[tuple[str, str, int]] = [("StartEvent_1", "startEvent", row[steps[0].responsible])]
    nodes += [(f"Task_{i}", "userTask", row[s.responsible]) for i, s in enumerate(steps, start=1)]
    nodes.append(("EndEvent_1", "endEvent", row[steps[-1].responsible]))
    flows = [(f"Flow_{i}", nodes[i][0], nodes[i + 1][0]) for i in range(len(nodes) - 1)]
    incoming = {target: fid for fid, _, target in flows}
    outgoing = {source: fid for fid, source, _ in flows}

    bounds: dict[str, tuple[float, float, float, float]] = {}
    x0 = POOL_X + POOL_HEADER + LANE_HEADER
    for column, (nid, kind, lane_row) in enumerate(nodes):
        w, h = (TASK_W, TASK_H) if kind == "userTask" else (EVENT, EVENT)
        cx = x0 + COL_W / 2 + column * COL_W
        cy = POOL_Y + lane_row * LANE_H + LANE_H / 2
        bounds[nid] = (cx - w / 2, cy - h / 2, w, h)
    pool_w = POOL_HEADER + LANE_HEADER + COL_W * len(nodes)

    x: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    x.append('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
             'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
             'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
             'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
             'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
             f'id="Definitions_{slug}" targetNamespace="http://bpmn.io/schema/bpmn" exporter="LienThong import-table" '
             'exporterVersion="1" modeler:executionPlatform="Camunda Platform" '
             'modeler:executionPlatformVersion="7.20.0">\n')
    x.append(f'  <bpmn:collaboration id="Collaboration_{slug}">\n'
             f'    <bpmn:participant id="Participant_{slug}" name={quoteattr(name)} processRef="Process_{slug}" />\n'
             "  </bpmn:collaboration>\n")
    x.append(f'  <bpmn:process id="Process_{slug}" name={quoteattr(name)} isExecutable="true">\n')
    x.append(_props({"procedure_code": code, "legal_working_days": _number(legal_days)}, "    "))
    x.append(f'    <bpmn:laneSet id="LaneSet_{slug}">\n')
    for index, lane in enumerate(lanes):
        x.append(f'      <bpmn:lane id="Lane_{index + 1}" name={quoteattr(lane)}>\n')
        x += [f"        <bpmn:flowNodeRef>{nid}</bpmn:flowNodeRef>\n" for nid, _, ln in nodes if ln == index]
        x.append("      </bpmn:lane>\n")
    x.append("    </bpmn:laneSet>\n")
    x.append(f'    <bpmn:startEvent id="StartEvent_1" name="{EVENT_NAMES["StartEvent_1"]}">\n'
             f"      <bpmn:outgoing>{outgoing['StartEvent_1']}</bpmn:outgoing>\n    </bpmn:startEvent>\n")
    for index, step in enumerate(steps, start=1):
        nid = f"Task_{index}"
        props = {"working_days": _number(step.days)}
        if step.result:
            props["result"] = step.result
        doc = f"Bước {step.number}: {step.time}" if step.number else step.time
        x.append(f"    <bpmn:userTask id={quoteattr(nid)} name={quoteattr(step.work)}>\n"
                 f"      <bpmn:documentation>{escape(doc)}</bpmn:documentation>\n"
                 + _props(props, "      ")
                 + f"      <bpmn:incoming>{incoming[nid]}</bpmn:incoming>\n"
                 f"      <bpmn:outgoing>{outgoing[nid]}</bpmn:outgoing>\n    </bpmn:userTask>\n")
    x.append(f'    <bpmn:endEvent id="EndEvent_1" name="{EVENT_NAMES["EndEvent_1"]}">\n'
             + _props({"outcome": "returned"}, "      ")
             + f"      <bpmn:incoming>{incoming['EndEvent_1']}</bpmn:incoming>\n    </bpmn:endEvent>\n")
    x += [f'    <bpmn:sequenceFlow id="{fid}" sourceRef="{s}" targetRef="{t}" />\n' for fid, s, t in flows]
    x.append("  </bpmn:process>\n")
    x.append(f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{slug}">\n'
             f'    <bpmndi:BPMNPlane id="BPMNPlane_{slug}" bpmnElement="Collaboration_{slug}">\n')
    x.append(_shape(f"Participant_{slug}", (POOL_X, POOL_Y, pool_w, LANE_H * len(lanes)), horizontal=True))
    for index in range(len(lanes)):
        x.append(_shape(f"Lane_{index + 1}", (POOL_X + POOL_HEADER, POOL_Y + index * LANE_H,
                                              pool_w - POOL_HEADER, LANE_H), horizontal=True))
    for nid, kind, _ in nodes:
        bx, by, bw, bh = bounds[nid]
        label = None
        if kind != "userTask":  # under the event, as large as its name needs (engine.di_check)
            lw, lh = (math.ceil(v) for v in label_size(EVENT_NAMES[nid]))
            label = (bx + bw / 2 - lw / 2, by + bh + 6, lw, lh)
        x.append(_shape(nid, bounds[nid], label=label))
    for fid, source, target in flows:
        x.append(_edge(fid, _route(bounds[source], bounds[target])))
    x.append("    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n</bpmn:definitions>\n")
    return "".join(x).encode("utf-8")


def _route(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    """From the right border of ``a`` to the left border of ``b``; a bend halfway when the lanes differ."""
    start = (a[0] + a[2], a[1] + a[3] / 2)
    end = (b[0], b[1] + b[3] / 2)
    if start[1] == end[1]:
        return [start, end]
    middle = (start[0] + end[0]) / 2
    return [start, (middle, start[1]), (middle, end[1]), end]


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _shape(element: str, box: tuple[float, float, float, float], *, horizontal: bool | None = None,
           label: tuple[float, float, float, float] | None = None) -> str:
    flag = ' isHorizontal="true"' if horizontal else ""
    out = (f'      <bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}"{flag}>\n'
           f'        <dc:Bounds x="{_fmt(box[0])}" y="{_fmt(box[1])}" width="{_fmt(box[2])}" '
           f'height="{_fmt(box[3])}" />\n')
    if label is not None:
        out += (f'        <bpmndi:BPMNLabel>\n          <dc:Bounds x="{_fmt(label[0])}" y="{_fmt(label[1])}" '
                f'width="{_fmt(label[2])}" height="{_fmt(label[3])}" />\n        </bpmndi:BPMNLabel>\n')
    return out + "      </bpmndi:BPMNShape>\n"


def _edge(element: str, points: Sequence[tuple[float, float]]) -> str:
    inner = "".join(f'        <di:waypoint x="{_fmt(px)}" y="{_fmt(py)}" />\n' for px, py in points)
    return f'      <bpmndi:BPMNEdge id="{element}_di" bpmnElement="{element}">\n{inner}      </bpmndi:BPMNEdge>\n'


def import_table(data: bytes, filename: str, *, code: str, name: str, legal_days: Decimal) -> bytes:
    """Read a step table (CSV or XLSX) and write its BPMN diagram."""
    return to_bpmn(read_steps(data, filename), code=code, name=name, legal_days=legal_days)
