"""A procedure code belongs to the process it was first published with."""

from __future__ import annotations

from engine.procedure_identity import process_conflict
from tests.conftest import DATA


def test_another_process_id_with_a_published_code_is_a_conflict(engine, world):
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn")
    with engine.Session() as session:
        assert process_conflict(session, "T.000001", "Process_test") is None  # a new version of the same process
        assert process_conflict(session, "T.999999", "Process_other") is None  # a new procedure
        problem = process_conflict(session, "T.000001", "Process_other", line=7)
    assert problem is not None and problem.is_error
    assert (problem.element, problem.line) == ("Process_other", 7)
    assert "«T.000001»" in problem.message and "«Process_test»" in problem.message


def test_deploy_refuses_another_process_under_a_published_code_and_keeps_the_versions(engine, world):
    import pytest

    from engine.errors import DefinitionError

    data = (DATA / "three_agencies.bpmn").read_bytes()
    engine.deploy(data, filename="t.bpmn")
    other = data.replace(b'id="Process_test"', b'id="Process_other"').replace(b'bpmnElement="Process_test"',
                                                                              b'bpmnElement="Process_other"')
    with pytest.raises(DefinitionError) as refused:
        engine.deploy(other, filename="other.bpmn")
    assert "«Process_test»" in str(refused.value)
    assert engine.procedure("T.000001").version == 1  # nothing published
    # the same process drawn again is a new version, as before
    assert engine.deploy(data.replace("Thẩm định hồ sơ".encode(), "Thẩm định hồ sơ (sửa)".encode()),
                         filename="t2.bpmn").version == 2
