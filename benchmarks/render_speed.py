"""Flowchart render times: a 32-step, 5-lane Camunda diagram, cold (median of runs) and cached."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import flowchart
from engine.bpmn_model import read_bpmn

LANES = ["Bộ phận Một cửa", "Phòng Lao động – Thương binh và Xã hội", "UBND cấp xã",
         "Lãnh đạo Sở", "Bảo hiểm xã hội tỉnh"]
STEPS = 32
RUNS = 7
BUDGET_MS = 300.0


def diagram(steps: int = STEPS) -> bytes:
    """A Camunda diagram: start → ``steps`` user tasks hopping across 5 lanes → gateway → 2 ends."""
    refs: dict[int, list[str]] = {i: [] for i in range(len(LANES))}
    refs[0] += ["Start", "End", "Refused"]
    nodes = ['<bpmn:startEvent id="Start" name="Nộp hồ sơ"/>']
    flows = []
    previous = "Start"
    for i in range(steps):
        lane = (i * 3) % len(LANES)
        refs[lane].append(f"Task_{i}")
        name = f"Bước {i + 1}: xem xét, thẩm định hồ sơ đề nghị hỗ trợ chi phí mai táng"
        nodes.append(f'<bpmn:userTask id="Task_{i}" name={quoteattr(name)}><bpmn:extensionElements>'
                     '<camunda:properties><camunda:property name="working_days" value="0.5"/>'
                     "</camunda:properties></bpmn:extensionElements></bpmn:userTask>")
        flows.append(f'<bpmn:sequenceFlow id="F_{i}" sourceRef="{previous}" targetRef="Task_{i}"/>')
        previous = f"Task_{i}"
    refs[1].append("Gw")
    nodes += ['<bpmn:exclusiveGateway id="Gw" name="Hồ sơ đạt?" default="F_ok"/>',
              '<bpmn:endEvent id="End" name="Trả kết quả"/>', '<bpmn:endEvent id="Refused" name="Từ chối"/>']
    flows += [f'<bpmn:sequenceFlow id="F_gw" sourceRef="{previous}" targetRef="Gw"/>',
              '<bpmn:sequenceFlow id="F_ok" name="Đạt" sourceRef="Gw" targetRef="End"/>',
              '<bpmn:sequenceFlow id="F_no" name="Không đạt" sourceRef="Gw" targetRef="Refused"/>']
    lanes = "".join(f'<bpmn:lane id="L{i}" name={quoteattr(name)}>'
                    + "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs[i]) + "</bpmn:lane>"
                    for i, name in enumerate(LANES))
    return ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="urn:bench">'
            '<bpmn:process id="P" name="Thủ tục đo tốc độ" isExecutable="true"><bpmn:extensionElements>'
            '<camunda:properties><camunda:property name="legal_working_days" value="16"/>'
            '</camunda:properties></bpmn:extensionElements>'
            f'<bpmn:laneSet id="LS">{lanes}</bpmn:laneSet>{"".join(nodes)}{"".join(flows)}'
            "</bpmn:process></bpmn:definitions>").encode()


def timed(fn: object, runs: int) -> list[float]:
    """Milliseconds of each call."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    data = diagram()
    doc = read_bpmn(data)
    print(f"diagram: {STEPS} steps, {len(LANES)} lanes, {len(data)} bytes; {RUNS} runs each, median (min-max)")
    flowchart.render(doc, "svg")  # warm the OS file cache for graphviz and fonts
    svg_median = 0.0
    for fmt in flowchart.FORMATS:
        times = timed(lambda fmt=fmt: flowchart.render(doc, fmt), RUNS)
        median = statistics.median(times)
        if fmt == "svg":
            svg_median = median
        print(f"  cold render {fmt:4}: {median:7.1f} ms  ({min(times):.1f}-{max(times):.1f})")
    overlay = {f"Task_{i}": "completed" for i in range(10)} | {"Task_10": "current"}
    times = timed(lambda: flowchart.render(doc, "svg", overlay=overlay), RUNS)
    print(f"  cold render svg with overlay: {statistics.median(times):7.1f} ms")
    times = timed(lambda: (flowchart.clear_cache(), flowchart.render_bytes(data, "svg")), RUNS)
    print(f"  render_bytes svg, cache cleared (parse + render): {statistics.median(times):7.1f} ms")
    flowchart.render_bytes(data, "svg")
    times = timed(lambda: flowchart.render_bytes(data, "svg"), 200)
    print(f"  render_bytes svg, cached: {statistics.median(times) * 1000:7.1f} µs")
    verdict = "within" if svg_median < BUDGET_MS else "OVER"
    print(f"svg cold median {svg_median:.1f} ms: {verdict} the {BUDGET_MS:.0f} ms budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
