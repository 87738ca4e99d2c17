"""Load a BPMN procedure for execution: the spec, its steps, forms, budgets and time limits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.bpmn_model import BpmnDocument, FlowNode, FormField, Process, read_root
from engine.diagram_limits import days_message, days_over
from engine.errors import DefinitionError
from engine.forms import FieldSpec
from engine.problems import Problem, error
from engine.statuses import FINISHED_STATUSES, OUTCOME_PRIORITY, DossierStatus
from engine.xmlsafe import parse_xml

#: Flow node kinds that become steps officials handle.
HUMAN_KINDS = frozenset({"userTask", "manualTask", "task"})
#: Task spec names SpiffWorkflow uses itself: an element with such an id silently breaks the spec.
RESERVED_IDS = frozenset({"Start", "End", "Root"})
OUTCOMES = FINISHED_STATUSES


@dataclass(frozen=True)
class StepSpec:
    """A human step of a procedure: who (lane), how long (working days), what form."""

    element_id: str
    name: str
    lane: str
    working_days: Decimal
    step_kind: str = ""
    result: str = ""
    fields: tuple[FieldSpec, ...] = ()
    documentation: str = ""
    role: str = ""  # camunda:candidateGroups: clerk, officer or leader ("" = any handling role)


@dataclass
class Definition:
    """One loaded version of a procedure, ready to start dossiers."""

    procedure_code: str
    name: str
    process_id: str
    legal_working_days: Decimal
    reduced_working_days: Decimal | None
    bpmn: bytes
    sha256: str
    filename: str
    document: BpmnDocument
    process: Process
    steps: dict[str, StepSpec]
    start_fields: tuple[FieldSpec, ...]
    lanes: tuple[str, ...]
    outcomes: dict[str, str]
    spec: Any = field(repr=False)
    subprocess_specs: dict[str, Any] = field(repr=False, default_factory=dict)

    @cached_property
    def has_timers(self) -> bool:
        """Whether any timer event can wait in this procedure (saves a query per step when not)."""
        return any("timer" in n.event_kinds for n in self.process.nodes.values())

    def final_outcome(self, workflow: Any) -> str:
        """The outcome of a finished workflow. End events of side branches (a reminder timer's)
        carry none; of those that do, the strongest wins: a withdrawal or refusal is never
        reported as a plain completion."""
        from SpiffWorkflow.util.task import TaskState

        reached = {self.outcomes.get(t.task_spec.bpmn_id) for t in workflow.get_tasks(state=TaskState.COMPLETED)}
        return next((o for o in OUTCOME_PRIORITY if o in reached), DossierStatus.COMPLETED)

    def opens_supplement(self, ready: Any) -> bool:
        """Whether any of these ready tasks is a supplement request."""
        return any(self.steps[t.task_spec.bpmn_id].step_kind == "supplement"
                   for t in ready if t.task_spec.bpmn_id in self.steps)

    @property
    def limit_working_days(self) -> Decimal:
        """The limit that applies: the province's reduced limit when set, else the legal one."""
        return self.reduced_working_days if self.reduced_working_days is not None else self.legal_working_days


def field_specs(form: Sequence[FormField]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            id=f.id,
            label=f.label or f.id,
            type=f.type or "string",
            required=f.required or "required" in f.constraints,
            enum_values=tuple((str(a), str(b)) for a, b in f.enum_values),
            constraints=dict(f.constraints),
            default=f.default,
        )
        for f in form
    )


def parse_days(text: str | None, what: str, element: str | None = None, line: int = 0) -> Decimal:
    """A non-negative decimal number of working days (dot or Vietnamese comma), at most 3,650."""
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DefinitionError([error(f"{what} không phải số ngày hợp lệ: {text!r}", line, element)]) from None
    if not value.is_finite() or value < 0:
        raise DefinitionError([error(f"{what} phải là số ngày không âm: {text!r}", line, element)])
    if days_over(value):
        raise DefinitionError([error(days_message(what, str(text)), line, element)])
    return value


def choose_process(document: BpmnDocument) -> Process:
    """The executable process of a file (the one carrying procedure_code when there are several)."""
    executable = [p for p in document.processes if p.executable]
    if not executable:
        raise DefinitionError([error("Không có quy trình nào được đánh dấu thực thi")])
    coded = [p for p in executable if p.properties.get("procedure_code")]
    if len(coded) == 1:
        return coded[0]
    if len(executable) == 1:
        return executable[0]
    raise DefinitionError(
        [error("Tệp có nhiều quy trình thực thi; chỉ được một quy trình có procedure_code")]
    )


def _lane_name(process: Process, node: FlowNode) -> str:
    for lane in process.lanes:
        if lane.id == node.lane_id:
            return lane.name.strip()
    return ""


def load_definition(data: bytes, filename: str = "") -> Definition:
    """Parse a BPMN file for execution; raise DefinitionError (with lines) when it cannot run."""
    tree = parse_xml(data)
    document = read_root(tree.getroot())
    process = choose_process(document)
    props = process.properties
    problems: list[Problem] = []
    code = (props.get("procedure_code") or "").strip()
    if not code:
        problems.append(error("Thiếu thuộc tính procedure_code của quy trình", process.line, process.id))
    try:
        legal = parse_days(props.get("legal_working_days"), "legal_working_days", process.id, process.line)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        legal = Decimal(0)
    reduced = None
    if props.get("reduced_working_days", "").strip():
        try:
            reduced = parse_days(
                props["reduced_working_days"], "reduced_working_days", process.id, process.line
            )
        except DefinitionError as exc:
            problems.extend(exc.problems)
    steps: dict[str, StepSpec] = {}
    outcomes: dict[str, str] = {}
    start_fields: tuple[FieldSpec, ...] = ()
    for node in process.nodes.values():
        if node.id in RESERVED_IDS or node.id.endswith(".EndJoin"):
            problems.append(error(f"Mã phần tử '{node.id}' trùng tên dành riêng của bộ máy; hãy đổi mã",
                                  node.line, node.id))
        if node.kind in HUMAN_KINDS:
            raw = node.properties.get("working_days")
            if raw is None:
                problems.append(error(f"Bước '{node.name or node.id}' thiếu thời gian",
                                      node.line, node.id))
                continue
            try:
                days = parse_days(raw, "working_days", node.id, node.line)
            except DefinitionError as exc:
                problems.extend(exc.problems)
                continue
            steps[node.id] = StepSpec(
                element_id=node.id,
                name=" ".join((node.name or node.id).split()),
                lane=_lane_name(process, node),
                working_days=days,
                step_kind=node.properties.get("step_kind", ""),
                result=node.properties.get("result", ""),
                fields=field_specs(node.form),
                documentation=node.documentation,
                role=node.candidate_groups,
            )
        elif node.kind == "endEvent":
            outcome = node.properties.get("outcome", "").strip()
            if not outcome:
                continue
            if outcome not in OUTCOMES:
                problems.append(error(f"outcome '{outcome}' không hợp lệ; dùng một trong {sorted(OUTCOMES)}",
                                      node.line, node.id))
            outcomes[node.id] = outcome
        elif node.kind == "startEvent" and node.parent_id is None and node.form:
            start_fields = field_specs(node.form)
    if problems:
        raise DefinitionError(problems)
    parser = CamundaParser()
    try:
        parser.add_bpmn_xml(tree.getroot(), filename=filename or "<upload>")
        spec = parser.get_spec(process.id)
        subprocess_specs = parser.get_subprocess_specs(process.id)
    except ValidationException as exc:
        line = int(getattr(exc, "line_number", 0) or 0)
        element = getattr(exc, "id", None) or None
        raise DefinitionError([error(f"Bộ máy không nạp được sơ đồ: {exc}", line, element)]) from None
    except Exception as exc:  # the library raises many kinds; none may escape as a traceback
        raise DefinitionError([error(f"Bộ máy không nạp được sơ đồ: {type(exc).__name__}: {exc}")]) from None
    return Definition(
        procedure_code=code,
        name=" ".join((process.name or code).split()),
        process_id=process.id,
        legal_working_days=legal,
        reduced_working_days=reduced,
        bpmn=bytes(data),
        sha256=hashlib.sha256(data).hexdigest(),
        filename=filename,
        document=document,
        process=process,
        steps=steps,
        start_fields=start_fields,
        lanes=tuple(lane.name.strip() for lane in process.lanes),
        outcomes=outcomes,
        spec=spec,
        subprocess_specs=subprocess_specs,
    )
