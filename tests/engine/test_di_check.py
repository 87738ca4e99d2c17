"""The layout rules (docs/modelling.md): the shipped procedures and an imported step table keep them,
and the check finds each kind of breach a modeller would see."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from engine.di_check import layout_defects, task_name_fits, wrap
from engine.steptable_import import import_table
from tests.conftest import DATA, ROOT

WORKFLOWS = sorted((ROOT / "workflows").glob("*.bpmn"))
NS = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
SAMPLE = ROOT / "workflows" / "mai_tang_phi.bpmn"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_a_shipped_diagram_keeps_every_layout_rule(path):
    assert [str(d) for d in layout_defects(path.read_bytes())] == []


@pytest.mark.parametrize("table", ["mai_tang_phi.csv", "mai_tang_phi.xlsx"])
def test_an_imported_step_table_keeps_every_layout_rule(table: str):
    data = import_table((DATA / "steptable" / table).read_bytes(), table, code="1.001731",
                        name="Hỗ trợ chi phí mai táng", legal_days=Decimal(5))
    assert [str(d) for d in layout_defects(data)] == []


def _edit(change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(SAMPLE.read_bytes())
    change(root)
    return etree.tostring(root)


def _di(root: etree._Element, element: str) -> etree._Element:
    return root.xpath(f"//*[@bpmnElement='{element}']")[0]


def _set(box: etree._Element, **values: float) -> None:
    for key, value in values.items():
        box.set(key, str(value))


def _rules(data: bytes) -> set[str]:
    return {d.rule for d in layout_defects(data)}


def test_a_flow_label_moved_onto_a_task_is_a_label_on_a_node():
    def change(root: etree._Element) -> None:
        task = _di(root, "Task_tiep_nhan").find("dc:Bounds", NS)
        label = _di(root, "Flow_Gateway_tham_dinh_Task_phong_trinh").find("bpmndi:BPMNLabel/dc:Bounds", NS)
        _set(label, x=float(task.get("x")) + 10, y=float(task.get("y")) + 10)
    found = layout_defects(_edit(change))
    assert [d.elements for d in found if d.rule == "label_on_node"] == [
        ("Flow_Gateway_tham_dinh_Task_phong_trinh", "Task_tiep_nhan")]


def test_a_flow_drawn_across_a_task_goes_through_a_node():
    def change(root: etree._Element) -> None:  # the first step's flow runs on over the next task
        points = _di(root, "Flow_Task_tiep_nhan_Task_xa_xac_minh").findall("di:waypoint", NS)
        points[1].set("x", "1200")
    found = layout_defects(_edit(change))
    assert [d.elements for d in found if d.rule == "edge_through_node"] == [
        ("Flow_Task_tiep_nhan_Task_xa_xac_minh", "Task_xa_chuyen")]  # its own target does not count


def test_two_flows_on_the_same_stretch_share_a_segment():
    def change(root: etree._Element) -> None:
        one = _di(root, "Flow_Task_tiep_nhan_Task_xa_xac_minh")
        other = _di(root, "Flow_Task_xa_xac_minh_Task_xa_chuyen")
        for old, new in zip(other.findall("di:waypoint", NS), one.findall("di:waypoint", NS), strict=True):
            _set(old, x=float(new.get("x")), y=float(new.get("y")))
    assert "shared_segment" in _rules(_edit(change))


def test_a_label_laid_across_a_flow_and_on_another_label_is_found():
    def change(root: etree._Element) -> None:
        points = _di(root, "Flow_Task_tiep_nhan_Task_xa_xac_minh").findall("di:waypoint", NS)
        label = _di(root, "Gateway_tham_dinh").find("bpmndi:BPMNLabel/dc:Bounds", NS)
        _set(label, x=(float(points[0].get("x")) + float(points[1].get("x"))) / 2 - 20,
             y=float(points[0].get("y")) - 10)
        other = _di(root, "Flow_Gateway_tham_dinh_Task_phong_trinh").find("bpmndi:BPMNLabel/dc:Bounds", NS)
        _set(other, x=float(label.get("x")) + 5, y=float(label.get("y")) + 2)
    assert {"edge_through_label", "label_on_label"} <= _rules(_edit(change))


def test_a_task_too_small_for_its_name_and_a_cramped_label_do_not_fit():
    def change(root: etree._Element) -> None:
        _set(_di(root, "Task_tiep_nhan").find("dc:Bounds", NS), width=60, height=40)
        _set(_di(root, "Gateway_tham_dinh").find("bpmndi:BPMNLabel/dc:Bounds", NS), width=30, height=12)
    found = {d.elements[0] for d in layout_defects(_edit(change)) if d.rule == "name_does_not_fit"}
    assert found == {"Task_tiep_nhan", "Gateway_tham_dinh"}


def test_names_wrap_at_words_and_long_names_need_larger_tasks():
    assert wrap("Tiếp nhận, kiểm tra thành phần hồ sơ", 90, 6.2) == ["Tiếp nhận,", "kiểm tra thành", "phần hồ sơ"]
    name = "Hội đồng xét duyệt chuyển biên bản và hồ sơ sang Phòng Văn hóa – Xã hội"
    assert not task_name_fits(name, 100, 80) and task_name_fits(name, 160, 100)
