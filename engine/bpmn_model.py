"""A tool-agnostic, read-only view of a BPMN 2.0 file (any modeller; Camunda extensions read too).

One lxml pass turns the XML into plain dataclasses: processes with their lanes, flow nodes and
sequence flows, plus the pools (participants) and message flows of collaborations. Nothing here
executes or judges a diagram: ``engine.validation`` judges, ``engine.paths`` analyses paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from engine.bpmn_di import Diagram, read_diagrams
from engine.errors import DefinitionError
from engine.problems import error
from engine.xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

_B = "{" + BPMN_NS + "}"
_C = "{" + CAMUNDA_NS + "}"

#: Local names of the BPMN elements read as flow nodes.
FLOW_NODE_KINDS = frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "implicitThrowEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
})

#: Flow nodes that hold their own flow elements.
CONTAINER_KINDS = frozenset({"subProcess", "transaction", "adHocSubProcess"})

_EVENT_DEFINITIONS = {
    "timerEventDefinition": "timer",
    "messageEventDefinition": "message",
    "signalEventDefinition": "signal",
    "errorEventDefinition": "error",
    "escalationEventDefinition": "escalation",
    "conditionalEventDefinition": "conditional",
    "compensateEventDefinition": "compensate",
    "cancelEventDefinition": "cancel",
    "terminateEventDefinition": "terminate",
    "linkEventDefinition": "link",
}
#: Local names of the artifacts and data references read (drawn, never run).
ARTIFACT_KINDS = frozenset({"dataObjectReference", "dataStoreReference", "textAnnotation", "group"})
_TIMER_KINDS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}


@dataclass
class FormField:
    """One ``camunda:formField`` of a user task or start event."""

    id: str
    label: str
    type: str
    required: bool = False
    enum_values: list[tuple[str, str]] = field(default_factory=list)
    constraints: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    line: int = 0


@dataclass
class FlowNode:
    """An event, activity or gateway, wherever it sits in its process."""

    id: str
    kind: str
    name: str
    line: int
    process_id: str
    lane_id: str | None = None
    parent_id: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    event_kinds: list[str] = field(default_factory=list)
    timer: str | None = None
    timer_kind: str | None = None
    attached_to: str | None = None
    cancel_activity: bool = True
    default_flow: str | None = None
    form: list[FormField] = field(default_factory=list)
    script: str | None = None
    documentation: str = ""
    triggered_by_event: bool = False
    candidate_groups: str = ""  # camunda:candidateGroups of a user task: who in the agency does it


@dataclass
class SequenceFlow:
    """A sequence flow between two flow nodes of one process."""

    id: str
    source: str
    target: str
    name: str
    line: int
    process_id: str
    condition: str | None = None


@dataclass
class Lane:
    """A lane (swimlane); nested lanes are flattened in document order with their depth."""

    id: str
    name: str
    line: int
    process_id: str
    node_ids: list[str] = field(default_factory=list)
    depth: int = 0


@dataclass
class Process:
    """A BPMN process: its lanes, every flow node (subprocess contents included) and flow."""

    id: str
    name: str
    executable: bool
    line: int
    properties: dict[str, str] = field(default_factory=dict)
    lanes: list[Lane] = field(default_factory=list)
    nodes: dict[str, FlowNode] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)


@dataclass
class Participant:
    """A pool of a collaboration, possibly without a process behind it."""

    id: str
    name: str
    line: int
    process_id: str | None = None


@dataclass
class MessageFlow:
    """A message flow between pools or nodes of different pools."""

    id: str
    name: str
    source: str
    target: str
    line: int


@dataclass
class Artifact:
    """A data object or data store reference, a text annotation or a group."""

    id: str
    kind: str
    name: str
    line: int
    parent_id: str | None = None


@dataclass
class Association:
    """An association, or a data association between an activity and a data reference."""

    id: str
    source: str
    target: str
    line: int
    data: bool = False


@dataclass
class BpmnDocument:
    """Everything read from one BPMN file."""

    processes: list[Process]
    participants: list[Participant]
    message_flows: list[MessageFlow]
    artifacts: list[Artifact] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    diagrams: list[Diagram] = field(default_factory=list)

    def node(self, node_id: str) -> FlowNode | None:
        """The flow node with this id, in whichever process it is."""
        for process in self.processes:
            found = process.nodes.get(node_id)
            if found is not None:
                return found
        return None

    def process_of_participant(self, participant_id: str) -> Process | None:
        """The process a pool shows, or None for a pool without one (a black box)."""
        for participant in self.participants:
            if participant.id == participant_id:
                for process in self.processes:
                    if process.id == participant.process_id:
                        return process
                return None
        return None


def local_name(element: etree._Element) -> str:
    """The tag without its namespace ("" for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def ref_id(value: str | None) -> str:
    """An id reference, with a QName prefix (``tns:Task_1``) dropped: ids never hold a colon."""
    if not value:
        return ""
    return value.strip().rpartition(":")[2]


def _line(element: etree._Element) -> int:
    return element.sourceline or 0


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _bpmn_children(element: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag.startswith(_B):
            yield tag[len(_B):], child


def read_properties(element: etree._Element) -> dict[str, str]:
    """``camunda:properties/camunda:property`` under the element's extensionElements."""
    props: dict[str, str] = {}
    for ext in element.iterchildren(_B + "extensionElements"):
        for group in ext.iterchildren(_C + "properties"):
            for prop in group.iterchildren(_C + "property"):
                name = prop.get("name")
                if name:
                    props[name] = prop.get("value", "")
    return props


def _read_form(element: etree._Element) -> list[FormField]:
    fields: list[FormField] = []
    for ext in element.iterchildren(_B + "extensionElements"):
        for data in ext.iterchildren(_C + "formData"):
            for ff in data.iterchildren(_C + "formField"):
                constraints: dict[str, str] = {}
                for validation in ff.iterchildren(_C + "validation"):
                    for constraint in validation.iterchildren(_C + "constraint"):
                        cname = constraint.get("name")
                        if cname:
                            constraints[cname] = constraint.get("config", "")
                required_cfg = constraints.get("required")
                fields.append(FormField(
                    id=ff.get("id", ""),
                    label=ff.get("label", ""),
                    type=ff.get("type", "string"),
                    required=required_cfg is not None and required_cfg.strip().lower() != "false",
                    enum_values=[(v.get("id", ""), v.get("name", ""))
                                 for v in ff.iterchildren(_C + "value")],
                    constraints=constraints,
                    default=ff.get("defaultValue"),
                    line=_line(ff),
                ))
    return fields


class _Reader:
    """State of one read: global event definitions and lane membership collected on the way."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.global_defs: dict[str, str] = {}
        self.categories: dict[str, str] = {}
        self.artifacts: list[Artifact] = []
        self.associations: list[Association] = []
        for kind, child in _bpmn_children(root):
            if kind in _EVENT_DEFINITIONS and child.get("id"):
                self.global_defs[child.get("id", "")] = kind
            elif kind == "category":
                for ckind, value in _bpmn_children(child):
                    if ckind == "categoryValue" and value.get("id"):
                        self.categories[value.get("id", "")] = value.get("value", "")

    def _artifact(self, kind: str, element: etree._Element, parent_id: str | None) -> None:
        if kind == "association":
            self.associations.append(Association(
                id=element.get("id", ""), source=ref_id(element.get("sourceRef")),
                target=ref_id(element.get("targetRef")), line=_line(element)))
            return
        if kind == "textAnnotation":
            name = _text(next(element.iterchildren(_B + "text"), None))
        elif kind == "group":
            name = self.categories.get(ref_id(element.get("categoryValueRef")), "")
        else:
            name = element.get("name", "")
        self.artifacts.append(Artifact(id=element.get("id", ""), kind=kind, name=name, line=_line(element),
                                       parent_id=parent_id))

    def read(self) -> BpmnDocument:
        processes: list[Process] = []
        participants: list[Participant] = []
        message_flows: list[MessageFlow] = []
        for kind, child in _bpmn_children(self.root):
            if kind == "process":
                processes.append(self._process(child))
            elif kind == "collaboration":
                for ckind, item in _bpmn_children(child):
                    if ckind == "participant":
                        participants.append(Participant(
                            id=item.get("id", ""), name=item.get("name", ""), line=_line(item),
                            process_id=ref_id(item.get("processRef")) or None))
                    elif ckind == "messageFlow":
                        message_flows.append(MessageFlow(
                            id=item.get("id", ""), name=item.get("name", ""),
                            source=ref_id(item.get("sourceRef")), target=ref_id(item.get("targetRef")),
                            line=_line(item)))
                    elif ckind in ARTIFACT_KINDS or ckind == "association":
                        self._artifact(ckind, item, None)
        return BpmnDocument(processes, participants, message_flows, self.artifacts, self.associations,
                            read_diagrams(self.root))

    def _process(self, element: etree._Element) -> Process:
        process = Process(
            id=element.get("id", ""),
            name=element.get("name", ""),
            executable=(element.get("isExecutable") or "").strip().lower() == "true",
            line=_line(element),
            properties=read_properties(element),
        )
        self._container(element, process, None)
        for flow in process.flows.values():
            source = process.nodes.get(flow.source)
            if source is not None:
                source.outgoing.append(flow.id)
            target = process.nodes.get(flow.target)
            if target is not None:
                target.incoming.append(flow.id)
        innermost: dict[str, Lane] = {}
        for lane in process.lanes:
            for node_id in lane.node_ids:
                held = innermost.get(node_id)
                if held is None or lane.depth >= held.depth:
                    innermost[node_id] = lane
        for node_id, lane in innermost.items():
            node = process.nodes.get(node_id)
            if node is not None:
                node.lane_id = lane.id
        return process

    def _container(self, element: etree._Element, process: Process, parent_id: str | None) -> None:
        for kind, child in _bpmn_children(element):
            if kind in FLOW_NODE_KINDS:
                node = self._node(kind, child, process.id, parent_id)
                process.nodes.setdefault(node.id, node)
                if kind in CONTAINER_KINDS:
                    self._container(child, process, node.id)
            elif kind == "sequenceFlow":
                flow_id = child.get("id", "")
                condition: str | None = None
                for cond in child.iterchildren(_B + "conditionExpression"):
                    condition = _text(cond) or None
                process.flows.setdefault(flow_id, SequenceFlow(
                    id=flow_id, source=ref_id(child.get("sourceRef")),
                    target=ref_id(child.get("targetRef")), name=child.get("name", ""),
                    line=_line(child), process_id=process.id, condition=condition))
            elif kind == "laneSet":
                self._lanes(child, process, 0)
            elif kind in ARTIFACT_KINDS or kind == "association":
                self._artifact(kind, child, parent_id)

    def _lanes(self, lane_set: etree._Element, process: Process, depth: int) -> None:
        for lane_el in lane_set.iterchildren(_B + "lane"):
            lane = Lane(
                id=lane_el.get("id", ""), name=lane_el.get("name", ""), line=_line(lane_el),
                process_id=process.id, depth=depth,
                node_ids=[ref_id(_text(ref)) for ref in lane_el.iterchildren(_B + "flowNodeRef")],
            )
            process.lanes.append(lane)
            for child_set in lane_el.iterchildren(_B + "childLaneSet"):
                self._lanes(child_set, process, depth + 1)

    def _node(self, kind: str, element: etree._Element, process_id: str,
              parent_id: str | None) -> FlowNode:
        node = FlowNode(
            id=element.get("id", ""), kind=kind, name=element.get("name", ""), line=_line(element),
            process_id=process_id, parent_id=parent_id,
        )
        docs: list[str] = []
        for ckind, child in _bpmn_children(element):
            if ckind in _EVENT_DEFINITIONS:
                node.event_kinds.append(_EVENT_DEFINITIONS[ckind])
                if ckind == "timerEventDefinition":
                    for tkind, timer_el in _bpmn_children(child):
                        if tkind in _TIMER_KINDS:
                            node.timer = _text(timer_el)
                            node.timer_kind = _TIMER_KINDS[tkind]
            elif ckind == "eventDefinitionRef":
                ref = self.global_defs.get(ref_id(_text(child)))
                if ref is not None:
                    node.event_kinds.append(_EVENT_DEFINITIONS[ref])
            elif ckind == "documentation":
                text = _text(child)
                if text:
                    docs.append(text)
            elif ckind == "extensionElements":
                node.properties = read_properties(element)
                node.form = _read_form(element)
            elif ckind == "script" and kind == "scriptTask":
                node.script = "".join(child.itertext())
            elif ckind in ("dataInputAssociation", "dataOutputAssociation"):
                inbound = ckind == "dataInputAssociation"
                ends = [ref_id(_text(ref)) for ref in child.iterchildren(_B + ("sourceRef" if inbound
                                                                              else "targetRef"))]
                for end in ends[:1]:
                    self.associations.append(Association(
                        id=child.get("id", "") or f"{node.id}-{end}", source=end if inbound else node.id,
                        target=node.id if inbound else end, line=_line(child), data=True))
        node.documentation = "\n".join(docs)
        node.attached_to = ref_id(element.get("attachedToRef")) or None
        node.cancel_activity = (element.get("cancelActivity") or "true").strip().lower() != "false"
        node.default_flow = ref_id(element.get("default")) or None
        node.candidate_groups = " ".join((element.get(_C + "candidateGroups") or "").split())
        node.triggered_by_event = (element.get("triggeredByEvent") or "").strip().lower() == "true"
        return node


def read_root(root: etree._Element) -> BpmnDocument:
    """Read an already parsed (and already checked) ``definitions`` element."""
    return _Reader(root).read()


def check_root(root: etree._Element) -> None:
    """Raise DefinitionError unless the root is ``definitions`` in the BPMN MODEL namespace."""
    if root.tag != _B + "definitions":
        tag = root.tag if isinstance(root.tag, str) else "?"
        raise DefinitionError([error(
            f"Không phải tệp BPMN 2.0: phần tử gốc là <{tag}>, cần <definitions> trong không gian tên "
            f"{BPMN_NS}", line=_line(root))])


def read_bpmn(data: bytes) -> BpmnDocument:
    """Parse untrusted BPMN bytes; raise DefinitionError (with a line) when it is not BPMN."""
    root = parse_xml(data).getroot()
    check_root(root)
    return read_root(root)
