"""Diagrams of other projects (SpiffWorkflow's tests, camunda-bpm-examples) render, or fail in one line.

Each file of tests/data/foreign/ (sources and licences in its README) is drawn diagram by diagram:
either every drawing is an SVG, or the renderer raises an engine error whose message is one line.
Any other exception is a renderer bug.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import flowchart
from engine.bpmn_model import read_bpmn
from engine.errors import LienThongError
from tests.conftest import DATA

FOREIGN = DATA / "foreign"
FILES = sorted(FOREIGN.glob("*/*.bpmn"))


def test_the_copies_are_there():
    assert len(list((FOREIGN / "spiffworkflow").glob("*.bpmn"))) == 116
    assert len(list((FOREIGN / "camunda-bpm-examples").glob("*.bpmn"))) == 54


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_renders_or_fails_with_one_line(path: Path):
    try:
        doc = read_bpmn(path.read_bytes())
        for index in range(flowchart.diagram_count(doc)):
            assert flowchart.render(doc, "svg", diagram=index).lstrip().startswith(b"<?xml")
    except LienThongError as exc:
        message = str(exc)
        assert message and "\n" not in message.strip() and "Traceback" not in message
