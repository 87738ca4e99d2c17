"""The published step table: rows in main-path order, times, totals, CSV and HTML escaping."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from engine.bpmn_model import read_bpmn
from engine.steptable import HEADINGS, format_duration, step_rows, to_csv, to_html, total_days

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:t">
  <bpmn:process id="p" name="Hỗ trợ chi phí mai táng" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="UBND cấp xã"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>refuse</bpmn:flowNodeRef><bpmn:flowNodeRef>receive</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gw</bpmn:flowNodeRef><bpmn:flowNodeRef>e_no</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="Phòng LĐ-TB&amp;XH"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l3" name="Chủ tịch UBND huyện"><bpmn:flowNodeRef>decide</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="refuse" name="Trả lại hồ sơ &lt;b&gt;không hợp lệ&lt;/b&gt;">
      <bpmn:documentation>Mẫu 03 – Phiếu từ chối
dòng thứ hai</bpmn:documentation>
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="working_days" value="0.25"/></camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="receive" name="Tiếp nhận, chuyển hồ sơ">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="working_days" value="2"/>
        <camunda:property name="result" value="Mẫu 01; =HYPERLINK(&quot;x&quot;)"/></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f_ok"/>
    <bpmn:userTask id="review" name="Thẩm định hồ sơ">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="working_days" value="2.5"/></camunda:properties>
        <camunda:formData><camunda:formField id="a" label="Ý kiến thẩm định" type="string"/>
          <camunda:formField id="b" label="Tờ trình" type="string"/></camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="decide" name="Ra quyết định hỗ trợ">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="working_days" value="0.5"/></camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:endEvent id="e_no"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="outcome" value="refused"/></camunda:properties></bpmn:extensionElements>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="receive"/>
    <bpmn:sequenceFlow id="f2" sourceRef="receive" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_ok" sourceRef="gw" targetRef="review"/>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="refuse"/>
    <bpmn:sequenceFlow id="f3" sourceRef="refuse" targetRef="e_no"/>
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="decide"/>
    <bpmn:sequenceFlow id="f5" sourceRef="decide" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture(scope="module")
def process():
    return read_bpmn(DIAGRAM).processes[0]


@pytest.fixture(scope="module")
def rows(process):
    return step_rows(process)


def test_main_path_first_then_other_steps_in_document_order(rows):
    assert [r.element_id for r in rows] == ["receive", "review", "decide", "refuse"]
    assert [r.number for r in rows] == [1, 2, 3, 4]
    assert [r.on_main_path for r in rows] == [True, True, True, False]


def test_row_contents(rows):
    receive, review, decide, refuse = rows
    assert receive.work == "Tiếp nhận, chuyển hồ sơ"
    assert receive.responsible == "UBND cấp xã"
    assert receive.time == "2 ngày"
    assert receive.result == 'Mẫu 01; =HYPERLINK("x")'
    assert review.time == "2,5 ngày (20 giờ)"
    assert review.result == "Ý kiến thẩm định, Tờ trình"
    assert review.responsible == "Phòng LĐ-TB&XH"
    assert decide.time == "0,5 ngày (04 giờ)"
    assert refuse.time == "0,25 ngày (02 giờ)"
    assert refuse.result == "Mẫu 03 – Phiếu từ chối"


def test_agency_names_fill_the_responsible_column(process):
    rows = step_rows(process, {"Chủ tịch UBND huyện": "Ủy ban nhân dân huyện Tuy Phong"})
    assert rows[2].responsible == "Ủy ban nhân dân huyện Tuy Phong"
    assert rows[0].responsible == "UBND cấp xã"


def test_total_counts_the_main_path_only(rows):
    assert total_days(rows) == Decimal("5")
    assert total_days([r for r in rows if not r.on_main_path]) == Decimal("0.25")


@pytest.mark.parametrize(("days", "text"), [
    ("1", "1 ngày"), ("13", "13 ngày"), ("10", "10 ngày"), ("0.5", "0,5 ngày (04 giờ)"),
    ("0.50", "0,5 ngày (04 giờ)"), ("1.5", "1,5 ngày (12 giờ)"), ("0.1", "0,1 ngày (0,8 giờ)"),
])
def test_format_duration(days, text):
    assert format_duration(Decimal(days)) == text


def test_csv_has_vietnamese_header_rows_total_and_defuses_formulas(rows):
    text = to_csv(rows)
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == HEADINGS
    assert table[1][:4] == ["1", "Tiếp nhận, chuyển hồ sơ", "UBND cấp xã", "2 ngày"]
    assert table[-1][1:4] == ["Tổng thời gian", "", "5 ngày"]
    assert len(table) == len(rows) + 2
    assert not to_csv(rows).startswith("\ufeff")
    assert to_csv(rows, bom=True).startswith("\ufeff")
    evil = rows[0].__class__(1, "x", "=cmd|' /C calc'!A0", "", "", "")
    assert list(csv.reader(io.StringIO(to_csv([evil]))))[1][1] == "'=cmd|' /C calc'!A0"


def test_html_is_escaped_and_classed(rows):
    page = to_html(rows, caption="Quy trình <nội bộ>")
    assert '<table class="step-table">' in page
    assert "<caption>Quy trình &lt;nội bộ&gt;</caption>" in page
    assert "Trả lại hồ sơ &lt;b&gt;không hợp lệ&lt;/b&gt;" in page
    assert "<b>" not in page
    assert "Phòng LĐ-TB&amp;XH" in page
    assert '=HYPERLINK(&quot;x&quot;)' in page
    assert page.count('class="step-row main-path"') == 3
    assert page.count('class="step-row"') == 1
    assert '<tr class="step-total">' in page and "5 ngày" in page.split("step-total")[1]
    for heading in HEADINGS:
        assert heading in page
