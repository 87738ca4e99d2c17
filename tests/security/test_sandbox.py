"""Diagram expressions cannot escape the sandbox, whatever element carries them.

A deployed diagram is untrusted code: gateway conditions (Python and JUEL), script tasks and timer
texts all go through ``engine.expressions``. Every known escape is refused at deploy, naming the
element; what is valid text but explodes when run (``10**10**8``, ``'a'*10**9``) fails the step fast,
with a clear error, and nothing of the step is stored. The marker file the payloads try to create
never appears. (The sandbox's own unit tests are in tests/engine/test_expressions.py; this is the
same battery through real deployed diagrams.)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.errors import DefinitionError, ExpressionError
from tests.conftest import DATA
from tests.engine.test_runtime import APPLICANT, do, open_step
from tests.security.conftest import snapshot

THREE = (DATA / "three_agencies.bpmn").read_text(encoding="utf-8")
TIMER = (DATA / "timer_wait.bpmn").read_text(encoding="utf-8")

#: Expressions that try to run code, read files or reach objects (``M`` is the marker path).
ESCAPES = [
    "__import__('os').system('touch M')",
    "random._os.system('touch M')",
    "().__class__.__base__.__subclasses__()",
    "getattr(ket_qua, '__class__')",
    "eval(\"__import__('os').system('touch M')\")",
    "exec(\"open('M', 'w')\")",
    "open('M', 'w')",
    "globals()",
    "vars()",
    "f'{ket_qua.__class__}'",
    "ket_qua.upper() == 'DAT'",
    "ket_qua.__class__",
    "(lambda: open('M', 'w'))()",
    "[open('M', 'w') for x in [1]]",
    "{x: 1 for x in 'ab'}",
    "__builtins__",
    "_secret",
    "type(ket_qua)",
    "compile('1', 'f', 'eval')",
    "(x := 1)",
]
#: Valid text that only fails when run: it must fail fast, with a clear error.
BOMBS = ["10**10**8 > 0", "len('a' * 10**9) > 0", "len([0] * 10**9) > 0", "2**2**2**2**2 > 0",
         "len(str(9**9**9)) > 0"]
#: Whole scripts refused as statements.
SCRIPT_STATEMENTS = ["import os", "from os import system", "exec('x = 1')", "while True:\n    pass",
                     "for i in [1]:\n    pass", "def f():\n    pass", "class A:\n    pass", "del ket_qua",
                     "global x", "try:\n    x = 1\nexcept Exception:\n    pass", "with open('M') as f:\n    pass",
                     "phi.x = 1", "phi[0] = 1", "x = yield"]


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _payload(text: str, marker: Path) -> str:
    return text.replace("M", str(marker)) if "'M'" in text or "touch M" in text else text


def gateway(expr: str) -> bytes:
    """The test diagram with ``expr`` as the condition of flow F_no."""
    return THREE.replace('ket_qua == "khong_dat"', _xml(expr)).encode()


def juel(expr: str) -> bytes:
    """The test diagram with ``${expr}`` as the condition of flow F_sup."""
    return THREE.replace('${ket_qua == "bo_sung"}', "${" + _xml(expr) + "}").encode()


def script(source: str) -> bytes:
    """The test diagram with a script task Calc between Examine and the gateway."""
    task = (f'<bpmn:scriptTask id="Calc" name="Tính phí" scriptFormat="python"><bpmn:incoming>F3</bpmn:incoming>'
            f'<bpmn:outgoing>F3b</bpmn:outgoing><bpmn:script>{_xml(source)}</bpmn:script></bpmn:scriptTask>\n'
            f'    <bpmn:exclusiveGateway id="Gw_result"')
    out = THREE.replace('<bpmn:exclusiveGateway id="Gw_result"', task)
    out = out.replace('<bpmn:sequenceFlow id="F3" sourceRef="Examine" targetRef="Gw_result" />',
                      '<bpmn:sequenceFlow id="F3" sourceRef="Examine" targetRef="Calc" />'
                      '<bpmn:sequenceFlow id="F3b" sourceRef="Calc" targetRef="Gw_result" />')
    out = out.replace("<bpmn:incoming>F3</bpmn:incoming>\n      <bpmn:outgoing>F_ok</bpmn:outgoing>",
                      "<bpmn:incoming>F3b</bpmn:incoming>\n      <bpmn:outgoing>F_ok</bpmn:outgoing>")
    return out.replace("<bpmn:flowNodeRef>Gw_result</bpmn:flowNodeRef>",
                       "<bpmn:flowNodeRef>Calc</bpmn:flowNodeRef><bpmn:flowNodeRef>Gw_result</bpmn:flowNodeRef>"
                       ).encode()


def timer(text: str, kind: str = "timeDuration") -> bytes:
    """The posting diagram with ``text`` as the timer of event Wait (duration, date or cycle)."""
    out = TIMER.replace("<bpmn:timeDuration", f"<bpmn:{kind}").replace("</bpmn:timeDuration>", f"</bpmn:{kind}>")
    return out.replace(">P1D<", f">{_xml(text)}<").encode()


PLACES = {
    "gateway": (gateway, "F_no"), "juel": (juel, "F_sup"), "script": (lambda e: script(f"phi = {e}"), "Calc"),
    "timer_duration": (timer, "Wait"), "timer_date": (lambda e: timer(e, "timeDate"), "Wait"),
    "timer_cycle": (lambda e: timer(e, "timeCycle"), "Wait"),
}


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


def test_the_carriers_are_deployable_with_harmless_text(engine, world):
    """The harness is sound: with ordinary text every carrier deploys (so refusals below are the sandbox's)."""
    assert engine.deploy(gateway('ket_qua == "khong_dat"')).created
    assert engine.deploy(juel('ket_qua == "bo_sung"')).version == 2
    assert engine.deploy(script("phi = so_ban_sao * 2000")).version == 3
    assert engine.deploy(timer("P1D")).created
    assert engine.deploy(timer("2026-03-10T08:00:00+07:00", "timeDate")).version == 2
    # A repeating cycle is refused as such (the engine fires working-time timers once), even harmless.
    with pytest.raises(DefinitionError) as refused:
        engine.deploy(timer("R3/PT1H", "timeCycle"))
    assert any(p.element == "Wait" and "timeCycle" in p.message for p in refused.value.problems)


# JUEL's property syntax ``${a.b}`` means ``a['b']``, a key lookup, not an attribute: see the next test.
MATRIX = [(p, e) for e in ESCAPES for p in PLACES if (p, e) != ("juel", "ket_qua.__class__")]


@pytest.mark.parametrize(("place", "escape"), MATRIX)
def test_escapes_are_refused_at_deploy_naming_the_element(engine, world, marker, place, escape):
    build, element = PLACES[place]
    before = snapshot(engine)
    with pytest.raises(DefinitionError) as exc:
        engine.deploy(build(_payload(escape, marker)), filename="hostile.bpmn")
    problems = [p for p in exc.value.problems if p.is_error]
    assert any(p.element == element for p in problems), [(p.element, p.message) for p in problems]
    assert all(p.message.strip() and "\n" not in p.message for p in problems)
    assert not marker.exists()
    assert engine.procedures() == [] and snapshot(engine) == before


def test_juel_property_syntax_is_a_key_lookup_never_an_attribute(engine, world):
    from engine.expressions import evaluate, translate_juel

    assert translate_juel("${ket_qua.__class__}") == "ket_qua['__class__']"
    with pytest.raises(ExpressionError, match="không hợp lệ"):
        evaluate("${ket_qua.__class__}", {"ket_qua": "dat"})
    assert evaluate("${ho_so.loai == 'a'}", {"ho_so": {"loai": "a"}}) is True


@pytest.mark.parametrize("statement", SCRIPT_STATEMENTS)
def test_script_statements_other_than_assignment_and_if_are_refused(engine, world, marker, statement):
    with pytest.raises(DefinitionError) as exc:
        engine.deploy(script(_payload(statement, marker)))
    assert any(p.element == "Calc" for p in exc.value.problems), [p.message for p in exc.value.problems]
    assert engine.procedures() == [] and not marker.exists()


def _fails_cleanly(engine, actor, step_id: int, data: dict) -> str:
    """Complete a claimed step whose next expression explodes: a fast, clear error and nothing stored."""
    before = snapshot(engine)
    started = time.monotonic()
    with pytest.raises(ExpressionError) as exc:
        engine.complete(actor, step_id, data, note="thử")
    assert time.monotonic() - started < 3, "the bomb was not stopped early"
    message = str(exc.value)
    assert message.strip() and "Traceback" not in message
    assert snapshot(engine) == before  # no event, no form data, no new step, no state change
    return message


@pytest.mark.parametrize("place", ["gateway", "juel", "script"])
@pytest.mark.parametrize("bomb", BOMBS)
def test_bombs_fail_the_step_fast_and_store_nothing(engine, world, place, bomb):
    build, _element = PLACES[place]
    engine.deploy(build(bomb))
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    do(engine, world["clerk"], "Receive")
    step = open_step(engine, world["officer"], "Examine")
    engine.claim(world["officer"], step.id)
    _fails_cleanly(engine, world["officer"], step.id, {"ket_qua": "dat"})
    after = engine.dossier(d.code)
    assert [(s.element_id, s.state, s.form_data) for s in after.open_steps] == [("Examine", "claimed", None)]
    assert not any(e.action == "step.completed" and e.step_id == step.id for e in after.events)


@pytest.mark.parametrize("bomb", ["'R' + str(10**10**8)", "'R' * 10**9"])
def test_a_timer_cycle_bomb_never_deploys(engine, world, bomb):
    with pytest.raises(DefinitionError) as refused:
        engine.deploy(timer(bomb, "timeCycle"))
    assert any(p.element == "Wait" for p in refused.value.problems)
    assert engine.procedures() == []


_S = "s = 'x' * 100000\n"
#: Scripts whose data would grow past the memory budget once saved (shared references written out again).
STATE_BOMBS = {
    "repetition_nested_five_levels": _S + "a = [s] * 8\nb = [a] * 8\nc = [b] * 8\nd = [c] * 8\ne = [d] * 8",
    "list_literals_nested": _S + "a = [s, s, s, s, s, s, s, s]\nb = [a, a, a, a, a, a, a, a]\nc = [b, b, b, b]",
    "dict_literals_nested": _S + "a = {'x': s, 'y': s}\nb = {'x': a, 'y': a, 'z': a}\nc = {'x': b, 'y': b}",
    "list_doubling": _S + "a = [s]\na = a + a\na = a + a\na = a + a\na = a + a\na = a + a",
    "string_growth": _S + "".join(f"t{i} = s[:90000] + '{i}'\n" for i in range(12)),
    "tuple_and_set": _S + "a = (s, s, s, s)\nb = (a, a, a)\nc = [b, b]\nd = {len(s)}",
}


@pytest.mark.parametrize("name", list(STATE_BOMBS))
def test_script_data_past_the_memory_budget_fails_the_step_and_saves_nothing(engine, world, name):
    engine.deploy(script(STATE_BOMBS[name]))
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    do(engine, world["clerk"], "Receive")
    step = open_step(engine, world["officer"], "Examine")
    engine.claim(world["officer"], step.id)
    message = _fails_cleanly(engine, world["officer"], step.id, {"ket_qua": "dat"})
    assert "bộ nhớ" in message
    assert [s.element_id for s in engine.dossier(d.code).open_steps] == ["Examine"]


@pytest.mark.parametrize("source", ["a = [s for s in 'abc' * 1000]", "a = {k: k for k in 'ab'}",
                                    "a = ''.join(['x'] * 8)"])
def test_comprehensions_and_joins_are_refused_at_deploy(engine, world, source):
    with pytest.raises(DefinitionError) as refused:
        engine.deploy(script(source))
    assert any(p.element == "Calc" for p in refused.value.problems)
    assert engine.procedures() == []


def test_a_script_within_the_budget_still_runs(engine, world):
    engine.deploy(script("s = 'x' * 1000\na = [s] * 8\nb = {'k': a, 'n': len(a)}\nphi = b['n'] * 1000"))
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    assert engine.dossier(d.code).open_steps
