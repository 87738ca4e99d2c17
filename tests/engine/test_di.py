"""A diagram is drawn as designed only when its layout covers every node."""

from __future__ import annotations

import re

from engine.di import has_layout
from tests.conftest import DATA, ROOT


def test_the_shipped_diagrams_carry_their_layout():
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        assert has_layout(path.read_bytes()), path.name


def test_a_diagram_without_shapes_or_with_a_node_missing_has_none():
    assert not has_layout((DATA / "three_agencies.bpmn").read_bytes())  # written without a layout
    data = (ROOT / "workflows" / "mai_tang_phi.bpmn").read_bytes()
    one_missing = re.sub(rb'<bpmndi:BPMNShape id="[^"]*" bpmnElement="Task_tiep_nhan".*?</bpmndi:BPMNShape>', b"",
                         data, flags=re.S)
    assert one_missing != data and not has_layout(one_missing)
    assert not has_layout(b"<not xml")
