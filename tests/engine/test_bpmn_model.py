"""Reading a Camunda-dialect BPMN file into plain dataclasses, with the line of every element."""

from __future__ import annotations

import time

import pytest

from engine.bpmn_model import (
    BpmnDocument,
    FlowNode,
    FormField,
    Lane,
    MessageFlow,
    Participant,
    SequenceFlow,
    read_bpmn,
)
from engine.errors import DefinitionError

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs" targetNamespace="http://lienthong.vn">
  <bpmn:collaboration id="Collab">
    <bpmn:participant id="Pool_CoQuan" name="Cơ quan giải quyết" processRef="Proc_1" />
    <bpmn:participant id="Pool_Dan" name="Người dân" />
    <bpmn:messageFlow id="Msg_Nop" name="Nộp hồ sơ" sourceRef="Pool_Dan" targetRef="Start_1" />
  </bpmn:collaboration>
  <bpmn:process id="Proc_1" name="Trợ cấp&#10;hàng tháng" isExecutable="true">
    <bpmn:extensionElements>
      <camunda:properties>
        <camunda:property name="procedure_code" value="2.000286" />
        <camunda:property name="legal_working_days" value="10" />
      </camunda:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_Huyen" name="UBND cấp huyện">
        <bpmn:flowNodeRef>Task_ThamDinh</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Gw_1</bpmn:flowNodeRef>
        <bpmn:childLaneSet id="LaneSet_2">
          <bpmn:lane id="Lane_Phong" name="Phòng LĐ-TB&amp;XH">
            <bpmn:flowNodeRef>Task_ThamDinh</bpmn:flowNodeRef>
          </bpmn:lane>
        </bpmn:childLaneSet>
      </bpmn:lane>
      <bpmn:lane id="Lane_Xa" name="UBND cấp xã">
        <bpmn:flowNodeRef>Start_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_1" name="Nhận&#10;hồ sơ">
      <bpmn:documentation>Bộ phận một cửa tiếp nhận.</bpmn:documentation>
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="ho_ten" label="Họ và tên" type="string">
            <camunda:validation>
              <camunda:constraint name="required" />
              <camunda:constraint name="maxlength" config="100" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="doi_tuong" label="Đối tượng" type="enum" defaultValue="tre_em">
            <camunda:value id="tre_em" name="Trẻ em" />
            <camunda:value id="nguoi_cao_tuoi" name="Người cao tuổi" />
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:userTask id="Task_ThamDinh" name="Thẩm định">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="working_days" value="7" />
          <camunda:property name="step_kind" value="appraise" />
        </camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="Timer_1" attachedToRef="Task_ThamDinh" cancelActivity="false">
      <bpmn:timerEventDefinition id="TimerDef_1">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression"
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">P6D</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:exclusiveGateway id="Gw_1" name="Đạt?" default="Flow_No" />
    <bpmn:subProcess id="Sub_1" name="Chi trả">
      <bpmn:startEvent id="Sub_Start" />
      <bpmn:scriptTask id="Script_1" name="Tính tiền" scriptFormat="python">
        <bpmn:script>so_tien = 360000 * 2</bpmn:script>
      </bpmn:scriptTask>
      <bpmn:endEvent id="Sub_End"><bpmn:terminateEventDefinition /></bpmn:endEvent>
      <bpmn:sequenceFlow id="Sub_F1" sourceRef="Sub_Start" targetRef="Script_1" />
      <bpmn:sequenceFlow id="Sub_F2" sourceRef="Script_1" targetRef="Sub_End" />
    </bpmn:subProcess>
    <bpmn:endEvent id="End_1" />
    <bpmn:endEvent id="End_No">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="outcome" value="refused" /></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_ThamDinh" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_ThamDinh" targetRef="Gw_1" />
    <bpmn:sequenceFlow id="Flow_Yes" name="Đạt" sourceRef="Gw_1" targetRef="Sub_1">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
        ${doi_tuong == "tre_em"}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_No" sourceRef="Gw_1" targetRef="End_No" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Sub_1" targetRef="End_1" />
    <bpmn:sequenceFlow id="Flow_T" sourceRef="Timer_1" targetRef="End_1" />
  </bpmn:process>
</bpmn:definitions>
"""


def line_of(needle: str) -> int:
    for number, text in enumerate(DIAGRAM.splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(needle)


@pytest.fixture(scope="module")
def doc() -> BpmnDocument:
    return read_bpmn(DIAGRAM.encode())


def test_process_and_properties(doc: BpmnDocument) -> None:
    (process,) = doc.processes
    assert (process.id, process.name, process.executable) == ("Proc_1", "Trợ cấp\nhàng tháng", True)
    assert process.line == line_of('id="Proc_1"')
    assert process.properties == {"procedure_code": "2.000286", "legal_working_days": "10"}
    assert list(process.nodes) == ["Start_1", "Task_ThamDinh", "Timer_1", "Gw_1", "Sub_1", "Sub_Start",
                                   "Script_1", "Sub_End", "End_1", "End_No"]
    assert list(process.flows) == ["Sub_F1", "Sub_F2", "Flow_1", "Flow_2", "Flow_Yes", "Flow_No", "Flow_3",
                                   "Flow_T"]


def test_nested_lanes_flattened_with_depth(doc: BpmnDocument) -> None:
    lanes = doc.processes[0].lanes
    assert lanes == [
        Lane("Lane_Huyen", "UBND cấp huyện", line_of('id="Lane_Huyen"'), "Proc_1",
             ["Task_ThamDinh", "Gw_1"], 0),
        Lane("Lane_Phong", "Phòng LĐ-TB&XH", line_of('id="Lane_Phong"'), "Proc_1", ["Task_ThamDinh"], 1),
        Lane("Lane_Xa", "UBND cấp xã", line_of('id="Lane_Xa"'), "Proc_1", ["Start_1"], 0),
    ]
    nodes = doc.processes[0].nodes
    assert nodes["Task_ThamDinh"].lane_id == "Lane_Phong"  # the innermost lane wins
    assert nodes["Gw_1"].lane_id == "Lane_Huyen"
    assert nodes["Start_1"].lane_id == "Lane_Xa"
    assert nodes["End_1"].lane_id is None


def test_start_event_form(doc: BpmnDocument) -> None:
    start = doc.processes[0].nodes["Start_1"]
    assert (start.kind, start.name, start.line) == ("startEvent", "Nhận\nhồ sơ", line_of('id="Start_1"'))
    assert start.documentation == "Bộ phận một cửa tiếp nhận."
    assert start.outgoing == ["Flow_1"] and start.incoming == []
    assert start.form == [
        FormField("ho_ten", "Họ và tên", "string", required=True,
                  constraints={"required": "", "maxlength": "100"}, line=line_of('id="ho_ten"')),
        FormField("doi_tuong", "Đối tượng", "enum",
                  enum_values=[("tre_em", "Trẻ em"), ("nguoi_cao_tuoi", "Người cao tuổi")],
                  default="tre_em", line=line_of('id="doi_tuong"')),
    ]


def test_task_timer_and_gateway(doc: BpmnDocument) -> None:
    nodes = doc.processes[0].nodes
    task = nodes["Task_ThamDinh"]
    assert task.properties == {"working_days": "7", "step_kind": "appraise"}
    assert (task.incoming, task.outgoing) == (["Flow_1"], ["Flow_2"])
    timer = nodes["Timer_1"]
    assert timer == FlowNode(
        id="Timer_1", kind="boundaryEvent", name="", line=line_of('id="Timer_1"'), process_id="Proc_1",
        outgoing=["Flow_T"], event_kinds=["timer"], timer="P6D", timer_kind="duration",
        attached_to="Task_ThamDinh", cancel_activity=False)
    gateway = nodes["Gw_1"]
    assert (gateway.kind, gateway.default_flow, gateway.outgoing) == ("exclusiveGateway", "Flow_No",
                                                                      ["Flow_Yes", "Flow_No"])
    assert nodes["End_No"].properties == {"outcome": "refused"}


def test_subprocess_contents(doc: BpmnDocument) -> None:
    nodes = doc.processes[0].nodes
    assert nodes["Sub_1"].kind == "subProcess" and nodes["Sub_1"].parent_id is None
    script = nodes["Script_1"]
    assert (script.parent_id, script.script, script.lane_id) == ("Sub_1", "so_tien = 360000 * 2", None)
    assert nodes["Sub_End"].event_kinds == ["terminate"]
    assert doc.processes[0].flows["Sub_F2"].process_id == "Proc_1"


def test_sequence_flows(doc: BpmnDocument) -> None:
    flows = doc.processes[0].flows
    assert flows["Flow_Yes"] == SequenceFlow("Flow_Yes", "Gw_1", "Sub_1", "Đạt", line_of('id="Flow_Yes"'),
                                             "Proc_1", condition='${doi_tuong == "tre_em"}')
    assert flows["Flow_No"].condition is None


def test_collaboration(doc: BpmnDocument) -> None:
    assert doc.participants == [
        Participant("Pool_CoQuan", "Cơ quan giải quyết", line_of('id="Pool_CoQuan"'), "Proc_1"),
        Participant("Pool_Dan", "Người dân", line_of('id="Pool_Dan"'), None),
    ]
    assert doc.message_flows == [MessageFlow("Msg_Nop", "Nộp hồ sơ", "Pool_Dan", "Start_1",
                                             line_of('id="Msg_Nop"'))]
    assert doc.process_of_participant("Pool_CoQuan") is doc.processes[0]
    assert doc.process_of_participant("Pool_Dan") is None
    assert doc.process_of_participant("Pool_X") is None
    node = doc.node("Script_1")
    assert node is not None and node.name == "Tính tiền"
    assert doc.node("Pool_Dan") is None


def test_prefixed_references_and_default_namespace() -> None:
    xml = b"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:tns="urn:x">
  <process id="p"><startEvent id="s"/><endEvent id="e"/>
  <sequenceFlow id="f" sourceRef="tns:s" targetRef="tns:e"/></process></definitions>"""
    (process,) = read_bpmn(xml).processes
    assert process.executable is False
    assert (process.flows["f"].source, process.flows["f"].target) == ("s", "e")
    assert process.nodes["e"].incoming == ["f"]


def test_not_bpmn_is_a_definition_error_with_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        read_bpmn(b'<?xml version="1.0"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/DI"/>')
    (problem,) = caught.value.problems
    assert problem.line == 2 and "Không phải tệp BPMN 2.0" in problem.message
    with pytest.raises(DefinitionError) as caught:
        read_bpmn(b"<a>\n<b></a>")
    assert caught.value.problems[0].line == 2


def test_reading_is_fast(doc: BpmnDocument) -> None:
    data = DIAGRAM.encode()
    read_bpmn(data)
    started = time.perf_counter()
    for _ in range(50):
        read_bpmn(data)
    # About 0.1 ms each on the reference machine; 5 ms leaves room for a loaded CI runner.
    assert (time.perf_counter() - started) / 50 < 0.005
