"""Deploying diagrams: versions, running dossiers stay on theirs, hostile diagrams rejected."""

from __future__ import annotations

import pytest

from engine.errors import DefinitionError, ExpressionError
from engine.runtime import Engine
from tests.conftest import DATA, World
from tests.engine.test_runtime import APPLICANT, do

SOURCE = (DATA / "three_agencies.bpmn").read_bytes()


def test_redeploying_the_same_file_keeps_the_version(engine: Engine, world: World):
    first = engine.deploy(SOURCE, filename="a.bpmn")
    again = engine.deploy(SOURCE, filename="a.bpmn")
    assert (first.version, first.created) == (1, True)
    assert (again.version, again.created) == (1, False)


def test_a_changed_file_is_a_new_version_and_running_dossiers_stay_on_theirs(engine: Engine, world: World):
    engine.deploy(SOURCE)
    old = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    changed = SOURCE.replace('name="Ký quyết định"'.encode(), 'name="Ký và đóng dấu quyết định"'.encode())
    assert engine.deploy(changed).version == 2
    new = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    assert (old.definition_version, new.definition_version) == (1, 2)
    for _code in (old.code, new.code):
        do(engine, world["clerk"], "Receive")
        do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
        do(engine, world["police"], "Opinion_police")
        do(engine, world["officer"], "Opinion_div")
    names = {d: {s.name for s in engine.dossier(d).open_steps} for d in (old.code, new.code)}
    assert names == {old.code: {"Ký quyết định"}, new.code: {"Ký và đóng dấu quyết định"}}


def test_a_lane_bound_to_no_agency_is_refused(engine: Engine, world: World):
    broken = SOURCE.replace(b'name="CA"', 'name="Cơ quan không tồn tại"'.encode())
    with pytest.raises(DefinitionError) as exc:
        engine.deploy(broken)
    assert any("Cơ quan không tồn tại" in p.message for p in exc.value.problems)
    assert engine.procedures() == []


@pytest.mark.parametrize("condition", [
    "__import__('os').system('touch /tmp/lienthong-pwned') == 0",
    "().__class__.__base__.__subclasses__()",
    "random._os.popen('id')",
    "${''.getClass().forName('java.lang.Runtime')}",
])
def test_a_diagram_trying_to_escape_the_sandbox_is_rejected_on_deploy(engine: Engine, world: World,
                                                                       condition: str):
    hostile = SOURCE.replace(b'ket_qua == "khong_dat"', condition.replace('"', "&quot;").encode())
    with pytest.raises(DefinitionError) as exc:
        engine.deploy(hostile)
    assert any(p.element == "F_no" for p in exc.value.problems)
    assert engine.procedures() == []


@pytest.mark.parametrize("tail", [b"100 / so_tien &gt; 1", b"10**10**8 &gt; so_tien"])
def test_an_expression_failing_at_run_time_fails_the_step_cleanly(engine: Engine, world: World, tail: bytes):
    # Valid text that fails only when run (a division by the form's 0, a number bomb): the step
    # fails with a clear error, fast, and nothing of the completion is stored.
    risky = SOURCE.replace(b'ket_qua == "khong_dat"', b'ket_qua == "khong_dat" and ' + tail)
    engine.deploy(risky)
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    do(engine, world["clerk"], "Receive")
    step = next(s for s in engine.inbox(world["officer"]) if s.element_id == "Examine")
    engine.claim(world["officer"], step.id)
    with pytest.raises(ExpressionError):
        engine.complete(world["officer"], step.id, {"ket_qua": "khong_dat", "so_tien": 0})
    after = engine.dossier(d.code)
    assert [s.element_id for s in after.open_steps] == ["Examine"]
    assert after.open_steps[0].state == "claimed"
    moved = engine.complete(world["officer"], step.id, {"ket_qua": "dat", "so_tien": 5})
    assert moved.status == "processing"
    assert sorted(s.element_id for s in moved.open_steps) == ["Opinion_div", "Opinion_police"]


def test_xxe_and_entity_bombs_are_refused(engine: Engine, world: World):
    xxe = SOURCE.replace(b'<?xml version="1.0" encoding="UTF-8"?>',
                         b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    with pytest.raises(DefinitionError):
        engine.deploy(xxe)
    with pytest.raises(DefinitionError):
        engine.deploy(b"<a>" * 1_000_000)
