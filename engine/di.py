"""Whether a BPMN file carries its own layout (DI): then it is drawn as designed, in bpmn-js."""

from __future__ import annotations

from engine.xmlsafe import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
#: Flow elements that are drawn as shapes (sequence flows are edges, checked through their ends).
_SHAPED = ("task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
           "businessRuleTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
           "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
           "inclusiveGateway", "eventBasedGateway", "complexGateway")


def has_layout(data: bytes) -> bool:
    """True when every flow node of every process has a shape in the file's diagram(s).

    Subprocess contents drawn on their own plane (a collapsed subprocess) count: the shape may be on
    any diagram. An unreadable file has no layout."""
    try:
        root = parse_xml(data).getroot()
    except Exception:  # the validator reports unreadable files; here they simply have no layout
        return False
    shaped = {s.get("bpmnElement") for s in root.iter(f"{{{BPMNDI}}}BPMNShape")}
    nodes = [el.get("id") for kind in _SHAPED for el in root.iter(f"{{{BPMN}}}{kind}")]
    return bool(nodes) and all(n in shaped for n in nodes)
