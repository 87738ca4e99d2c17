"""The published step table (Bước | Nội dung công việc | Trách nhiệm thực hiện | Thời gian | Kết quả)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.bpmn_model import CONTAINER_KINDS, FlowNode, Process
from engine.paths import ACTIVITY_KINDS, HOURS_PER_DAY, main_path, parse_duration, working_days

#: Column headings, as provincial decisions print them.
HEADINGS = ("Bước", "Nội dung công việc", "Trách nhiệm thực hiện", "Thời gian", "Kết quả / biểu mẫu")
TOTAL_LABEL = "Tổng thời gian"

# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class StepRow:
    """One row of the table; ``days`` is the budget as a number, ``time`` as printed."""

    number: int
    element_id: str
    work: str
    responsible: str
    time: str
    result: str
    days: Decimal | None = None
    on_main_path: bool = False


def format_number(value: Decimal) -> str:
    """A decimal with a Vietnamese decimal comma and no trailing zeros: 0.50 → "0,5"."""
    text = f"{value.normalize():f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def format_days(days: Decimal) -> str:
    """A budget as the flowchart prints it: "0,5 ngày"."""
    return f"{format_number(days)} ngày"


def format_duration(days: Decimal, hours_per_day: Decimal = HOURS_PER_DAY) -> str:
    """A budget as the table prints it: "3 ngày", "0,5 ngày (04 giờ)", "1,5 ngày (12 giờ)"."""
    text = format_days(days)
    if days != days.to_integral_value():
        hours = days * hours_per_day
        if hours == hours.to_integral_value():
            text += f" ({int(hours):02d} giờ)"
        else:
            text += f" ({format_number(hours)} giờ)"
    return text


def _clean(text: str) -> str:
    return " ".join(text.split())


def is_step(node: FlowNode, process: Process) -> bool:
    """True for the nodes the table lists: activities (not containers with contents), timed waits."""
    if node.kind in CONTAINER_KINDS:
        has_children = any(n.parent_id == node.id for n in process.nodes.values())
        return not has_children and not node.triggered_by_event
    if node.kind in ACTIVITY_KINDS:
        return True
    return node.kind == "intermediateCatchEvent" and node.timer_kind == "duration"


def step_days(node: FlowNode, hours_per_day: Decimal = HOURS_PER_DAY) -> Decimal | None:
    """The step's budget in working days, None when the diagram gives none."""
    if node.kind == "intermediateCatchEvent":
        return parse_duration(node.timer, hours_per_day)
    return working_days(node)


def step_result(node: FlowNode) -> str:
    """The result or form of a step: its ``result`` property, else its form's labels, else its docs."""
    result = _clean(node.properties.get("result", ""))
    if result:
        return result
    labels = [_clean(f.label) for f in node.form if _clean(f.label)]
    if labels:
        return ", ".join(labels)
    return _clean(node.documentation.split("\n", 1)[0]) if node.documentation else ""


def _lane_names(process: Process) -> dict[str, str]:
    names = {lane.id: lane.name for lane in process.lanes}
    by_node: dict[str, str] = {}
    for node in process.nodes.values():
        top = node
        seen = {top.id}
        while top.parent_id and top.parent_id in process.nodes and top.parent_id not in seen:
            top = process.nodes[top.parent_id]
            seen.add(top.id)
        if top.lane_id is None and top.attached_to in process.nodes:
            top = process.nodes[top.attached_to]
        if top.lane_id is not None:
            by_node[node.id] = _clean(names.get(top.lane_id, ""))
    return by_node


def step_rows(process: Process, agency_names: Mapping[str, str] | None = None, *,
              hours_per_day: Decimal = HOURS_PER_DAY) -> list[StepRow]:
    """The steps of a process: the main path in order first, then the other steps in document order.

    ``agency_names`` maps a lane name to the agency's display name for the responsible column.
    """
    agencies = agency_names or {}
    lanes = _lane_names(process)
    path = main_path(process)
    main_ids = [nid for nid in (path.node_ids if path else ()) if is_step(process.nodes[nid], process)]
    on_main = set(main_ids)
    rest = [nid for nid, node in process.nodes.items() if nid not in on_main and is_step(node, process)]
    rows: list[StepRow] = []
    for number, nid in enumerate([*main_ids, *rest], start=1):
        node = process.nodes[nid]
        days = step_days(node, hours_per_day)
        lane = lanes.get(nid, "")
        rows.append(StepRow(
            number=number,
            element_id=nid,
            work=_clean(node.name) or nid,
            responsible=_clean(agencies.get(lane, lane)),
            time=format_duration(days, hours_per_day) if days is not None else "",
            result=step_result(node),
            days=days,
            on_main_path=nid in on_main,
        ))
    return rows


def total_days(rows: Sequence[StepRow]) -> Decimal:
    """Working days along the main path (every row when no row is on a main path)."""
    chosen = [r for r in rows if r.on_main_path] or list(rows)
    return sum((r.days for r in chosen if r.days is not None), Decimal(0))


def _cell(text: str) -> str:
    return "<br>".join(html.escape(line, quote=True) for line in text.split("\n"))


def to_html(rows: Sequence[StepRow], *, caption: str | None = None, total: Decimal | None = None,
            hours_per_day: Decimal = HOURS_PER_DAY) -> str:
    """The table as escaped HTML with class names for styling, ending with the total row."""
    total_value = total_days(rows) if total is None else total
    classes = ("step-number", "step-work", "step-responsible", "step-time", "step-result")
    out = ['<table class="step-table">']
    if caption:
        out.append(f"<caption>{_cell(caption)}</caption>")
    out.append("<thead><tr>" + "".join(
        f'<th scope="col" class="{c}">{_cell(h)}</th>' for c, h in zip(classes, HEADINGS, strict=True))
        + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        row_class = "step-row main-path" if row.on_main_path else "step-row"
        cells = (str(row.number), row.work, row.responsible, row.time, row.result)
        out.append(f'<tr class="{row_class}" data-element-id="{html.escape(row.element_id, quote=True)}">'
                   + "".join(f'<td class="{c}">{_cell(v)}</td>' for c, v in zip(classes, cells, strict=True))
                   + "</tr>")
    out.append("</tbody>")
    out.append(f'<tfoot><tr class="step-total"><th scope="row" colspan="3">{TOTAL_LABEL}</th>'
               f'<td class="step-time">{_cell(format_duration(total_value, hours_per_day))}</td>'
               '<td class="step-result"></td></tr></tfoot>')
    out.append("</table>")
    return "\n".join(out)


def _csv_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def to_csv(rows: Sequence[StepRow], *, total: Decimal | None = None, bom: bool = False,
           hours_per_day: Decimal = HOURS_PER_DAY) -> str:
    """The table as CSV text (header row in Vietnamese, then the steps, then the total row)."""
    total_value = total_days(rows) if total is None else total
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADINGS)
    for row in rows:
        writer.writerow([str(row.number)] + [_csv_safe(v) for v in
                                             (row.work, row.responsible, row.time, row.result)])
    writer.writerow(["", TOTAL_LABEL, "", format_duration(total_value, hours_per_day), ""])
    return ("\ufeff" if bom else "") + buffer.getvalue()
