"""The designer's validator: a valid 3-lane diagram passes, each broken copy fails where it should."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from pathlib import Path as FilePath

import pytest

from engine.bpmn_model import read_bpmn
from engine.paths import (
    enumerate_paths,
    main_path,
    parse_duration,
    path_name,
    unreachable_nodes,
)
from engine.problems import Problem, Severity
from engine.validation import AgencyRef, lane_agency, validate_bpmn, validate_file

AGENCIES = [
    AgencyRef("XA.001", "UBND cấp xã"),
    AgencyRef("H.LDTBXH", "Phòng LĐ-TB&XH huyện"),
    AgencyRef("H.UBND", "Lãnh đạo UBND huyện"),
]

VALID = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_1" targetNamespace="http://lienthong.vn/bpmn">
  <bpmn:process id="Proc_MaiTang" name="Hỗ trợ chi phí mai táng" isExecutable="true">
    <bpmn:extensionElements>
      <camunda:properties>
        <camunda:property name="procedure_code" value="1.001731" />
        <camunda:property name="legal_working_days" value="5" />
      </camunda:properties>
    </bpmn:extensionElements>
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_Xa" name="UBND cấp xã">
        <bpmn:flowNodeRef>Start_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_TiepNhan</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_Phong" name="Phòng LĐ-TB&amp;XH huyện">
        <bpmn:flowNodeRef>Task_ThamDinh</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Gateway_KQ</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_TuChoi</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_Refused</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_LanhDao" name="Lãnh đạo UBND huyện">
        <bpmn:flowNodeRef>Script_Muc</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_Ky</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Timer_Nhac</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_BaoCao</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_Late</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_Done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_1" name="Nộp hồ sơ">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="ho_ten" label="Họ tên người chết" type="string" />
          <camunda:formField id="loai_doi_tuong" label="Loại đối tượng" type="enum">
            <camunda:value id="bao_tro" name="Bảo trợ xã hội" />
            <camunda:value id="nguoi_co_cong" name="Người có công" />
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:userTask id="Task_TiepNhan" name="Tiếp nhận và chuyển hồ sơ">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="working_days" value="2" /></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="Task_ThamDinh" name="Thẩm định hồ sơ">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="working_days" value="2" /></camunda:properties>
        <camunda:formData>
          <camunda:formField id="ket_qua" label="Kết quả thẩm định" type="enum">
            <camunda:value id="dat" name="Đạt" />
            <camunda:value id="khong_dat" name="Không đạt" />
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_KQ" name="Kết quả?" default="Flow_KhongDat" />
    <bpmn:scriptTask id="Script_Muc" name="Tính mức hỗ trợ" scriptFormat="python">
      <bpmn:script>muc_ho_tro = 7200000 if loai_doi_tuong == "bao_tro" else 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="Task_Ky" name="Quyết định hỗ trợ">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="working_days" value="1" /></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="Timer_Nhac" name="Sắp hết hạn" attachedToRef="Task_Ky" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="Task_BaoCao" name="Báo cáo chậm">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="working_days" value="0" /></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="Task_TuChoi" name="Trả lời từ chối">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="working_days" value="0.5" /></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="End_Done" name="Đã hỗ trợ">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="outcome" value="granted" /></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:endEvent>
    <bpmn:endEvent id="End_Late" name="Đã báo cáo" />
    <bpmn:endEvent id="End_Refused" name="Từ chối">
      <bpmn:extensionElements>
        <camunda:properties><camunda:property name="outcome" value="refused" /></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_TiepNhan" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_TiepNhan" targetRef="Task_ThamDinh" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_ThamDinh" targetRef="Gateway_KQ" />
    <bpmn:sequenceFlow id="Flow_Dat" name="Đạt" sourceRef="Gateway_KQ" targetRef="Script_Muc">
      <bpmn:conditionExpression>ket_qua == "dat"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_KhongDat" name="Không đạt" sourceRef="Gateway_KQ" targetRef="Task_TuChoi" />
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Script_Muc" targetRef="Task_Ky" />
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Task_Ky" targetRef="End_Done" />
    <bpmn:sequenceFlow id="Flow_6" sourceRef="Timer_Nhac" targetRef="Task_BaoCao" />
    <bpmn:sequenceFlow id="Flow_7" sourceRef="Task_BaoCao" targetRef="End_Late" />
    <bpmn:sequenceFlow id="Flow_8" sourceRef="Task_TuChoi" targetRef="End_Refused" />
  </bpmn:process>
</bpmn:definitions>
"""


ONE_DAY = ('<bpmn:extensionElements><camunda:properties><camunda:property name="working_days" value="1" />'
           "</camunda:properties></bpmn:extensionElements>")


def line_of(xml: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, text in enumerate(xml.splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in diagram")


def edit(old: str, new: str, xml: str = VALID) -> str:
    assert xml.count(old) == 1, old
    return xml.replace(old, new)


def check(xml: str, agencies: list[AgencyRef] | None = AGENCIES) -> list[Problem]:
    return validate_bpmn(xml.encode(), agencies, file="thu_tuc.bpmn")


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def only_error(xml: str, agencies: list[AgencyRef] | None = AGENCIES) -> Problem:
    found = errors(check(xml, agencies))
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def test_valid_three_lane_diagram_has_no_problem() -> None:
    problems = check(VALID)
    assert problems == [], [p.format() for p in problems]


def test_unbound_lane() -> None:
    xml = edit('name="Lãnh đạo UBND huyện"', 'name="Ban Giám đốc"')
    problem = only_error(xml)
    assert problem.element == "Lane_LanhDao"
    assert problem.line == line_of(xml, 'id="Lane_LanhDao"')
    assert "«Ban Giám đốc»" in problem.message and "không ứng với cơ quan hay loại cơ quan nào" in problem.message
    assert problem.format() == f"thu_tuc.bpmn:{problem.line}: ERROR [Lane_LanhDao] {problem.message}"
    # Without an agency registry, lanes are not judged.
    assert errors(check(xml, None)) == []


def test_unknown_lane_lists_the_kinds_and_agencies_it_could_be() -> None:
    xml = edit('name="Lãnh đạo UBND huyện"', 'name="UBND cap xa"')
    refs = [*AGENCIES, AgencyRef("ubnd_xa", "UBND cấp xã nơi ở", kind=True)]
    problem = only_error(xml, refs)
    assert "có thể là:" in problem.message
    assert "«UBND cấp xã nơi ở» (loại cơ quan)" in problem.message and "«UBND cấp xã»" in problem.message
    # A lane naming the kind itself binds.
    assert errors(check(edit('name="Lãnh đạo UBND huyện"', 'name="ubnd_XA"'), refs)) == []


def test_lane_binding_ignores_case_spacing_and_unicode_form() -> None:
    decomposed = unicodedata.normalize("NFD", "  lãnh   đạo UBND HUYỆN ")
    assert lane_agency(decomposed, AGENCIES) == AGENCIES[2]
    assert lane_agency("h.ldtbxh", AGENCIES) == AGENCIES[1]
    assert lane_agency("Lãnh đạo UBND", AGENCIES) is None
    assert lane_agency("   ", AGENCIES) is None


def test_missing_working_days() -> None:
    xml = edit('<camunda:properties><camunda:property name="working_days" value="2" /></camunda:properties>\n'
               '        <camunda:formData>', '<camunda:formData>')
    problem = only_error(xml)
    assert problem.element == "Task_ThamDinh"
    assert problem.line == line_of(xml, 'id="Task_ThamDinh"')
    assert "thiếu thời gian xử lý working_days" in problem.message


@pytest.mark.parametrize("value", ["hai", "-1", "NaN"])
def test_bad_working_days(value: str) -> None:
    xml = edit('name="working_days" value="1"', f'name="working_days" value="{value}"')
    problem = only_error(xml)
    assert problem.element == "Task_Ky"
    assert problem.line == line_of(xml, 'id="Task_Ky"')
    assert f"«{value}»" in problem.message


def test_path_over_the_legal_limit() -> None:
    tail = '</camunda:properties>\n        <camunda:formData>'
    xml = edit(f'<camunda:property name="working_days" value="2" />{tail}',
               f'<camunda:property name="working_days" value="4" />{tail}')
    found = errors(check(xml))
    # 2 + 4 + 1 = 7 on the granted path and on the late-report branch; 2 + 4 + 0.5 = 6.5 on refusal.
    assert len(found) == 3, [p.format() for p in found]
    assert {p.element for p in found} == {"Proc_MaiTang"}
    assert all(p.line == line_of(xml, 'id="Proc_MaiTang"') for p in found)
    granted = next(p for p in found if "Quyết định hỗ trợ»" in p.message)
    assert ("«Tiếp nhận và chuyển hồ sơ → Thẩm định hồ sơ → Tính mức hỗ trợ → Quyết định hỗ trợ»"
            in granted.message)
    assert "tổng 7 ngày" in granted.message and "thời hạn luật định 5 ngày" in granted.message
    assert any("tổng 6,5 ngày" in p.message for p in found)


def test_path_over_the_reduced_limit() -> None:
    xml = edit('<camunda:property name="legal_working_days" value="5" />',
               '<camunda:property name="legal_working_days" value="5" />\n'
               '        <camunda:property name="reduced_working_days" value="4,5" />')
    found = errors(check(xml))
    assert len(found) == 2, [p.format() for p in found]
    assert all("tổng 5 ngày" in p.message and "thời hạn rút gọn" in p.message and "4,5 ngày" in p.message
               for p in found)


def test_process_properties_required() -> None:
    xml = edit('<camunda:property name="procedure_code" value="1.001731" />', "")
    xml = edit('<camunda:property name="legal_working_days" value="5" />',
               '<camunda:property name="legal_working_days" value="0" />\n'
               '        <camunda:property name="reduced_working_days" value="6" />', xml)
    found = errors(check(xml))
    assert {p.element for p in found} == {"Proc_MaiTang"}
    messages = " | ".join(p.message for p in found)
    assert "procedure_code" in messages and "legal_working_days «0»" in messages
    xml = edit('<camunda:property name="legal_working_days" value="5" />',
               '<camunda:property name="reduced_working_days" value="6" />')
    messages = " | ".join(p.message for p in errors(check(xml)))
    assert "thiếu thời hạn luật định legal_working_days" in messages


def test_reduced_limit_above_legal() -> None:
    xml = edit('<camunda:property name="legal_working_days" value="5" />',
               '<camunda:property name="legal_working_days" value="5" />\n'
               '        <camunda:property name="reduced_working_days" value="6" />')
    problem = only_error(xml)
    assert problem.element == "Proc_MaiTang" and "lớn hơn thời hạn luật định" in problem.message


def test_unreachable_node() -> None:
    xml = edit('    <bpmn:endEvent id="End_Late"',
               '    <bpmn:userTask id="Task_Orphan" name="Bước mồ côi">\n'
               f"      {ONE_DAY}\n"
               '    </bpmn:userTask>\n'
               '    <bpmn:sequenceFlow id="Flow_Orphan" sourceRef="Task_Orphan" targetRef="End_Done" />\n'
               '    <bpmn:endEvent id="End_Late"')
    problem = only_error(xml, None)
    assert problem.element == "Task_Orphan"
    assert problem.line == line_of(xml, 'id="Task_Orphan"')
    assert "«Bước mồ côi» không thể đến được từ sự kiện bắt đầu" in problem.message


def test_dead_end() -> None:
    xml = edit('    <bpmn:endEvent id="End_Late"',
               '    <bpmn:userTask id="Task_Dead" name="Yêu cầu bổ sung">\n'
               f"      {ONE_DAY}\n"
               '    </bpmn:userTask>\n'
               '    <bpmn:sequenceFlow id="Flow_Dead" sourceRef="Gateway_KQ" targetRef="Task_Dead">\n'
               '      <bpmn:conditionExpression>ket_qua == "bo_sung"</bpmn:conditionExpression>\n'
               '    </bpmn:sequenceFlow>\n'
               '    <bpmn:endEvent id="End_Late"')
    problem = only_error(xml, None)
    assert problem.element == "Task_Dead"
    assert problem.line == line_of(xml, 'id="Task_Dead"')
    assert "Từ «Yêu cầu bổ sung» không thể đi tới sự kiện kết thúc" in problem.message


def test_gateway_without_condition_or_default() -> None:
    xml = edit(' default="Flow_KhongDat"', "")
    problem = only_error(xml)
    assert problem.element == "Gateway_KQ"
    assert problem.line == line_of(xml, 'id="Gateway_KQ"')
    assert "luồng Flow_KhongDat không có điều kiện và không phải luồng mặc định" in problem.message


def test_condition_with_undefined_variable() -> None:
    xml = edit('ket_qua == "dat"', 'ket_qua_tham_dinh == "dat"')
    problem = only_error(xml)
    assert problem.element == "Flow_Dat"
    assert problem.line == line_of(xml, 'id="Flow_Dat"')
    assert "biến «ket_qua_tham_dinh»" in problem.message


def test_condition_may_use_a_variable_set_by_a_script_upstream() -> None:
    xml = edit('<bpmn:sequenceFlow id="Flow_5" sourceRef="Task_Ky" targetRef="End_Done" />',
               '<bpmn:sequenceFlow id="Flow_5" sourceRef="Task_Ky" targetRef="End_Done">\n'
               '      <bpmn:conditionExpression>muc_ho_tro &gt; 0</bpmn:conditionExpression>\n'
               '    </bpmn:sequenceFlow>')
    assert errors(check(xml)) == []
    # The same variable is not set before the gateway that decides on appraisal.
    xml = edit('ket_qua == "dat"', 'muc_ho_tro &gt; 0')
    problem = only_error(xml)
    assert problem.element == "Flow_Dat" and "«muc_ho_tro»" in problem.message


def test_juel_conditions_are_accepted_and_checked() -> None:
    assert errors(check(edit('ket_qua == "dat"', '${ket_qua == "dat"}'))) == []
    problem = only_error(edit('ket_qua == "dat"', "${approved == true}"))
    assert problem.element == "Flow_Dat" and "«approved»" in problem.message


def test_condition_refused_by_the_sandbox() -> None:
    xml = edit('ket_qua == "dat"', "__import__('os').system('id') == 0")
    problem = only_error(xml)
    assert problem.element == "Flow_Dat"
    assert problem.line == line_of(xml, 'id="Flow_Dat"')
    assert "bị từ chối" in problem.message


def test_script_refused_by_the_sandbox() -> None:
    xml = edit('muc_ho_tro = 7200000 if loai_doi_tuong == "bao_tro" else 0',
               "muc_ho_tro = ().__class__.__base__.__subclasses__()")
    problem = only_error(xml)
    assert problem.element == "Script_Muc" and "Script của «Tính mức hỗ trợ» bị từ chối" in problem.message


def test_unsupported_element() -> None:
    xml = edit('<bpmn:userTask id="Task_Ky" name="Quyết định hỗ trợ">', '<bpmn:serviceTask id="Task_Ky" '
               'name="Quyết định hỗ trợ">')
    xml = edit("</bpmn:userTask>\n    <bpmn:boundaryEvent",
               "</bpmn:serviceTask>\n    <bpmn:boundaryEvent", xml)
    problem = only_error(xml)
    assert problem.element == "Task_Ky"
    assert problem.line == line_of(xml, 'id="Task_Ky"')
    assert problem.message.startswith("«Quyết định hỗ trợ» không thực thi được "
                                      "(the engine cannot execute serviceTask); hãy dùng userTask")
    assert "scriptTask (Python)" in problem.message  # the alternative is suggested


def test_message_boundary_event_is_unsupported() -> None:
    xml = edit("<bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration>"
               "</bpmn:timerEventDefinition>", '<bpmn:messageEventDefinition id="Msg_Def" />')
    problem = only_error(xml)
    assert problem.element == "Timer_Nhac"
    assert "(the engine cannot execute boundaryEvent (message))" in problem.message


def test_unreadable_timer_duration() -> None:
    problem = only_error(edit("<bpmn:timeDuration>PT4H</bpmn:timeDuration>",
                              "<bpmn:timeDuration>bốn giờ</bpmn:timeDuration>"))
    assert problem.element == "Timer_Nhac" and "«bốn giờ»" in problem.message


def test_non_executable_process_gives_one_warning_only() -> None:
    xml = edit('isExecutable="true"', 'isExecutable="false"')
    xml = edit(' default="Flow_KhongDat"', "", xml)
    xml = edit('<camunda:property name="procedure_code" value="1.001731" />', "", xml)
    problems = check(xml)
    assert len(problems) == 1
    (problem,) = problems
    assert problem.severity is Severity.WARNING
    assert problem.element == "Proc_MaiTang"
    assert problem.line == line_of(xml, 'id="Proc_MaiTang"')
    assert "có thể công bố nhưng không chạy được" in problem.message


def test_duplicate_id_and_unknown_flow_target() -> None:
    xml = edit('<bpmn:endEvent id="End_Late" name="Đã báo cáo" />',
               '<bpmn:endEvent id="End_Done" name="Trùng" />')
    found = errors(check(xml))
    dup = [p for p in found if "bị trùng" in p.message]
    assert len(dup) == 1 and dup[0].element == "End_Done"
    assert dup[0].line == line_of(xml, 'name="Trùng"')
    unknown = [p for p in found if "không phải phần tử nào" in p.message]
    assert [(p.element, p.line) for p in unknown] == [("Flow_7", line_of(xml, 'id="Flow_7"'))]
    assert "«End_Late»" in unknown[0].message


def test_problems_sorted_by_line() -> None:
    xml = edit('name="Lãnh đạo UBND huyện"', 'name="Ban Giám đốc"')
    xml = edit(' default="Flow_KhongDat"', "", xml)
    xml = edit('<camunda:property name="procedure_code" value="1.001731" />', "", xml)
    lines = [p.line for p in check(xml)]
    assert len(lines) == 3 and lines == sorted(lines)


def test_spiffworkflow_rejection_becomes_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

    def refuse(self: CamundaParser, process_id: str) -> None:
        raise ValidationException("Invalid something", id="Task_BaoCao", tag="bpmn:userTask")

    monkeypatch.setattr(CamundaParser, "get_spec", refuse)
    problem = only_error(VALID)
    assert problem.element == "Task_BaoCao"
    assert problem.line == line_of(VALID, 'id="Task_BaoCao"')
    assert "SpiffWorkflow" in problem.message and "Invalid something" in problem.message


def test_malformed_xml_gives_one_error_with_its_line() -> None:
    xml = edit('<bpmn:endEvent id="End_Late" name="Đã báo cáo" />', '<bpmn:endEvent id="End_Late" name="x">')
    problems = check(xml)
    assert len(problems) == 1
    assert problems[0].is_error and problems[0].line > 0 and "XML không hợp lệ" in problems[0].message
    assert "không khớp" in problems[0].message and "mismatch" not in problems[0].message  # said in Vietnamese


def test_entity_bomb_is_refused() -> None:
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
            b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</definitions>')
    problems = validate_bpmn(bomb)
    assert len(problems) == 1 and problems[0].is_error and "DOCTYPE" in problems[0].message
    xxe = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
           b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</definitions>')
    assert [p.is_error for p in validate_bpmn(xxe)] == [True]


def test_not_bpmn_root() -> None:
    problems = validate_bpmn(b'<?xml version="1.0"?>\n\n<definitions xmlns="http://example.com/other"/>')
    assert len(problems) == 1
    assert problems[0].is_error and problems[0].line == 3 and "Không phải tệp BPMN 2.0" in problems[0].message


@pytest.mark.parametrize("data", [b"", b"   ", b"\x00\xff garbage", "<not bytes>", b"<a>" * 10])
def test_garbage_never_raises(data: bytes) -> None:
    problems = validate_bpmn(data)
    assert problems and all(p.is_error for p in problems)


def test_huge_file_is_refused() -> None:
    data = VALID.encode().replace(b"</bpmn:definitions>", b"<!--" + b"x" * (3 * 1024 * 1024) + b"-->"
                                  b"</bpmn:definitions>")
    (problem,) = validate_bpmn(data)
    assert problem.is_error and "quá lớn" in problem.message


def test_validate_file(tmp_path: FilePath) -> None:
    target = tmp_path / "thu_tuc.bpmn"
    target.write_text(edit(' default="Flow_KhongDat"', ""), encoding="utf-8")
    (problem,) = validate_file(target, AGENCIES)
    assert problem.format().startswith(f"{target}:{problem.line}: ERROR [Gateway_KQ] ")
    (missing,) = validate_file(tmp_path / "nope.bpmn")
    assert missing.is_error and "Không đọc được tệp" in missing.message


# -- path analysis (engine.paths) -------------------------------------------------------------

def test_parse_duration_as_working_days() -> None:
    assert parse_duration("P2D") == Decimal(2)
    assert parse_duration("PT4H") == Decimal("0.5")
    assert parse_duration('"P1W"') == Decimal(5)
    assert parse_duration("P1DT2H") == Decimal("1.25")
    assert parse_duration("PT4H", hours_per_day=Decimal(4)) == Decimal(1)
    for unreadable in ("P1M", "P1Y", "P", "PT", "2 ngày", "", None):
        assert parse_duration(unreadable) is None


def test_paths_and_main_path() -> None:
    process = read_bpmn(VALID.encode()).processes[0]
    report = enumerate_paths(process)
    assert not report.truncated
    budgets = {p.end_id: p.budget for p in report.paths}
    assert budgets == {"End_Done": Decimal(5), "End_Late": Decimal(5), "End_Refused": Decimal("4.5")}
    late = next(p for p in report.paths if p.end_id == "End_Late")
    assert late.node_ids[-4:] == ("Task_Ky", "Timer_Nhac", "Task_BaoCao", "End_Late")
    best = main_path(process)
    assert best is not None and best.end_id == "End_Done"  # same total as End_Late, fewer nodes
    assert path_name(process, best) == ("Tiếp nhận và chuyển hồ sơ → Thẩm định hồ sơ → Tính mức hỗ trợ → "
                                        "Quyết định hỗ trợ")
    assert unreachable_nodes(process) == []


def test_intermediate_timer_counts_and_refused_ends_are_not_main() -> None:
    xml = edit('<bpmn:sequenceFlow id="Flow_8" sourceRef="Task_TuChoi" targetRef="End_Refused" />',
               '<bpmn:sequenceFlow id="Flow_8" sourceRef="Task_TuChoi" targetRef="Wait_1" />\n'
               '    <bpmn:intermediateCatchEvent id="Wait_1" name="Chờ niêm yết">\n'
               '      <bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration>'
               '</bpmn:timerEventDefinition>\n'
               '    </bpmn:intermediateCatchEvent>\n'
               '    <bpmn:sequenceFlow id="Flow_9" sourceRef="Wait_1" targetRef="End_Refused" />')
    process = read_bpmn(xml.encode()).processes[0]
    refused = next(p for p in enumerate_paths(process).paths if p.end_id == "End_Refused")
    assert refused.budget == Decimal("7.5")
    best = main_path(process)
    assert best is not None and best.end_id == "End_Done"
    problem = only_error(xml)
    assert "Chờ niêm yết»" in problem.message and "tổng 7,5 ngày" in problem.message


def test_path_enumeration_is_bounded() -> None:
    # 14 diamonds in a row: 2**14 paths, more than the limit.
    parts = ['<bpmn:startEvent id="s" />']
    prev = "s"
    for i in range(14):
        parts.append(f'<bpmn:parallelGateway id="g{i}" /><bpmn:task id="a{i}" /><bpmn:task id="b{i}" />'
                     f'<bpmn:parallelGateway id="j{i}" />'
                     f'<bpmn:sequenceFlow id="f{i}0" sourceRef="{prev}" targetRef="g{i}" />'
                     f'<bpmn:sequenceFlow id="f{i}1" sourceRef="g{i}" targetRef="a{i}" />'
                     f'<bpmn:sequenceFlow id="f{i}2" sourceRef="g{i}" targetRef="b{i}" />'
                     f'<bpmn:sequenceFlow id="f{i}3" sourceRef="a{i}" targetRef="j{i}" />'
                     f'<bpmn:sequenceFlow id="f{i}4" sourceRef="b{i}" targetRef="j{i}" />')
        prev = f"j{i}"
    parts.append(f'<bpmn:endEvent id="e" /><bpmn:sequenceFlow id="fe" sourceRef="{prev}" targetRef="e" />')
    xml = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
           f'<bpmn:process id="p">{"".join(parts)}</bpmn:process></bpmn:definitions>')
    process = read_bpmn(xml.encode()).processes[0]
    report = enumerate_paths(process, limit=1000)
    assert report.truncated and len(report.paths) == 1000
    assert len(enumerate_paths(process, limit=20000).paths) == 2**14


def test_paths_enter_embedded_subprocesses() -> None:
    xml = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"><bpmn:process id="p" isExecutable="true">
  <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub" />
  <bpmn:subProcess id="sub" name="Cấp huyện">
    <bpmn:startEvent id="s2" /><bpmn:sequenceFlow id="f2" sourceRef="s2" targetRef="t" />
    <bpmn:userTask id="t" name="Thẩm định"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="working_days" value="3" /></camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e2" /><bpmn:endEvent id="e2" />
  </bpmn:subProcess>
  <bpmn:sequenceFlow id="f4" sourceRef="sub" targetRef="e" /><bpmn:endEvent id="e" />
</bpmn:process></bpmn:definitions>"""
    process = read_bpmn(xml.encode()).processes[0]
    (path,) = enumerate_paths(process).paths
    assert path.node_ids == ("s", "sub", "s2", "t", "e2", "e")
    assert path.budget == Decimal(3)
    assert path_name(process, path) == "Cấp huyện → Thẩm định"


def test_main_path_below_the_limit_is_a_warning() -> None:
    xml = edit('<camunda:property name="legal_working_days" value="5" />',
               '<camunda:property name="legal_working_days" value="6" />')
    (problem,) = check(xml)
    assert problem.severity is Severity.WARNING and problem.element == "Proc_MaiTang"
    assert "đường chính «Tiếp nhận và chuyển hồ sơ → Thẩm định hồ sơ → Tính mức hỗ trợ → Quyết định hỗ trợ»" \
        in problem.message
    assert "là 5 ngày, ít hơn thời hạn luật định 6 ngày" in problem.message
