"""A workflow can neither grow its saved state without bound nor loop away unnoticed: a state over
the ``max_state_bytes`` setting fails its action with nothing written, and a loop of automatic
tasks that runs out of its bound leaves the dossier open with an incident, never "completed"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from engine import models
from engine.runtime import Engine
from engine.services.progress import MAX_ENGINE_TASKS
from engine.settings import Settings
from engine.store import StateTooLarge
from tests.conftest import World

APPLICANT = {"name": "Võ Văn Em"}
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Defs_b" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collab_b">
    <bpmn:participant id="Pool_b" name="Thủ tục" processRef="P_b" /></bpmn:collaboration>
  <bpmn:process id="P_b" name="Thủ tục thử giới hạn" isExecutable="true">
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="procedure_code" value="{code}" /><camunda:property name="legal_working_days" value="3" />
    </camunda:properties></bpmn:extensionElements>
    <bpmn:laneSet id="LS_b"><bpmn:lane id="Lane_b" name="Bộ phận Một cửa">{refs}</bpmn:lane></bpmn:laneSet>
"""


def user(id_: str, incoming: str, outgoing: str) -> str:
    return (f'<bpmn:userTask id="{id_}" name="Bước {id_}"><bpmn:extensionElements><camunda:properties>'
            f'<camunda:property name="working_days" value="1" /></camunda:properties></bpmn:extensionElements>'
            f'<bpmn:incoming>{incoming}</bpmn:incoming>'
            f'<bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:userTask>')


def script(id_: str, source: str, incoming: list[str], outgoing: str) -> str:
    ins = "".join(f"<bpmn:incoming>{i}</bpmn:incoming>" for i in incoming)
    return (f'<bpmn:scriptTask id="{id_}" name="Tính {id_}" scriptFormat="python">{ins}'
            f'<bpmn:outgoing>{outgoing}</bpmn:outgoing><bpmn:script>{source}</bpmn:script></bpmn:scriptTask>')


def diagram(code: str, nodes: list[str], flows: list[tuple[str, str, str, str]]) -> bytes:
    """``flows``: (id, source, target, condition or "")."""
    ids = [n.split('id="')[1].split('"')[0] for n in nodes]
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    body = "\n".join(nodes)
    for fid, src, dst, cond in flows:
        expr = (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{cond}</bpmn:conditionExpression>'
                if cond else "")
        body += f'\n<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}">{expr}</bpmn:sequenceFlow>'
    return (HEAD.format(code=code, refs=refs) + body + "\n</bpmn:process>\n</bpmn:definitions>\n").encode()


START = '<bpmn:startEvent id="S"><bpmn:outgoing>F0</bpmn:outgoing></bpmn:startEvent>'
END = ('<bpmn:endEvent id="E"><bpmn:extensionElements><camunda:properties><camunda:property name="outcome" '
       'value="completed" /></camunda:properties></bpmn:extensionElements><bpmn:incoming>Fend</bpmn:incoming>'
       '</bpmn:endEvent>')


def big_state(code: str, *, after_a_step: bool) -> bytes:
    """A script that makes 90 kB of data, at reception or after the first step."""
    if after_a_step:
        nodes = [START, user("Post", "F0", "F1"), script("Big", 'big = "x" * 90000', ["F1"], "F2"),
                 user("Review", "F2", "Fend"), END]
        flows = [("F0", "S", "Post", ""), ("F1", "Post", "Big", ""), ("F2", "Big", "Review", ""),
                 ("Fend", "Review", "E", "")]
    else:
        nodes = [START, script("Big", 'big = "x" * 90000', ["F0"], "F2"), user("Review", "F2", "Fend"), END]
        flows = [("F0", "S", "Big", ""), ("F2", "Big", "Review", ""), ("Fend", "Review", "E", "")]
    return diagram(code, nodes, flows)


def endless_loop(code: str, *, after_a_step: bool) -> bytes:
    """Calc → XOR, the default flow back to Calc (the other flow's condition never holds)."""
    gateway = ('<bpmn:exclusiveGateway id="G" default="Fback"><bpmn:incoming>F2</bpmn:incoming>'
               '<bpmn:outgoing>Fback</bpmn:outgoing><bpmn:outgoing>Fend</bpmn:outgoing></bpmn:exclusiveGateway>')
    first = "F1" if after_a_step else "F0"
    nodes = [START, script("Calc", "x = 1", [first, "Fback"], "F2"), gateway, END]
    flows = [("F2", "Calc", "G", ""), ("Fback", "G", "Calc", ""), ("Fend", "G", "E", "x &gt; 5")]
    if after_a_step:
        nodes.insert(1, user("Post", "F0", "F1"))
        flows += [("F0", "S", "Post", ""), ("F1", "Post", "Calc", "")]
    else:
        flows.append(("F0", "S", "Calc", ""))
    return diagram(code, nodes, flows)


@pytest.fixture
def small_engine(db_url: str, clock) -> Iterator[Engine]:
    eng = Engine(db_url, settings=Settings(max_state_bytes=50_000, password_hashing="minimal"), clock=clock)
    yield eng
    eng.close()


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with engine.Session() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0  # type: ignore[return-value]
                     for t in (models.Dossier, models.Step, models.Event, models.OutboxMessage))


def test_a_state_over_the_limit_at_reception_writes_nothing(small_engine: Engine):
    world = World(small_engine)
    code = small_engine.deploy(big_state("T.900001", after_a_step=False)).code
    before = counts(small_engine)
    with pytest.raises(StateTooLarge, match="vượt quá giới hạn"):
        small_engine.start_dossier(world["clerk"], code, APPLICANT)
    assert counts(small_engine) == before


def test_a_state_over_the_limit_after_a_step_fails_that_step_and_writes_nothing(small_engine: Engine):
    world = World(small_engine)
    code = small_engine.deploy(big_state("T.900002", after_a_step=True)).code
    d = small_engine.start_dossier(world["clerk"], code, APPLICANT)
    step = small_engine.claim(world["clerk"], d.open_steps[0].id)
    before = counts(small_engine)
    with pytest.raises(StateTooLarge):
        small_engine.complete(world["clerk"], step.id, {})
    assert counts(small_engine) == before
    again = small_engine.dossier(d.code)
    assert [(s.element_id, s.state) for s in again.steps] == [("Post", "claimed")]
    assert again.status == "received"


@pytest.mark.parametrize("after_a_step", [False, True], ids=["at-reception", "after-a-step"])
def test_a_loop_that_runs_out_is_an_incident_and_the_dossier_stays_open(engine: Engine, world: World,
                                                                         after_a_step: bool):
    code = engine.deploy(endless_loop(f"T.90001{int(after_a_step)}", after_a_step=after_a_step)).code
    d = engine.start_dossier(world["clerk"], code, APPLICANT)
    if after_a_step:
        assert d.incident == "" and d.status == "received"
        step = engine.claim(world["clerk"], d.open_steps[0].id)
        d = engine.complete(world["clerk"], step.id, {})
    assert str(MAX_ENGINE_TASKS) in d.incident
    assert d.status in ("received", "processing") and not d.is_finished and d.finished_at is None
    seen = engine.dossier(d.code, world["clerk"])
    assert seen.incident == d.incident
    assert [e.action for e in seen.events].count("dossier.incident") == 1
    assert engine.public_lookup(d.code)["status"] != "completed"


def test_the_incident_is_shown_on_the_dossier_page(app, engine: Engine, world: World):
    from tests.webui.helpers import login

    code = engine.deploy(endless_loop("T.900020", after_a_step=False)).code
    d = engine.start_dossier(world["clerk"], code, APPLICANT)
    client = app.test_client()
    login(client, "clerk")
    page = client.get(f"/dossiers/{d.code}").get_data(as_text=True)
    assert "Sự cố quy trình" in page and str(MAX_ENGINE_TASKS) in page
