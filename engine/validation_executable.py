"""The checks only an executable process gets (``isExecutable="true"``): one ``ProcessCheck`` per process.

What the engine can run, its lanes, the working-day budgets of its steps and paths, timers, the
variables conditions and scripts read (set by a form field or a script upstream?), and finally
SpiffWorkflow's own parse. Human steps are ``userTask``, ``manualTask`` and plain ``task``: all three
become a step an official completes, so all three need a ``working_days`` budget.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from engine import camunda_usage, expressions
from engine.bpmn_model import BPMN_NS, CONTAINER_KINDS, FlowNode, Lane, Process
from engine.diagram_limits import number_problems
from engine.errors import ExpressionError
from engine.form_checks import node_problems
from engine.paths import enumerate_paths, main_path, parse_duration, path_name, working_days
from engine.problems import Problem, error, warning
from engine.validation_lanes import AgencyRef, lane_agency

_B = "{" + BPMN_NS + "}"

#: Kinds the engine runs as a step an official completes.
HUMAN_KINDS = frozenset({"userTask", "manualTask", "task"})
#: Most over-the-limit paths reported one by one; the rest are counted.
MAX_PATH_PROBLEMS = 20


def node_label(node: FlowNode) -> str:
    """«name» of a node as designers read it, or «id» when it has no name."""
    name = " ".join(node.name.split())
    return f"«{name}»" if name else f"«{node.id}»"


def _days(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")).normalize(), "f")
    return text.replace(".", ",")


def _positive(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value > 0 else None


def _describe_kind(node: FlowNode) -> str:
    if node.kind in CONTAINER_KINDS and node.triggered_by_event:
        return f"{node.kind} (event subprocess)"
    if node.event_kinds:
        return f"{node.kind} ({', '.join(node.event_kinds)})"
    return node.kind


def unsupported_reason(node: FlowNode) -> str | None:
    """Why the engine cannot execute this node, or None if it can."""
    kinds = set(node.event_kinds)
    supported = False
    if node.kind in HUMAN_KINDS or node.kind in {"scriptTask", "exclusiveGateway", "parallelGateway",
                                                  "inclusiveGateway"}:
        supported = True
    elif node.kind == "startEvent":
        supported = not kinds
    elif node.kind == "endEvent":
        supported = kinds <= {"terminate"}
    elif node.kind in {"intermediateCatchEvent", "boundaryEvent"}:
        supported = kinds == {"timer"} and len(node.event_kinds) == 1
    elif node.kind == "subProcess":
        supported = not node.triggered_by_event
    if supported:
        return None
    hint = camunda_usage.service_task_hint() if node.kind.endswith("Task") else ""
    return f"{node_label(node)} không thực thi được (the engine cannot execute {_describe_kind(node)}){hint}"


def _safe(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Call into the sandbox's static checks; a crash there becomes a message, never an exception."""
    try:
        return fn(*args, **kwargs), None
    except ExpressionError as exc:
        return None, str(exc) or type(exc).__name__
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


class ProcessCheck:
    """The executable-only checks of one process."""

    def __init__(self, process: Process, element: etree._Element | None,
                 agencies: Sequence[AgencyRef] | None, filename: str):
        self.process = process
        self.element = element
        self.agencies = agencies
        self.filename = filename
        self.problems: list[Problem] = []

    def err(self, message: str, line: int, element: str | None) -> None:
        self.problems.append(error(message, line, element))

    def run(self) -> list[Problem]:
        self.check_properties()
        self.check_lanes()
        self.check_nodes()
        self.check_reachability()
        self.check_gateways()
        self.check_expressions()
        self.check_budget()
        self.check_with_spiff()
        self.problems += number_problems(self.process, self.element)
        self.problems += camunda_usage.attribute_warnings(self.process, self.element)
        self.problems += camunda_usage.loop_warnings(self.process)
        return self.problems

    # -- process metadata -------------------------------------------------------------------
    def limit(self) -> tuple[Decimal, str] | None:
        props = self.process.properties
        legal = _positive(props.get("legal_working_days"))
        if legal is None:
            return None
        reduced = _positive(props.get("reduced_working_days"))
        if reduced is not None and reduced <= legal:
            return reduced, "thời hạn rút gọn"
        return legal, "thời hạn luật định"

    def check_properties(self) -> None:
        p = self.process
        props = p.properties
        if not props.get("procedure_code", "").strip():
            self.err("Quy trình thiếu thuộc tính procedure_code (mã thủ tục hành chính) trong "
                     "camunda:properties", p.line, p.id)
        legal_raw = props.get("legal_working_days")
        legal = _positive(legal_raw)
        if legal_raw is None or not legal_raw.strip():
            self.err("Quy trình thiếu thời hạn luật định legal_working_days (số ngày làm việc) trong "
                     "camunda:properties", p.line, p.id)
        elif legal is None:
            self.err(f"legal_working_days «{legal_raw}» phải là số ngày làm việc dương", p.line, p.id)
        reduced_raw = props.get("reduced_working_days")
        if reduced_raw is not None and reduced_raw.strip():
            reduced = _positive(reduced_raw)
            if reduced is None:
                self.err(f"reduced_working_days «{reduced_raw}» phải là số ngày làm việc dương", p.line, p.id)
            elif legal is not None and reduced > legal:
                self.err(f"Thời hạn rút gọn reduced_working_days ({_days(reduced)} ngày) lớn hơn thời hạn "
                         f"luật định ({_days(legal)} ngày)",
                         p.line, p.id)

    def check_lanes(self) -> None:
        if not self.process.lanes:
            self.err("Quy trình không có làn nào: mỗi cơ quan xử lý cần một làn mang tên hoặc mã của cơ quan "
                     "(a process without lanes)", self.process.line, self.process.id)
        if self.agencies is None:
            return
        lanes = self.process.lanes
        parents: list[int | None] = []
        children: dict[int, list[int]] = {i: [] for i in range(len(lanes))}
        stack: list[int] = []
        for i, lane in enumerate(lanes):
            while stack and lanes[stack[-1]].depth >= lane.depth:
                stack.pop()
            parent = stack[-1] if stack else None
            parents.append(parent)
            if parent is not None:
                children[parent].append(i)
            stack.append(i)
        bound = [lane_agency(lane.name, self.agencies) is not None for lane in lanes]

        def covered(i: int) -> bool:
            j = parents[i]
            while j is not None:
                if bound[j]:
                    return True
                j = parents[j]
            return False

        def fully_bound(i: int) -> bool:
            return bound[i] or (bool(children[i]) and all(fully_bound(c) for c in children[i]))

        for i, lane in enumerate(lanes):
            if bound[i] or covered(i) or fully_bound(i):
                continue
            self.err(self.lane_message(lane), lane.line, lane.id)

    def lane_message(self, lane: Lane) -> str:
        name = " ".join(lane.name.split())
        shown = f"«{name}»" if name else f"«{lane.id}» (không tên)"
        from engine.lanes import closest

        near = closest(name, [a.name for a in self.agencies or ()]) if name else []
        kinds = {a.name for a in self.agencies or () if a.kind}
        hint = ("; có thể là: " + ", ".join(f"«{n}»" + (" (loại cơ quan)" if n in kinds else "") for n in near)
                if near else "")
        return (f"Làn {shown} không ứng với cơ quan hay loại cơ quan nào trong danh mục: tên làn phải trùng "
                f"mã hoặc tên một cơ quan hoặc một loại cơ quan{hint}")

    # -- nodes ------------------------------------------------------------------------------
    def check_nodes(self) -> None:
        p = self.process
        if not any(n.kind == "startEvent" and n.parent_id is None for n in p.nodes.values()):
            self.err("Quy trình không có sự kiện bắt đầu", p.line, p.id)
        if not any(n.kind == "endEvent" and n.parent_id is None for n in p.nodes.values()):
            self.err("Quy trình không có sự kiện kết thúc", p.line, p.id)
        for node in p.nodes.values():
            reason = unsupported_reason(node)
            if reason is not None:
                self.err(reason, node.line, node.id)
                continue
            if node.kind in HUMAN_KINDS:
                raw = node.properties.get("working_days")
                days = working_days(node)
                if raw is None or not raw.strip():
                    self.err(f"Bước {node_label(node)} thiếu thời gian xử lý working_days (số ngày làm việc) "
                             f"trong camunda:properties", node.line, node.id)
                elif days is None or days < 0:
                    self.err(f"working_days «{raw}» của bước {node_label(node)} phải là số ngày làm việc "
                             f"không âm, ví dụ 0.5 hoặc 3",
                             node.line, node.id)
            for message in node_problems(node):
                self.err(message, node.line, node.id)
            if "timer" in node.event_kinds:
                self.check_timer(node)
            if node.kind == "subProcess":
                starts = [n for n in p.nodes.values() if n.parent_id == node.id and n.kind == "startEvent"]
                if len(starts) != 1:
                    self.err(f"Quy trình con {node_label(node)} cần đúng một sự kiện bắt đầu, có {len(starts)}",
                             node.line, node.id)
        if self.element is not None:
            for ref in self.element.iter(_B + "dataStoreReference"):
                ref_id = ref.get("id", "")
                self.err(f"Kho dữ liệu «{ref.get('name') or ref_id}» không thực thi được", ref.sourceline or 0, ref_id)

    def check_timer(self, node: FlowNode) -> None:
        text = (node.timer or "").strip()
        if not text:
            self.err(f"Hẹn giờ {node_label(node)} không có thời hạn", node.line, node.id)
            return
        if node.timer_kind == "duration":
            if parse_duration(text) is None:
                self.err(f"Thời hạn hẹn giờ «{text}» của {node_label(node)} không đọc được; dùng dạng ISO 8601 "
                         f"như P2D hoặc PT4H", node.line, node.id)
        elif node.timer_kind == "date":
            try:
                datetime.fromisoformat(text.strip("\"'"))
            except ValueError:
                self.err(f"Ngày giờ hẹn «{text}» của {node_label(node)} không đọc được; dùng dạng ISO 8601 như "
                         f"2025-07-01T08:00:00+07:00", node.line, node.id)
        else:  # a cycle is evaluated as an expression at run time: refuse an escape now, with the element
            refused, crash = _safe(expressions.check_expression, text)
            if refused or crash:
                self.err(f"Chu kỳ hẹn giờ «{text}» của {node_label(node)} bị từ chối: {refused or crash}",
                         node.line, node.id)
            else:
                # The engine counts timers in working time and fires each once; a repeating cycle
                # would wait for ever. Say so now rather than leave a dossier stuck later.
                self.err(f"Hẹn giờ lặp (timeCycle) của {node_label(node)} không thực thi được; dùng thời hạn "
                         f"(timeDuration) hoặc ngày giờ (timeDate)",
                         node.line, node.id)

    # -- graph ------------------------------------------------------------------------------
    def check_reachability(self) -> None:
        from engine.paths import dead_end_nodes, unreachable_nodes

        nodes = self.process.nodes
        unreachable = unreachable_nodes(self.process)
        for nid in unreachable:
            node = nodes[nid]
            self.err(f"{node_label(node)} không thể đến được từ sự kiện bắt đầu",
                     node.line, nid)
        skip = set(unreachable)
        for nid in dead_end_nodes(self.process):
            node = nodes[nid]
            if node.kind == "endEvent":
                continue
            message = f"Từ {node_label(node)} không thể đi tới sự kiện kết thúc"
            if nid in skip and not node.outgoing:
                message = f"{node_label(node)} không có luồng ra"
            self.err(message, node.line, nid)

    def check_gateways(self) -> None:
        p = self.process
        for node in p.nodes.values():
            if node.default_flow and node.default_flow not in node.outgoing:
                self.err(f"Luồng mặc định «{node.default_flow}» của {node_label(node)} không phải "
                         f"luồng ra của nó", node.line, node.id)
            if node.kind not in {"exclusiveGateway", "inclusiveGateway"} or len(node.outgoing) < 2:
                continue
            bare = [fid for fid in node.outgoing
                    if fid != node.default_flow and (f := p.flows.get(fid)) is not None and not f.condition]
            if bare:
                self.err(f"Cổng {node_label(node)} có {len(node.outgoing)} luồng ra nhưng luồng "
                         f"{', '.join(bare)} không có điều kiện và không phải luồng mặc định", node.line, node.id)

    @functools.cached_property
    def _back(self) -> dict[str, list[str]]:
        """Predecessors of every node (built once: upstream() is asked once per condition and script)."""
        nodes = self.process.nodes
        back: dict[str, list[str]] = {nid: [] for nid in nodes}
        for flow in self.process.flows.values():
            if flow.source in nodes and flow.target in nodes:
                back[flow.target].append(flow.source)
        for node in nodes.values():
            if node.attached_to in nodes:
                back[node.id].append(node.attached_to)
            if node.parent_id in nodes and node.kind == "startEvent":
                back[node.id].append(node.parent_id)
        return back

    def upstream(self, node_id: str) -> set[str]:
        """Nodes whose data is set before the token leaves ``node_id`` (the node itself included)."""
        nodes, back = self.process.nodes, self._back
        seen = {node_id}
        queue = deque([node_id])
        while queue:
            for prev in back[queue.popleft()]:
                if prev not in seen:
                    seen.add(prev)
                    queue.append(prev)
        containers = {nid for nid in seen if nodes[nid].kind in CONTAINER_KINDS}
        if containers:
            for node in nodes.values():
                parent = node.parent_id
                while parent is not None:
                    if parent in containers:
                        seen.add(node.id)
                        break
                    parent = nodes[parent].parent_id if parent in nodes else None
        return seen

    @functools.cached_property
    def _names(self) -> dict[str, tuple[set[str], set[str]]]:
        """Per node: the form fields it sets, and the names its script assigns (each script parsed once)."""
        out = {}
        for node in self.process.nodes.values():
            assigned, _ = _safe(expressions.assigned_names, node.script) if node.script else (None, None)
            out[node.id] = ({f.id for f in node.form if f.id}, set(assigned or ()))
        return out

    def names_set_by(self, node_ids: set[str], exclude_script_of: str | None = None) -> set[str]:
        names: set[str] = set()
        starts = {n.id for n in self.process.nodes.values() if n.kind == "startEvent"}
        for nid in node_ids | starts:
            fields, assigned = self._names[nid]
            names |= fields
            if nid in node_ids and nid != exclude_script_of:
                names |= assigned
        return names

    def check_expressions(self) -> None:
        p = self.process
        for flow in p.flows.values():
            if flow.condition is None:
                continue
            refused, crash = _safe(expressions.check_expression, flow.condition)
            message = refused or crash
            if message and flow.condition.startswith("="):
                message += "; biểu thức FEEL của Camunda 8 (dấu = ở đầu) không được hỗ trợ"
            if message:
                self.err(f"Điều kiện «{flow.condition}» của luồng «{flow.name or flow.id}» bị từ chối: "
                         f"{message}", flow.line, flow.id)
                continue
            if flow.source not in p.nodes:
                continue
            used, _ = _safe(expressions.referenced_names, flow.condition)
            known = self.names_set_by(self.upstream(flow.source))
            for name in sorted(set(used or ()) - known):
                self.err(f"Điều kiện «{flow.condition}» dùng biến «{name}» mà không trường biểu mẫu "
                         f"hay script nào phía trước đặt",
                         flow.line, flow.id)
        script_elements = {el.get("id"): el for el in self.element.iter(_B + "scriptTask")} \
            if self.element is not None else {}
        for node in p.nodes.values():
            if node.kind != "scriptTask":
                continue
            if not (node.script or "").strip():
                self.err(f"Bước script {node_label(node)} không có nội dung", node.line, node.id)
                continue
            script_el = script_elements.get(node.id)
            unsupported = (None if script_el is None
                           else camunda_usage.script_format_message(script_el, node_label(node)))
            if unsupported:
                self.err(unsupported, node.line, node.id)
                continue
            refused, crash = _safe(expressions.check_script, node.script)
            message = refused or crash
            if message:
                self.err(f"Script của {node_label(node)} bị từ chối: {message}",
                         node.line, node.id)
                continue
            used, _ = _safe(expressions.referenced_names, node.script, script=True)
            own, _ = _safe(expressions.assigned_names, node.script)
            known = self.names_set_by(self.upstream(node.id), exclude_script_of=node.id) | set(own or ())
            for name in sorted(set(used or ()) - known):
                self.err(f"Script của {node_label(node)} đọc biến «{name}» mà không trường biểu mẫu hay "
                         f"script nào phía trước đặt",
                         node.line, node.id)

    def check_budget(self) -> None:
        limit = self.limit()
        if limit is None:
            return
        value, which = limit
        p = self.process
        report = enumerate_paths(p)
        over = [path for path in report.paths if path.budget > value]
        for path in over[:MAX_PATH_PROBLEMS]:
            self.err(f"Đường đi «{path_name(p, path)}» cần tổng {_days(path.budget)} ngày làm việc, vượt "
                     f"{which} {_days(value)} ngày", p.line, p.id)
        if len(over) > MAX_PATH_PROBLEMS:
            self.err(f"Còn {len(over) - MAX_PATH_PROBLEMS} đường đi khác cũng vượt {which}", p.line, p.id)
        if report.truncated:
            self.problems.append(warning(
                f"Quy trình có quá nhiều đường đi; chỉ kiểm tra {len(report.paths)} đường đầu tiên", p.line, p.id))
        best = main_path(p, report)
        if best is not None and not over and best.budget < value:
            self.problems.append(warning(
                f"Tổng thời gian đường chính «{path_name(p, best)}» là {_days(best.budget)} ngày, ít hơn "
                f"{which} {_days(value)} ngày", p.line, p.id))

    def check_with_spiff(self) -> None:
        if self.element is None:
            return
        from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

        flagged = {prob.element for prob in self.problems if prob.is_error}
        for flow in self.process.flows.values():  # a flow and its ends are one place to the designer
            if {flow.id, flow.source, flow.target} & flagged:
                flagged.update((flow.id, flow.source, flow.target))
        root = self.element.getroottree().getroot()
        try:
            parser = CamundaParser()
            parser.add_bpmn_xml(root, filename=self.filename or None)
            parser.get_spec(self.process.id)
        except Exception as exc:
            element_id = str(getattr(exc, "id", "") or "") or None
            if element_id is not None and element_id in flagged:
                return
            if element_id is None and flagged:
                return
            node = self.process.nodes.get(element_id or "")
            line = node.line if node is not None else _line_of(root, element_id) or self.process.line
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.err(f"Bộ máy thực thi (SpiffWorkflow) từ chối quy trình: {message}",
                     line, element_id or self.process.id)


def _line_of(root: etree._Element, element_id: str | None) -> int:
    if not element_id:
        return 0
    for el in root.iter():
        if el.get("id") == element_id:
            return el.sourceline or 0
    return 0
