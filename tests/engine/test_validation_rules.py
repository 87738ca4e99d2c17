"""The validator on what Camunda diagrams carry and LienThong does not run, on loops no official
takes part in, and on the range of every number a diagram gives the engine."""

from __future__ import annotations

import pytest

from engine.problems import Problem, Severity
from tests.engine.test_validation import VALID, check, edit, errors, only_error


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.WARNING]


# --------------------------------------------------------------------------- extension ids


@pytest.mark.parametrize("extension", [
    '<camunda:property id="p1" name="step_kind" value="examine" />',  # a vendor's id, used twice below
    '<camunda:inputOutput><camunda:inputParameter name="a" id="p1">1</camunda:inputParameter></camunda:inputOutput>',
])
def test_ids_of_extension_elements_are_not_bpmn_ids(extension: str) -> None:
    xml = edit('<camunda:properties><camunda:property name="working_days" value="1" /></camunda:properties>',
               '<camunda:properties><camunda:property id="p1" name="working_days" value="1" />'
               '</camunda:properties>' + (extension if "inputOutput" in extension else ""))
    xml = edit('<camunda:properties><camunda:property name="working_days" value="0.5" /></camunda:properties>',
               '<camunda:properties><camunda:property name="working_days" value="0.5" />'
               + (extension if "property" in extension else "") + "</camunda:properties>", xml)
    assert errors(check(xml)) == []


@pytest.mark.parametrize("duplicate", ['<bpmn:endEvent id="Task_Ky" />', '<bpmn:task id="Flow_1" />'])
def test_duplicate_bpmn_ids_are_still_errors(duplicate: str) -> None:
    xml = edit('<bpmn:endEvent id="End_Late" name="Đã báo cáo" />',
               '<bpmn:endEvent id="End_Late" name="Đã báo cáo" />' + duplicate)
    assert any("bị trùng" in p.message for p in errors(check(xml)))


# --------------------------------------------------------------------------- scripts, services, lanes


@pytest.mark.parametrize("fmt", ["groovy", "javascript", "JavaScript"])
def test_other_script_languages_are_not_supported_rather_than_syntax_errors(fmt: str) -> None:
    xml = edit('scriptFormat="python"', f'scriptFormat="{fmt}"')
    xml = edit('<bpmn:script>muc_ho_tro = 7200000 if loai_doi_tuong == "bao_tro" else 0</bpmn:script>',
               "<bpmn:script>def muc = loai == 'bao_tro' ? 7200000 : 0; execution.setVariable('muc', muc)"
               "</bpmn:script>", xml)
    problem = only_error(xml)
    assert problem.element == "Script_Muc"
    assert f"«{fmt}»" in problem.message and "không được hỗ trợ" in problem.message
    assert "syntax" not in problem.message and "Cú pháp" not in problem.message


@pytest.mark.parametrize("kind", ["serviceTask", "sendTask"])
def test_a_service_task_error_suggests_the_alternative(kind: str) -> None:
    xml = edit('<bpmn:userTask id="Task_BaoCao" name="Báo cáo chậm">', f'<bpmn:{kind} id="Task_BaoCao" '
               'name="Báo cáo chậm" camunda:class="vn.Report">')
    xml = edit("</bpmn:userTask>\n    <bpmn:userTask id=\"Task_TuChoi\"", f"</bpmn:{kind}>\n    "
               '<bpmn:userTask id="Task_TuChoi"', xml)
    problem = only_error(xml)
    assert problem.element == "Task_BaoCao" and "userTask" in problem.message and "scriptTask" in problem.message


@pytest.mark.parametrize("agencies", [None, "registry"])
def test_a_process_without_lanes_is_an_error(agencies) -> None:
    from tests.engine.test_validation import AGENCIES

    start, end = VALID.index("    <bpmn:laneSet"), VALID.index("</bpmn:laneSet>") + len("</bpmn:laneSet>\n")
    problem = only_error(VALID[:start] + VALID[end:], AGENCIES if agencies else None)
    assert problem.element == "Proc_MaiTang" and "không có làn" in problem.message


# --------------------------------------------------------------------------- Camunda attributes


@pytest.mark.parametrize(("attribute", "instead"), [
    ('camunda:formKey="embedded:app:forms/ky.html"', "camunda:formData"),
    ('camunda:assignee="${initiator}"', "làn"),
])
def test_camunda_attributes_the_engine_ignores_are_warned_about(attribute: str, instead: str) -> None:
    xml = edit('<bpmn:userTask id="Task_Ky" name="Quyết định hỗ trợ">',
               f'<bpmn:userTask id="Task_Ky" name="Quyết định hỗ trợ" {attribute}>')
    problems = check(xml)
    assert errors(problems) == []
    found = [p for p in warnings(problems) if p.element == "Task_Ky"]
    assert len(found) == 1 and instead in found[0].message and "bị bỏ qua" in found[0].message


@pytest.mark.parametrize("groups", ["leader", "officer"])
def test_candidate_groups_naming_a_role_is_how_lienthong_reads_them(groups: str) -> None:
    xml = edit('<bpmn:userTask id="Task_Ky" name="Quyết định hỗ trợ">',
               f'<bpmn:userTask id="Task_Ky" name="Quyết định hỗ trợ" camunda:candidateGroups="{groups}">')
    assert not [p for p in check(xml) if p.element == "Task_Ky"]


@pytest.mark.parametrize("groups", ["ke_toan, leader", "clerk, officer"])
def test_candidate_groups_other_than_one_role_are_an_error_naming_the_roles(groups: str) -> None:
    xml = edit('<bpmn:userTask id="Task_Ky" name="Quyết định hỗ trợ">',
               f'<bpmn:userTask id="Task_Ky" name="Quyết định hỗ trợ" camunda:candidateGroups="{groups}">')
    found = [p for p in errors(check(xml)) if p.element == "Task_Ky"]
    assert len(found) == 1 and "clerk, officer, leader" in found[0].message


# --------------------------------------------------------------------------- loops no official takes part in


def _loop_back(xml: str, source: str, target: str) -> str:
    """Turn ``source``'s default flow back to ``target`` (the gateway's default)."""
    return edit('<bpmn:sequenceFlow id="Flow_8" sourceRef="Task_TuChoi" targetRef="End_Refused" />',
                '<bpmn:sequenceFlow id="Flow_8" sourceRef="Task_TuChoi" targetRef="End_Refused" />'
                f'<bpmn:sequenceFlow id="Flow_Back" sourceRef="{source}" targetRef="{target}" />', xml)


def test_calc_then_gateway_defaulting_back_to_calc_is_warned_about() -> None:
    # Script_Muc → Gw_Loop: «done» goes on to the signature, the default goes back to the script.
    xml = edit('<bpmn:sequenceFlow id="Flow_4" sourceRef="Script_Muc" targetRef="Task_Ky" />',
               '<bpmn:sequenceFlow id="Flow_4" sourceRef="Script_Muc" targetRef="Gw_Loop" />'
               '<bpmn:sequenceFlow id="Flow_Done" sourceRef="Gw_Loop" targetRef="Task_Ky">'
               '<bpmn:conditionExpression>muc_ho_tro &gt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>')
    xml = edit('<bpmn:userTask id="Task_Ky"', '<bpmn:exclusiveGateway id="Gw_Loop" name="Tính xong?" '
               'default="Flow_Back" />\n    <bpmn:userTask id="Task_Ky"', xml)
    xml = edit("<bpmn:flowNodeRef>Task_Ky</bpmn:flowNodeRef>",
               "<bpmn:flowNodeRef>Gw_Loop</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Ky</bpmn:flowNodeRef>", xml)
    xml = _loop_back(xml, "Gw_Loop", "Script_Muc")
    problems = check(xml)
    assert errors(problems) == [], [p.format() for p in errors(problems)]
    loops = [p for p in warnings(problems) if "Vòng lặp" in p.message]
    assert len(loops) == 1 and loops[0].element == "Script_Muc"
    assert "«Tính mức hỗ trợ»" in loops[0].message or "Tính mức hỗ trợ" in loops[0].message


def test_a_gateway_looping_on_itself_is_warned_about_and_a_loop_through_a_step_is_not() -> None:
    own = _loop_back(VALID.replace('default="Flow_KhongDat"', 'default="Flow_KhongDat"'), "Gateway_KQ", "Gateway_KQ")
    assert [p.element for p in warnings(check(own)) if "Vòng lặp" in p.message] == ["Gateway_KQ"]
    # Back from the refusal letter to the examination: an official acts on each round, no warning.
    through_step = _loop_back(VALID, "Task_TuChoi", "Task_ThamDinh")
    assert not [p for p in check(through_step) if "Vòng lặp" in p.message]


# --------------------------------------------------------------------------- ranges of numbers


@pytest.mark.parametrize("days", ["1000000", "3000000", "3650.5"])
def test_limits_above_3650_working_days_are_errors(days: str) -> None:
    xml = edit('<camunda:property name="legal_working_days" value="5" />',
               f'<camunda:property name="legal_working_days" value="{days}" />')
    found = [p for p in errors(check(xml)) if "3.650" in p.message]
    assert len(found) == 1 and found[0].element == "Proc_MaiTang" and f"«{days}»" in found[0].message


@pytest.mark.parametrize("days", ["1000000", "3000000"])
def test_step_budgets_above_3650_working_days_are_errors(days: str) -> None:
    xml = edit('name="working_days" value="1"', f'name="working_days" value="{days}"')
    assert any(p.element == "Task_Ky" and "3.650" in p.message for p in errors(check(xml)))


@pytest.mark.parametrize(("timer", "word"), [
    ("<bpmn:timeDuration>P1000000D</bpmn:timeDuration>", "3.650"),
    ("<bpmn:timeDuration>PT3000000000H</bpmn:timeDuration>", "3.650"),
    ("<bpmn:timeDate>9999-12-31T23:59:00+07:00</bpmn:timeDate>", "2000–2100"),
    ("<bpmn:timeDate>0001-01-01T00:00:00</bpmn:timeDate>", "2000–2100"),
])
def test_timers_out_of_range_are_errors(timer: str, word: str) -> None:
    xml = edit("<bpmn:timeDuration>PT4H</bpmn:timeDuration>", timer)
    assert any(p.element == "Timer_Nhac" and word in p.message for p in errors(check(xml)))


@pytest.mark.parametrize(("loop", "word"), [
    ('<bpmn:standardLoopCharacteristics loopMaximum="1000000" />', "loopMaximum"),
    ('<bpmn:standardLoopCharacteristics loopMaximum="0" />', "loopMaximum"),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3000000</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", "loopCardinality"),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>1000000</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", "loopCardinality"),
])
def test_loop_bounds_and_cardinality_out_of_range_are_errors(loop: str, word: str) -> None:
    xml = edit('<bpmn:userTask id="Task_BaoCao" name="Báo cáo chậm">',
               f'<bpmn:userTask id="Task_BaoCao" name="Báo cáo chậm">{loop}')
    assert any(p.element == "Task_BaoCao" and word in p.message for p in errors(check(xml)))
