"""Plain-Python procedure descriptions → Camunda-dialect BPMN 2.0 XML with a computed layout."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from bpmn_layout import Box, layout


@dataclass
class Field:
    """One camunda:formField."""

    id: str
    label: str
    type: str = "string"
    required: bool = True
    values: list[tuple[str, str]] = field(default_factory=list)
    constraints: dict[str, str] = field(default_factory=dict)
    default: str | None = None


#: Who in the agency does a step of each kind (camunda:candidateGroups, docs/modelling.md).
ROLE_OF_KIND = {"receive": "clerk", "examine": "officer", "review": "leader", "sign": "leader",
                "consult": "officer", "supplement": "clerk", "return": "clerk"}


@dataclass
class Node:
    """One flow node of the process."""

    id: str
    kind: str
    lane: str
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    form: list[Field] = field(default_factory=list)
    timer: str | None = None
    attached_to: str | None = None
    default: str | None = None
    documentation: str = ""


@dataclass
class Flow:
    """One sequence flow."""

    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None


@dataclass
class Procedure:
    """A procedure: process properties, lanes (agency names), nodes and flows."""

    slug: str
    name: str
    code: str
    legal_days: str
    reduced_days: str | None = None
    lanes: list[str] = field(default_factory=list)
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    documentation: str = ""

    @property
    def process_id(self) -> str:
        return f"Process_{self.slug}"

    def _add(self, node: Node) -> str:
        if node.id in self.nodes:
            raise ValueError(f"duplicate node {node.id}")
        if node.lane not in self.lanes:
            self.lanes.append(node.lane)
        self.nodes[node.id] = node
        return node.id

    def start(self, id: str, lane: str, name: str, form: list[Field] | None = None) -> str:
        """Add the start event; its form is the data the desk enters at reception."""
        return self._add(Node(id, "startEvent", lane, name, form=form or []))

    def user(self, id: str, lane: str, name: str, days: str, kind: str | None = None,
             result: str | None = None, form: list[Field] | None = None, doc: str = "") -> str:
        """Add a user task with its working-day budget, step kind and result text."""
        props = {"working_days": days}
        if kind:
            props["step_kind"] = kind
        if result:
            props["result"] = result
        return self._add(Node(id, "userTask", lane, name, props, form or [], documentation=doc))

    def end(self, id: str, lane: str, name: str, outcome: str | None) -> str:
        """Add an end event with its outcome (returned, refused, withdrawn)."""
        props = {"outcome": outcome} if outcome else {}
        return self._add(Node(id, "endEvent", lane, name, props))

    def gateway(self, id: str, lane: str, name: str, kind: str = "exclusiveGateway",
                default: str | None = None) -> str:
        """Add a gateway (exclusive, parallel or inclusive)."""
        return self._add(Node(id, kind, lane, name, default=default))

    def timer(self, id: str, lane: str, name: str, duration: str) -> str:
        """Add an intermediate timer catch event (duration in working days)."""
        return self._add(Node(id, "intermediateCatchEvent", lane, name, timer=duration))

    def boundary_timer(self, id: str, attached_to: str, name: str, duration: str) -> str:
        """Add a non-interrupting boundary timer on a task."""
        lane = self.nodes[attached_to].lane
        return self._add(Node(id, "boundaryEvent", lane, name, timer=duration, attached_to=attached_to))

    def flow(self, source: str, target: str, name: str = "", condition: str | None = None,
             default: bool = False) -> str:
        """Add a sequence flow; ``default`` marks it as its gateway's default flow."""
        fid = f"Flow_{source}_{target}"
        if any(f.id == fid for f in self.flows):
            raise ValueError(f"duplicate flow {fid}")
        self.flows.append(Flow(fid, source, target, name, condition))
        if default:
            self.nodes[source].default = fid
        return fid

    def chain(self, *ids: str) -> None:
        """Connect the nodes in order with unconditional flows."""
        for a, b in itertools.pairwise(ids):
            self.flow(a, b)


# --------------------------------------------------------------------------- XML


def _n(v: float) -> str:
    return str(round(v))


def _label(box: Box) -> list[str]:
    return ["        <bpmndi:BPMNLabel>",
            f'          <dc:Bounds x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" />',
            "        </bpmndi:BPMNLabel>"]


def _field_xml(fd: Field, ind: str) -> list[str]:
    default = f" defaultValue={quoteattr(fd.default)}" if fd.default is not None else ""
    lines = [f"{ind}<camunda:formField id={quoteattr(fd.id)} label={quoteattr(fd.label)} "
             f"type={quoteattr(fd.type)}{default}>"]
    constraints = dict(fd.constraints)
    if fd.required or constraints:
        lines.append(f"{ind}  <camunda:validation>")
        if fd.required:
            lines.append(f'{ind}    <camunda:constraint name="required" />')
        for name, config in constraints.items():
            lines.append(f"{ind}    <camunda:constraint name={quoteattr(name)} config={quoteattr(config)} />")
        lines.append(f"{ind}  </camunda:validation>")
    for vid, vname in fd.values:
        lines.append(f"{ind}  <camunda:value id={quoteattr(vid)} name={quoteattr(vname)} />")
    lines.append(f"{ind}</camunda:formField>")
    return lines


def _extensions(node: Node, ind: str) -> list[str]:
    if not node.form and not node.properties:
        return []
    lines = [f"{ind}<bpmn:extensionElements>"]
    if node.form:
        lines.append(f"{ind}  <camunda:formData>")
        for fd in node.form:
            lines += _field_xml(fd, ind + "    ")
        lines.append(f"{ind}  </camunda:formData>")
    if node.properties:
        lines.append(f"{ind}  <camunda:properties>")
        for k, v in node.properties.items():
            lines.append(f"{ind}    <camunda:property name={quoteattr(k)} value={quoteattr(v)} />")
        lines.append(f"{ind}  </camunda:properties>")
    lines.append(f"{ind}</bpmn:extensionElements>")
    return lines


def to_xml(proc: Procedure) -> str:
    """Render the procedure as a Camunda Modeler 5 style BPMN file."""
    for f in proc.flows:
        if f.source not in proc.nodes or f.target not in proc.nodes:
            raise ValueError(f"{proc.slug}: flow {f.id} names an unknown node")
    drawn = layout(proc)
    boxes, lanes, pool, waypoints = drawn.boxes, drawn.lanes, drawn.pool, drawn.waypoints
    lane_ids = {name: f"Lane_{i + 1}" for i, name in enumerate(proc.lanes)}
    collab, part = f"Collaboration_{proc.slug}", f"Participant_{proc.slug}"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
        f'id="Definitions_{proc.slug}" targetNamespace="http://bpmn.io/schema/bpmn" '
        'exporter="Camunda Modeler" exporterVersion="5.17.0" '
        'modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.20.0">',
        f'  <bpmn:collaboration id="{collab}">',
        f"    <bpmn:participant id=\"{part}\" name={quoteattr(proc.name)} processRef=\"{proc.process_id}\" />",
        "  </bpmn:collaboration>",
        f"  <bpmn:process id=\"{proc.process_id}\" name={quoteattr(proc.name)} isExecutable=\"true\">",
    ]
    if proc.documentation:
        out.append(f"    <bpmn:documentation>{escape(proc.documentation)}</bpmn:documentation>")
    out += ["    <bpmn:extensionElements>", "      <camunda:properties>",
            f'        <camunda:property name="procedure_code" value={quoteattr(proc.code)} />',
            f'        <camunda:property name="legal_working_days" value={quoteattr(proc.legal_days)} />']
    if proc.reduced_days:
        out.append(f'        <camunda:property name="reduced_working_days" value={quoteattr(proc.reduced_days)} />')
    out += ["      </camunda:properties>", "    </bpmn:extensionElements>",
            f'    <bpmn:laneSet id="LaneSet_{proc.slug}">']
    for name in proc.lanes:
        out.append(f'      <bpmn:lane id="{lane_ids[name]}" name={quoteattr(name)}>')
        for n in proc.nodes.values():
            if n.lane == name:
                out.append(f"        <bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>")
        out.append("      </bpmn:lane>")
    out.append("    </bpmn:laneSet>")
    incoming: dict[str, list[str]] = {n: [] for n in proc.nodes}
    outgoing: dict[str, list[str]] = {n: [] for n in proc.nodes}
    for f in proc.flows:
        outgoing[f.source].append(f.id)
        incoming[f.target].append(f.id)
    for n in proc.nodes.values():
        attrs = f'id="{n.id}" name={quoteattr(n.name)}'
        if n.default:
            attrs += f' default="{n.default}"'
        if n.kind == "boundaryEvent":
            attrs += f' cancelActivity="false" attachedToRef="{n.attached_to}"'
        if n.kind == "userTask" and n.properties.get("step_kind") in ROLE_OF_KIND:
            attrs += f' camunda:candidateGroups="{ROLE_OF_KIND[n.properties["step_kind"]]}"'
        out.append(f"    <bpmn:{n.kind} {attrs}>")
        if n.documentation:
            out.append(f"      <bpmn:documentation>{escape(n.documentation)}</bpmn:documentation>")
        out += _extensions(n, "      ")
        out += [f"      <bpmn:incoming>{fid}</bpmn:incoming>" for fid in incoming[n.id]]
        out += [f"      <bpmn:outgoing>{fid}</bpmn:outgoing>" for fid in outgoing[n.id]]
        if n.timer:
            out += [f'      <bpmn:timerEventDefinition id="TimerEventDefinition_{n.id}">',
                    f'        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(n.timer)}'
                    "</bpmn:timeDuration>",
                    "      </bpmn:timerEventDefinition>"]
        out.append(f"    </bpmn:{n.kind}>")
    for f in proc.flows:
        attrs = f'id="{f.id}"' + (f" name={quoteattr(f.name)}" if f.name else "")
        attrs += f' sourceRef="{f.source}" targetRef="{f.target}"'
        if f.condition:
            out += [f"    <bpmn:sequenceFlow {attrs}>",
                    f'      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f.condition)}'
                    "</bpmn:conditionExpression>",
                    "    </bpmn:sequenceFlow>"]
        else:
            out.append(f"    <bpmn:sequenceFlow {attrs} />")
    out.append("  </bpmn:process>")
    out += [f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{proc.slug}">',
            f'    <bpmndi:BPMNPlane id="BPMNPlane_{proc.slug}" bpmnElement="{collab}">',
            f'      <bpmndi:BPMNShape id="{part}_di" bpmnElement="{part}" isHorizontal="true">',
            f'        <dc:Bounds x="{_n(pool.x)}" y="{_n(pool.y)}" width="{_n(pool.w)}" height="{_n(pool.h)}" />',
            "      </bpmndi:BPMNShape>"]
    for name, b in lanes.items():
        lid = lane_ids[name]
        out += [f'      <bpmndi:BPMNShape id="{lid}_di" bpmnElement="{lid}" isHorizontal="true">',
                f'        <dc:Bounds x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" />',
                "      </bpmndi:BPMNShape>"]
    for f in proc.flows:
        out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">')
        pts = waypoints[f.id]
        out += [f'        <di:waypoint x="{_n(x)}" y="{_n(y)}" />' for x, y in pts]
        if f.name:
            out += _label(drawn.flow_labels[f.id])
        out.append("      </bpmndi:BPMNEdge>")
    for n in proc.nodes.values():
        b = boxes[n.id]
        extra = ' isMarkerVisible="true"' if n.kind == "exclusiveGateway" else ""
        out += [f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{extra}>',
                f'        <dc:Bounds x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" />']
        if n.id in drawn.node_labels:
            out += _label(drawn.node_labels[n.id])
        out.append("      </bpmndi:BPMNShape>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
    return "\n".join(out)
