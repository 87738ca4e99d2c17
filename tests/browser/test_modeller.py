"""A new procedure from the modeller to the desk, in a real browser.

A designer draws a three-step procedure with two lanes picked from the registry, sees the
validator's marker on the step that has no working days, fixes it in the LienThong form, saves and
submits; the owning agency's leader reads the change summary (table and diagram) and approves it with
a decision number; a clerk receives a dossier on it.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine import approval, read_bpmn
from engine.runtime import Engine
from tests import kind_world
from tests.browser.test_journey import login, logout, shot
from tests.conftest import World

pytestmark = pytest.mark.browser

# bpmn-js parses its "powered by" lightbox (markup with style attributes) when it starts; the strict
# CSP (style-src 'self') refuses those two attributes, which is harmless: the lightbox is never shown.
CSP_STYLE_ATTR = "Applying inline style violates"

#: Draws what a designer drags from the palette: a second lane, three user tasks after the start
#: event (the third in the second lane) and an end event. The forms are then filled in the panel.
DRAW = """() => {
  const m = window.lienthongModeler, reg = m.get('elementRegistry'), modeling = m.get('modeling');
  const pool = reg.filter(e => e.type === 'bpmn:Participant')[0];
  modeling.addLane(reg.filter(e => e.type === 'bpmn:Lane')[0], 'bottom');
  const lanes = reg.filter(e => e.type === 'bpmn:Lane').sort((a, b) => a.y - b.y);
  const low = lanes[1].y + lanes[1].height / 2;
  const start = reg.filter(e => e.type === 'bpmn:StartEvent')[0];
  const t1 = modeling.appendShape(start, {type: 'bpmn:UserTask'}, {x: 380, y: 180}, pool);
  const t2 = modeling.appendShape(t1, {type: 'bpmn:UserTask'}, {x: 540, y: 180}, pool);
  const t3 = modeling.appendShape(t2, {type: 'bpmn:UserTask'}, {x: 700, y: low}, pool);
  modeling.appendShape(t3, {type: 'bpmn:EndEvent'}, {x: 860, y: low}, pool);
  modeling.updateLabel(t1, 'Tiếp nhận hồ sơ');
  modeling.updateLabel(t2, 'Kiểm tra, chuyển hồ sơ');
  modeling.updateLabel(t3, 'Thẩm định, quyết định');
  return {pool: pool.id, lanes: lanes.map(l => l.id), tasks: [t1.id, t2.id, t3.id]};
}"""


#: The properties panel commits a typed value 300 ms after the last key (its debounce).
PANEL_DEBOUNCE_MS = 400


def select(page: Any, element_id: str) -> None:
    """Click the element as the designer would (the panel then shows its forms), once the value typed
    last has been committed."""
    page.wait_for_timeout(PANEL_DEBOUNCE_MS)
    page.evaluate("id => { document.activeElement.blur(); const m = window.lienthongModeler; "
                  "m.get('selection').select(m.get('elementRegistry').get(id)); }", element_id)
    page.wait_for_function("id => window.lienthongModeler.get('selection').get()[0].id === id", arg=element_id)


def field(page: Any, entry: str) -> Any:
    return page.locator(f"#bio-properties-panel-{entry}")


def wait_validated(page: Any) -> None:
    """Wait until the messages on the canvas are those of the diagram as it now stands."""
    page.wait_for_timeout(PANEL_DEBOUNCE_MS)
    page.wait_for_selector("body[data-modeler-ready='1']:not([data-validating])")


def test_a_designed_procedure_is_approved_and_receives_dossiers(page: Any, server: tuple[str, Engine, World]) -> None:
    _, engine, _world = server
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and CSP_STYLE_ATTR not in m.text
            and not m.text.startswith("Failed to load resource") else None)

    login(page, "designer")
    page.goto("/designer")
    page.click("#new-procedure")
    page.wait_for_selector("body[data-modeler-ready='1']", timeout=30000)
    ids = page.evaluate(DRAW)
    pool, (desk_lane, division_lane), (t1, t2, t3) = ids["pool"], ids["lanes"], ids["tasks"]

    # The process's own fields, as forms on the pool.
    select(page, pool)
    field(page, "lienthong-procedure-code").fill("T.000900")
    field(page, "lienthong-legal-days").fill("5")
    field(page, "lienthong-owner-agency").select_option("PCM")
    # Each lane's agency, picked from the registry.
    select(page, desk_lane)
    field(page, "lienthong-agency").select_option("000.00.15.H12")
    select(page, division_lane)
    field(page, "lienthong-agency").select_option("PCM")
    # Working days and roles of two steps; the third is forgotten.
    for task, days, role in ((t1, "0.5", "clerk"), (t2, "1.5", "clerk")):
        select(page, task)
        field(page, "lienthong-working-days").fill(days)
        field(page, "lienthong-role").select_option(role)
    select(page, t3)
    field(page, "lienthong-role").select_option("officer")
    wait_validated(page)

    # The validator's message is on the canvas, on that step only.
    marker = page.locator(f".djs-overlays[data-container-id='{t3}'] .lt-badge-error")
    marker.wait_for()
    assert "working_days" in marker.get_attribute("title")
    assert page.locator(f"g.djs-element.lt-error[data-element-id='{t3}']").count() == 1
    assert page.locator(".lt-badge-error").count() == 1, page.locator("#modeler-problems").inner_text()
    shot(page, "modeler-marker")

    # Fixed in the step's form: the marker goes away.
    field(page, "lienthong-working-days").fill("3")
    wait_validated(page)
    page.wait_for_selector(f".djs-overlays[data-container-id='{t3}'] .lt-badge", state="detached")
    assert page.locator(".lt-badge").count() == 0
    assert page.locator("#modeler-problems").inner_text().strip() == "Không có lỗi."

    page.click("#modeler-save")
    page.wait_for_selector(".lt-status-ok:has-text('Đã lưu bản nháp')")
    assert "draft=" in page.url
    page.click("#modeler-submit")
    page.wait_for_selector(".lt-status-ok:has-text('Đã gửi duyệt')")
    assert "T.000900" in page.locator("#modeler-status").inner_text()
    assert [p.code for p in engine.procedures()] == ["T.000001"]  # nothing receivable before approval
    logout(page)

    # The owning agency's leader reads the change summary and approves.
    login(page, "lead_pcm")
    page.get_by_role("link", name="Duyệt quy trình").click()
    page.get_by_role("link", name="Xem thay đổi").click()
    changes = page.locator("#review-changes tbody tr")
    assert changes.count() == 3
    assert {changes.nth(i).get_attribute("data-change") for i in range(3)} == {"added"}
    assert "Phòng chuyên môn" in page.locator(f"#review-changes tr[data-element='{t3}']").inner_text()
    page.wait_for_selector("#review-new-diagram[data-ready='1']")
    assert page.locator("#review-new-diagram .lt-mark-added").count() == 3
    shot(page, "review-change")
    page.fill("#decision_number", "45/QĐ-UBND")
    page.fill("#decision_date", "2026-12-01")
    page.get_by_role("button", name="Phê duyệt và công bố").click()
    page.wait_for_selector(".flash.success")
    logout(page)

    # The clerk receives a dossier on the new procedure.
    login(page, "clerk")
    page.get_by_role("link", name="Tiếp nhận").click()
    page.select_option("#procedure-choice", "T.000900")
    page.get_by_role("button", name="Chọn").click()
    page.fill("#applicant_name", "Trần Văn Bình")
    page.fill("#applicant_id_number", "060190004321")
    page.get_by_role("button", name="Tiếp nhận và in giấy biên nhận").click()
    page.wait_for_selector(".receipt")
    code = page.locator(".dossier-code").inner_text().strip()
    assert engine.dossier(code).procedure_code == "T.000900"
    assert engine.procedure("T.000900").decision_number == "45/QĐ-UBND"

    # The dossier's diagram is drawn as designed. The desk's first step was done with the reception (one
    # reception); the open step is marked with its budget and due date.
    page.goto(f"/dossiers/{code}")
    page.wait_for_selector("#dossier-diagram[data-ready='1']")
    active = page.locator(f"#dossier-diagram .djs-overlays[data-container-id='{t2}'] .lt-mark-active")
    assert active.inner_text().startswith("1,5 ngày · hạn ")
    assert page.locator(f"#dossier-diagram g.djs-element.lt-state-active[data-element-id='{t2}']").count() == 1
    assert page.locator(f"#dossier-diagram g.djs-element.lt-state-done[data-element-id='{t1}']").count() == 1
    assert page.locator("#dossier-diagram .lt-mark-active").count() == 1
    shot(page, "dossier-diagram-bpmnjs")
    assert errors == []


def test_a_lane_picked_as_an_agency_kind_is_validated_and_saved(page: Any, server: tuple[str, Engine, World]) -> None:
    _, engine, _world = server
    kind_world.build(engine)
    login(page, "designer")
    page.goto("/designer/modeler")
    page.wait_for_selector("body[data-modeler-ready='1']", timeout=30000)
    ids = page.evaluate(DRAW)
    pool, (desk_lane, division_lane), tasks = ids["pool"], ids["lanes"], ids["tasks"]
    select(page, pool)
    field(page, "lienthong-procedure-code").fill("T.000901")
    field(page, "lienthong-legal-days").fill("3")
    field(page, "lienthong-owner-agency").select_option("PCM")

    # The picker offers the kinds, labelled as kinds, then the agencies.
    select(page, desk_lane)
    picker = field(page, "lienthong-agency")
    groups = picker.locator("optgroup")
    assert groups.count() == 2 and groups.nth(0).get_attribute("label").startswith("Loại cơ quan")
    assert groups.nth(0).locator("option[value='kind:ubnd_xa']").inner_text() == "Loại cơ quan: UBND cấp xã"
    assert groups.nth(1).locator("option[value='UBND.X01']").count() == 1
    picker.select_option("kind:ubnd_xa")
    select(page, division_lane)
    field(page, "lienthong-agency").select_option("PCM")
    for task in tasks:
        select(page, task)
        field(page, "lienthong-working-days").fill("1")
        field(page, "lienthong-role").select_option("officer")
    wait_validated(page)
    assert page.locator("#modeler-problems").inner_text().strip() == "Không có lỗi."

    # The lane carries the kind's name, which the engine resolves per dossier; the picker reads it back.
    name = "id => window.lienthongModeler.get('elementRegistry').get(id).businessObject.name"
    assert page.evaluate(name, desk_lane) == "UBND cấp xã"
    select(page, desk_lane)
    assert field(page, "lienthong-agency").input_value() == "kind:ubnd_xa"

    page.click("#modeler-save")
    page.wait_for_selector(".lt-status-ok:has-text('Đã lưu bản nháp')")
    draft_id = int(page.url.rsplit("draft=", 1)[1])
    lanes = [lane.name for p in read_bpmn(approval.draft(engine, draft_id).bpmn).processes for lane in p.lanes]
    assert lanes[0] == "UBND cấp xã"
