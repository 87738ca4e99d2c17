"""The flowchart renderer: bands in lane order, labels, formats, overlay, escaping."""

from __future__ import annotations

import re
import unicodedata
from xml.sax.saxutils import escape, quoteattr

import pytest
from lxml import etree

from engine import flowchart
from engine.bpmn_model import read_bpmn
from engine.errors import InvalidInput

SVG = "{http://www.w3.org/2000/svg}"

LANES = ["Bộ phận Một cửa", "Phòng Bảo trợ xã hội", "Lãnh đạo Sở"]


def diagram(lanes: list[str], steps: list[tuple[str, int, str]], *, name: str = "Hỗ trợ chi phí mai táng",
            lane_order: list[int] | None = None) -> bytes:
    """A Camunda diagram: start → steps (name, lane index, working days) → gateway → two ends.

    ``lane_order`` lists lane indexes in the order the steps visit them first, to make the visiting
    order differ from the document order.
    """
    refs: dict[int, list[str]] = {i: [] for i in range(len(lanes))}
    refs[0] += ["Start", "End", "EndRefused"]
    nodes = ['<bpmn:startEvent id="Start" name="Nộp hồ sơ"/>']
    flows: list[str] = []
    previous = "Start"
    for i, (step, lane, days) in enumerate(steps):
        refs[lane].append(f"Task_{i}")
        nodes.append(
            f'<bpmn:userTask id="Task_{i}" name={quoteattr(step)}><bpmn:extensionElements>'
            f'<camunda:properties><camunda:property name="working_days" value="{days}"/>'
            "</camunda:properties></bpmn:extensionElements></bpmn:userTask>")
        flows.append(f'<bpmn:sequenceFlow id="Flow_{i}" sourceRef="{previous}" targetRef="Task_{i}"/>')
        previous = f"Task_{i}"
    refs[len(lanes) - 1].append("Gateway")
    nodes.append('<bpmn:exclusiveGateway id="Gateway" name="Đạt?" default="Flow_ok"/>')
    nodes.append('<bpmn:endEvent id="End" name="Trả kết quả"/>')
    nodes.append('<bpmn:endEvent id="EndRefused" name="Từ chối"/>')
    flows.append(f'<bpmn:sequenceFlow id="Flow_gw" sourceRef="{previous}" targetRef="Gateway"/>')
    flows.append('<bpmn:sequenceFlow id="Flow_ok" name="Đạt" sourceRef="Gateway" targetRef="End"/>')
    flows.append('<bpmn:sequenceFlow id="Flow_no" name="Không đạt" sourceRef="Gateway" targetRef="EndRefused">'
                 '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">not approved'
                 "</bpmn:conditionExpression></bpmn:sequenceFlow>")
    lane_xml = "".join(
        f'<bpmn:lane id="Lane_{i}" name={quoteattr(lane)}>'
        + "".join(f"<bpmn:flowNodeRef>{escape(ref)}</bpmn:flowNodeRef>" for ref in refs[i]) + "</bpmn:lane>"
        for i, lane in enumerate(lanes))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" targetNamespace="urn:test">'
        f'<bpmn:process id="Proc" name={quoteattr(name)} isExecutable="true">'
        '<bpmn:extensionElements><camunda:properties>'
        '<camunda:property name="procedure_code" value="1.001731"/>'
        '<camunda:property name="legal_working_days" value="5"/>'
        '<camunda:property name="reduced_working_days" value="4,5"/>'
        "</camunda:properties></bpmn:extensionElements>"
        f'<bpmn:laneSet id="LaneSet">{lane_xml}</bpmn:laneSet>'
        + "".join(nodes) + "".join(flows) + "</bpmn:process></bpmn:definitions>"
    ).encode()


# The steps visit the lanes out of document order (third lane before the second), the order a
# crossing-minimising layout would prefer to stack them in.
STEPS = [("Tiếp nhận hồ sơ", 0, "0.5"), ("Lãnh đạo phân công", 2, "0.5"),
         ("Thẩm định hồ sơ", 1, "3"), ("Ký quyết định", 2, "1")]


def svg_tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def texts(root: etree._Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def band_label_ys(root: etree._Element) -> dict[str, float]:
    """Vertical position of each band's header text, by text."""
    out: dict[str, float] = {}
    for group in root.iter(SVG + "g"):
        if "band" in (group.get("class") or "").split():
            text_el = next(group.iter(SVG + "text"))
            label = " ".join("".join(t.itertext()) for t in group.iter(SVG + "text"))
            out[label] = float(text_el.get("y", "0"))
    return out


@pytest.fixture(scope="module")
def doc():
    return read_bpmn(diagram(LANES, STEPS))


@pytest.fixture(scope="module")
def svg(doc) -> bytes:
    return flowchart.render(doc, "svg")


def test_svg_has_every_lane_and_step_with_budget(svg):
    all_text = " ".join(texts(svg_tree(svg)))
    for lane in LANES:
        assert lane in all_text
    for step, _, _ in STEPS:
        assert step in all_text
    for budget in ("0,5 ngày", "3 ngày", "1 ngày"):
        assert budget in all_text


def test_bands_follow_document_lane_order(svg):
    ys = band_label_ys(svg_tree(svg))
    positions = [ys[lane] for lane in LANES]
    assert positions == sorted(positions), ys  # svg y grows downwards: first lane on top


def test_lane_order_holds_whichever_order_the_flow_visits_lanes():
    reordered = [LANES[2], LANES[0], LANES[1]]
    steps = [(name, {0: 1, 1: 2, 2: 0}[lane], days) for name, lane, days in STEPS]
    ys = band_label_ys(svg_tree(flowchart.render(read_bpmn(diagram(reordered, steps)), "svg")))
    positions = [ys[lane] for lane in reordered]
    assert positions == sorted(positions), ys


def test_steps_sit_inside_their_lane_band(svg):
    root = svg_tree(svg)
    ys = band_label_ys(root)
    centre = {}
    for group in root.iter(SVG + "g"):
        if (group.get("id") or "").startswith("bpmn-Task_"):
            centre[group.get("id")] = float(next(group.iter(SVG + "text")).get("y", "0"))
    lane_rank = sorted(ys[lane] for lane in LANES)
    for index, (_, lane, _) in enumerate(STEPS):
        y = centre[f"bpmn-Task_{index}"]
        nearest = min(range(len(LANES)), key=lambda i: abs(lane_rank[i] - y))
        assert nearest == lane, (index, y, ys)


def test_header_shows_code_and_limits(svg):
    all_text = " ".join(texts(svg_tree(svg)))
    assert "Hỗ trợ chi phí mai táng" in all_text
    assert "Mã thủ tục: 1.001731" in all_text
    assert "5 ngày làm việc" in all_text
    assert "4,5 ngày làm việc" in all_text
    assert "Tổng thời gian các bước: 5 ngày làm việc" in all_text


def test_header_for_reads_process_properties(doc):
    header = flowchart.header_for(doc.processes[0])
    assert header.code == "1.001731"
    assert str(header.legal_working_days) == "5"
    assert str(header.reduced_working_days) == "4.5"
    assert header.main_path_total is not None and header.main_path_total == 5


def test_gateway_default_flow_and_condition_labels(svg):
    all_text = " ".join(texts(svg_tree(svg)))
    assert "×" in all_text
    assert "(mặc định)" in all_text
    assert "Không đạt" in all_text


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF-")])
def test_binary_formats_start_with_their_magic(doc, fmt, magic):
    assert flowchart.render(doc, fmt).startswith(magic)


def test_dot_format_returns_positioned_source(doc):
    source = flowchart.render(doc, "dot").decode()
    assert source.startswith("digraph")
    assert "pos=" in source and "Thẩm định hồ sơ" in source


def test_unknown_format_is_refused(doc):
    with pytest.raises(InvalidInput):
        flowchart.render(doc, "gif")


def test_vietnamese_name_survives_exactly_in_nfc():
    name = unicodedata.normalize("NFC", "Xác nhận hộ nghèo, cận nghèo ở xã Đắk Ơ")
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    steps = [(decomposed, 0, "1"), ("Ký", 1, "1"), ("Trả", 2, "1")]
    all_text = texts(svg_tree(flowchart.render(read_bpmn(diagram(LANES, steps)), "svg")))
    joined = " ".join(all_text)
    assert any(name.split(",")[0] in t for t in all_text), all_text
    assert unicodedata.normalize("NFC", joined) == joined


def test_overlay_colours_elements_and_adds_legend(doc):
    overlay = {"Task_0": "completed", "Task_1": "late", "Task_2": "current", "Flow_0": "completed"}
    plain = flowchart.render(doc, "svg")
    coloured = flowchart.render(doc, "svg", overlay=overlay)
    root = svg_tree(coloured)
    groups = {g.get("id"): g for g in root.iter(SVG + "g")}
    for element, state in overlay.items():
        prefix = "flow-" if element.startswith("Flow") else "bpmn-"
        group = groups[prefix + element]
        assert state in group.get("class", "").split()
        style = flowchart.OVERLAY_STYLES[state]
        colours = {el.get("fill") for el in group.iter()} | {el.get("stroke") for el in group.iter()}
        assert style.border in colours
    legend = " ".join(texts(root))
    assert "Chú giải" in legend
    for style in flowchart.OVERLAY_STYLES.values():
        assert style.label in legend
    assert b"Ch\xc3\xba gi\xe1\xba\xa3i" not in plain
    assert flowchart.OVERLAY_STYLES["late"].fill.encode() not in plain


def test_overlay_with_unknown_state_is_refused(doc):
    with pytest.raises(InvalidInput):
        flowchart.render(doc, "svg", overlay={"Task_0": "done"})


def test_injected_markup_is_escaped():
    evil = '<script>alert(1)</script> & "quotes" \\N \'x\''
    steps = [(evil, 0, "1"), ("Ký", 1, "1"), ("Trả", 2, "1")]
    lanes = ["<b>Làn</b> & co", LANES[1], LANES[2]]
    out = flowchart.render(read_bpmn(diagram(lanes, steps, name="<img src=x onerror=alert(1)>")), "svg")
    assert b"<script" not in out
    assert b"<img" not in out and b"<b>" not in out
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in out
    root = svg_tree(out)  # still well-formed XML
    joined = "".join(texts(root)).replace(" ", "")
    assert evil.replace(" ", "") in joined
    assert "<b>Làn</b>&co" in joined


def test_agency_names_replace_lane_names(doc):
    out = flowchart.render(doc, "svg", agency_names={"Lãnh đạo Sở": "Sở Lao động – Thương binh và Xã hội"})
    joined = " ".join(texts(svg_tree(out)))
    assert "Sở Lao động" in joined
    assert "Lãnh đạo Sở" not in " ".join(band_label_ys(svg_tree(out)))


def test_pool_without_lanes_and_message_flows_between_pools():
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="urn:t">
  <collaboration id="c">
    <participant id="P1" name="C\xc3\xb4ng d\xc3\xa2n" processRef="A"/>
    <participant id="P2" name="UBND x\xc3\xa3" processRef="B"/>
    <participant id="P3" name="C\xc3\xb4ng an"/>
    <messageFlow id="m1" name="H\xe1\xbb\x93 s\xc6\xa1" sourceRef="a2" targetRef="b1"/>
    <messageFlow id="m2" name="Tra c\xe1\xbb\xa9u" sourceRef="b2" targetRef="P3"/>
  </collaboration>
  <process id="A"><startEvent id="a1"/><sendTask id="a2" name="G\xe1\xbb\xadi"/><endEvent id="a3"/>
    <sequenceFlow id="fa1" sourceRef="a1" targetRef="a2"/><sequenceFlow id="fa2" sourceRef="a2" targetRef="a3"/>
  </process>
  <process id="B"><startEvent id="b1"><messageEventDefinition/></startEvent>
    <task id="b2" name="X\xe1\xbb\xad l\xc3\xbd"/>
    <endEvent id="b3"/>
    <sequenceFlow id="fb1" sourceRef="b1" targetRef="b2"/><sequenceFlow id="fb2" sourceRef="b2" targetRef="b3"/>
  </process>
</definitions>"""
    root = svg_tree(flowchart.render(read_bpmn(data), "svg"))
    ys = band_label_ys(root)
    assert [ys["Công dân"], ys["UBND xã"], ys["Công an"]] == sorted(ys.values())
    groups = {g.get("id"): g for g in root.iter(SVG + "g")}
    for message in ("message-m1", "message-m2"):
        path = next(groups[message].iter(SVG + "path"))
        assert path.get("stroke-dasharray")


def test_subprocess_is_a_cluster_and_boundary_event_sits_beside_its_activity():
    data = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="urn:t">
  <process id="p"><laneSet id="ls"><lane id="l1" name="Làn"><flowNodeRef>s</flowNodeRef>
    <flowNodeRef>sp</flowNodeRef><flowNodeRef>t</flowNodeRef><flowNodeRef>e</flowNodeRef></lane></laneSet>
    <startEvent id="s"/>
    <subProcess id="sp" name="Xử lý liên thông"><startEvent id="ss"/><task id="inner" name="Bước con"/>
      <endEvent id="se"/><sequenceFlow id="i1" sourceRef="ss" targetRef="inner"/>
      <sequenceFlow id="i2" sourceRef="inner" targetRef="se"/></subProcess>
    <userTask id="t" name="Duyệt"/>
    <boundaryEvent id="b" name="Quá 3 ngày" attachedToRef="t"><timerEventDefinition>
      <timeDuration>P3D</timeDuration></timerEventDefinition></boundaryEvent>
    <endEvent id="e"/><endEvent id="e2"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="sp"/><sequenceFlow id="f2" sourceRef="sp" targetRef="t"/>
    <sequenceFlow id="f3" sourceRef="t" targetRef="e"/><sequenceFlow id="f4" sourceRef="b" targetRef="e2"/>
  </process>
</definitions>""".encode()
    root = svg_tree(flowchart.render(read_bpmn(data), "svg"))
    joined = " ".join(texts(root))
    assert "Xử lý liên thông" in joined and "Bước con" in joined
    assert "⏱" in joined
    groups = {g.get("id"): g for g in root.iter(SVG + "g")}
    task = next(groups["bpmn-t"].iter(SVG + "path"))
    xs = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", task.get("d", ""))[0::2]]
    timer = next(groups["bpmn-b"].iter(SVG + "ellipse"))
    assert min(xs) - 5 <= float(timer.get("cx", "0")) <= max(xs) + 5


def test_thirty_steps_render():
    lanes = [f"Cơ quan {i}" for i in range(5)]
    steps = [(f"Bước {i}: xem xét và thẩm định hồ sơ đề nghị trợ cấp", (i * 3) % 5, "0.5") for i in range(32)]
    out = flowchart.render(read_bpmn(diagram(lanes, steps)), "svg")
    joined = " ".join(texts(svg_tree(out)))
    for i in range(32):
        assert f"Bước {i}:" in joined


def test_render_bytes_caches_by_content(monkeypatch):
    flowchart.clear_cache()
    data = diagram(LANES, STEPS)
    first = flowchart.render_bytes(data, "svg")
    calls: list[object] = []
    monkeypatch.setattr(flowchart, "render", lambda *a, **k: calls.append(a) or b"")
    assert flowchart.render_bytes(data, "svg") == first
    assert calls == []
    flowchart.render_bytes(data, "svg", overlay={"Task_0": "current"})
    flowchart.render_bytes(data + b" ", "svg")
    assert len(calls) == 2
    flowchart.clear_cache()


def test_render_files_writes_outputs_and_reports_one_line_errors(tmp_path):
    good = tmp_path / "good.bpmn"
    good.write_bytes(diagram(LANES, STEPS))
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes(b"<definitions><process id='p'><task id='t'></process>")
    other = tmp_path / "other.bpmn"
    other.write_bytes(b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>")
    missing = tmp_path / "missing.bpmn"
    out = tmp_path / "out"
    failures = flowchart.render_files([good, broken, other, missing], out, ["svg", "pdf"])
    assert (out / "good.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert (out / "good.pdf").read_bytes().startswith(b"%PDF-")
    assert not (out / "broken.svg").exists()
    assert len(failures) == 3
    for failure, path in zip(failures, [broken, other, missing], strict=True):
        assert failure.startswith(f"{path}: ERROR ")
        assert "\n" not in failure and "Traceback" not in failure
