"""SpiffWorkflow runs gateway conditions, scripts and timers through the sandbox, never through eval."""

from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.errors import ExpressionError
from engine.expressions import SandboxEnvironment, make_script_engine
from engine.xmlsafe import parse_xml

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="thu_tuc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="tinh_phi" scriptFormat="python">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_script</bpmn:outgoing>
      <bpmn:script>phi = so_trang * 2000
if phi &gt; 10000:
    muc = 'cao'
else:
    muc = 'thấp'</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="gw" default="f_thuong">
      <bpmn:incoming>f_script</bpmn:incoming>
      <bpmn:outgoing>f_nhanh</bpmn:outgoing><bpmn:outgoing>f_thuong</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="tinh_phi"/>
    <bpmn:sequenceFlow id="f_script" sourceRef="tinh_phi" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_nhanh" sourceRef="gw" targetRef="xu_ly_nhanh">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_thuong" sourceRef="gw" targetRef="xu_ly_thuong"/>
    <bpmn:userTask id="xu_ly_nhanh" name="Xử lý nhanh">
      <bpmn:incoming>f_nhanh</bpmn:incoming><bpmn:outgoing>f_end1</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="xu_ly_thuong" name="Xử lý thường">
      <bpmn:incoming>f_thuong</bpmn:incoming><bpmn:outgoing>f_end2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end1"><bpmn:incoming>f_end1</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end2"><bpmn:incoming>f_end2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f_end1" sourceRef="xu_ly_nhanh" targetRef="end1"/>
    <bpmn:sequenceFlow id="f_end2" sourceRef="xu_ly_thuong" targetRef="end2"/>
  </bpmn:process>
</bpmn:definitions>
"""

TIMER_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="cho" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="doi">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition>
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P2D</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="doi"/>
    <bpmn:sequenceFlow id="f2" sourceRef="doi" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _start(diagram: str, process: str, data: dict[str, object]) -> BpmnWorkflow:
    parser = CamundaParser()
    parser.add_bpmn_xml(parse_xml(diagram.encode()), filename="test.bpmn")
    workflow = BpmnWorkflow(parser.get_spec(process), script_engine=make_script_engine())
    start = workflow.get_tasks(state=TaskState.READY)[0]
    start.set_data(**data)
    workflow.do_engine_steps()
    return workflow


def _ready_names(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.name for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


def _condition_diagram(condition: str) -> str:
    return DIAGRAM.replace("CONDITION", condition.replace("&", "&amp;").replace("<", "&lt;"))


@pytest.mark.parametrize("condition", [
    "so_trang > 3 and muc == 'cao'",
    "${so_trang gt 3 && muc == 'cao'}",
])
@pytest.mark.parametrize(("pages", "branch"), [(10, "xu_ly_nhanh"), (2, "xu_ly_thuong")])
def test_gateway_takes_the_branch_the_condition_chooses(condition: str, pages: int, branch: str) -> None:
    workflow = _start(_condition_diagram(condition), "thu_tuc", {"so_trang": pages})
    assert _ready_names(workflow) == [branch]
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    assert ready.data["phi"] == pages * 2000
    assert ready.data["muc"] == ("cao" if pages > 5 else "thấp")


def test_malicious_condition_fails_and_has_no_effect(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    condition = f"__import__('os').system('touch ' + '{marker}')"
    with pytest.raises(WorkflowException) as raised:
        _start(_condition_diagram(condition), "thu_tuc", {"so_trang": 10})
    assert "__import__" in str(raised.value)
    assert not marker.exists()


def test_malicious_script_task_fails_and_has_no_effect(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    diagram = _condition_diagram("True").replace(
        "phi = so_trang * 2000", f"phi = so_trang.__class__.__base__.__subclasses__() or '{marker}'")
    with pytest.raises(WorkflowException, match="__class__"):
        _start(diagram, "thu_tuc", {"so_trang": 10})
    assert not marker.exists()


def test_bare_iso_duration_timer_is_accepted() -> None:
    workflow = _start(TIMER_DIAGRAM, "cho", {})
    waiting = [t for t in workflow.get_tasks(state=TaskState.WAITING) if t.task_spec.name == "doi"]
    assert len(waiting) == 1
    assert not workflow.is_completed()


def test_environment_merges_data_objects_under_task_data() -> None:
    env = SandboxEnvironment()
    assert isinstance(env, BasePythonScriptEngineEnvironment)
    assert env.evaluate("a + b", {"a": 1}, {"a": 100, "b": 2}) == 3
    data: dict[str, object] = {"a": 1}
    assert env.execute("c = a + b", data, {"b": 2}) is True
    assert data == {"a": 1, "c": 3}
    with pytest.raises(ExpressionError):
        env.call_service({}, operation_name="x")


def test_engine_validate_refuses_and_keeps_syntax_errors_for_dmn() -> None:
    engine = make_script_engine()
    engine.validate("x > 1")
    engine.validate("${x == true}")
    engine.validate("P2D")
    with pytest.raises(ExpressionError, match="__class__"):
        engine.validate("x.__class__")
    # SpiffWorkflow's DMN engine relies on SyntaxError to decide whether to prepend "==".
    with pytest.raises(SyntaxError):
        engine.validate("> 5")
    engine.validate("v > 5")
