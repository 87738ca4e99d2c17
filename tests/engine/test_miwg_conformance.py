"""The 21 BPMN MIWG reference models, written by other tools, are read and validated without a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn_model import read_bpmn
from engine.paths import dead_end_nodes, enumerate_paths, main_path, unreachable_nodes
from engine.problems import Problem, Severity
from engine.validation import validate_bpmn
from tests.conftest import DATA

MIWG = DATA / "miwg"
FILES = sorted(MIWG.glob("*.bpmn"))
IDS = [f.stem for f in FILES]


def test_all_reference_models_are_there() -> None:
    assert len(FILES) == 21


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_read(path: Path) -> None:
    doc = read_bpmn(path.read_bytes())
    assert doc.processes
    for process in doc.processes:
        assert process.id
        for node in process.nodes.values():
            assert node.id and node.line > 0 and node.process_id == process.id
        for flow in process.flows.values():
            assert flow.line > 0
        for lane in process.lanes:
            assert set(lane.node_ids) <= set(process.nodes)
        report = enumerate_paths(process)
        assert report.paths or not any(n.kind == "endEvent" for n in process.nodes.values())
        for p in report.paths:
            assert process.nodes[p.node_ids[0]].kind == "startEvent"
            assert process.nodes[p.end_id].kind == "endEvent"
        main_path(process, report)
        assert set(unreachable_nodes(process)) <= set(process.nodes)
        assert set(dead_end_nodes(process)) <= set(process.nodes)
    for participant in doc.participants:
        if participant.process_id is not None:
            assert doc.process_of_participant(participant.id) is not None


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_validate(path: Path) -> None:
    data = path.read_bytes()
    problems = validate_bpmn(data, [], file=path.name)
    assert all(isinstance(p, Problem) for p in problems)
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    doc = read_bpmn(data)
    by_element: dict[str | None, list[Problem]] = {}
    for problem in problems:
        assert problem.message and problem.file == path.name
        by_element.setdefault(problem.element, []).append(problem)
    for process in doc.processes:
        mine = by_element.get(process.id, [])
        if not process.executable:
            assert any(p.severity is Severity.WARNING and "không chạy được" in p.message for p in mine)
            continue
        # Executable models from other tools lack the procedure's metadata: said plainly, on the process.
        assert any(p.is_error and "procedure_code" in p.message for p in mine)
        assert any(p.is_error and "legal_working_days" in p.message for p in mine)
        for node in process.nodes.values():
            for p in by_element.get(node.id, []):
                assert p.line == node.line


def test_clear_messages_for_executable_models() -> None:
    problems = validate_bpmn((MIWG / "C.1.1.bpmn").read_bytes(), [], file="C.1.1.bpmn")
    text = "\n".join(p.format() for p in problems)
    # The invoice model's service task and its lanes' missing budgets are named with their ids.
    assert "không thực thi được (the engine cannot execute serviceTask)" in text
    assert "ERROR [approveInvoice] Bước «Approve Invoice» thiếu thời gian xử lý working_days" in text


def test_executable_count() -> None:
    executable = sum(p.executable for f in FILES for p in read_bpmn(f.read_bytes()).processes)
    assert executable == 7
