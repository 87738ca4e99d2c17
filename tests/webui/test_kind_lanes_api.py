"""Through the API: one diagram whose lanes name agency kinds serves dossiers from two communes.

The second test's diagram is written here, as a modeller other than the shipped procedures'
author would write it (kind codes in other cases, extra spaces, a parallel split), and is deployed
with the `lienthong` command line before the web app takes dossiers for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import kind_world
from tests.webui.test_api import Api, Tokens

APPLICANT = {"name": "Lê Văn Cường", "id_number": "079123456780", "phone": "0901234568", "address": "Liên Hương"}
BIN = Path(sys.executable).with_name("lienthong")


@pytest.fixture
def people(engine):
    return kind_world.build(engine)


@pytest.fixture
def kapi(client, people):
    return Api(client, Tokens(client))


def _receive(kapi: Api, who: str, procedure: str, commune: str | None = None) -> dict:
    body = {"procedure": procedure, "applicant": APPLICANT}
    if commune is not None:
        body["commune"] = commune
    r = kapi("POST", "/dossiers?include=open_steps", who, json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _inbox(kapi: Api, who: str) -> list[str]:
    r = kapi("GET", "/inbox", who)
    assert r.status_code == 200
    return sorted(s["dossier"] for s in r.get_json())


def test_each_step_lands_in_its_own_communes_inbox_and_no_other(engine, people, kapi):
    from tests.conftest import DATA

    engine.deploy((DATA / "kind_lanes.bpmn").read_bytes(), filename="kind_lanes.bpmn")
    one = _receive(kapi, "x01.clerk", "T.000010")
    two = _receive(kapi, "x02.clerk", "T.000010")
    assert [s["agency"] for s in one["open_steps"]] == ["UBND.X01"]
    assert [s["agency"] for s in two["open_steps"]] == ["UBND.X02"]
    assert _inbox(kapi, "x01.clerk") == [one["code"]] and _inbox(kapi, "x02.clerk") == [two["code"]]
    kapi.handle("x01.clerk", "Tiếp nhận hồ sơ")
    kapi.handle("x02.clerk", "Tiếp nhận hồ sơ")
    assert _inbox(kapi, "x01.officer") == [one["code"]] and _inbox(kapi, "x02.officer") == [two["code"]]
    # Another commune's step can be neither claimed nor read.
    other = kapi("GET", "/inbox", "x02.officer").get_json()[0]
    assert kapi("POST", f"/steps/{other['id']}/claim", "x01.officer").status_code == 403
    assert kapi("GET", f"/dossiers/{two['code']}", "x01.officer").status_code == 403
    r = kapi("GET", f"/dossiers/{one['code']}", "x01.officer")
    assert [s["agency"] for s in r.get_json()["steps"]] == ["UBND.X01", "UBND.X01"]


def test_reception_refuses_a_commune_without_the_kind_naming_both(engine, people, kapi):
    from tests.conftest import DATA

    engine.deploy((DATA / "kind_lanes.bpmn").read_bytes(), filename="kind_lanes.bpmn")
    r = kapi("POST", "/dossiers", "x01.clerk", json={"procedure": "T.000010", "applicant": APPLICANT,
                                                      "commune": "X03"})
    assert r.status_code == 400
    message = r.get_json()["error"]
    assert "xã Tuy Phong" in message and "UBND cấp xã" in message
    assert _inbox(kapi, "x01.clerk") == []


HIDDEN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:x">
  <process id="P_hidden" name="Xác nhận và cấp giấy (thử nghiệm)" isExecutable="true">
    <extensionElements><camunda:properties>
      <camunda:property name="procedure_code" value="H.777" />
      <camunda:property name="legal_working_days" value="4" />
    </camunda:properties></extensionElements>
    <laneSet id="ls">
      <lane id="l1" name="  UBND_XA "><flowNodeRef>s</flowNodeRef><flowNodeRef>a</flowNodeRef>
        <flowNodeRef>fork</flowNodeRef><flowNodeRef>b</flowNodeRef><flowNodeRef>join</flowNodeRef>
        <flowNodeRef>z</flowNodeRef><flowNodeRef>e</flowNodeRef></lane>
      <lane id="l2" name="sở   nội VỤ"><flowNodeRef>c</flowNodeRef></lane>
    </laneSet>
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="a" />
    <userTask id="a" name="Nhận hồ sơ"><extensionElements><camunda:properties>
      <camunda:property name="working_days" value="0.5" /></camunda:properties></extensionElements></userTask>
    <sequenceFlow id="f2" sourceRef="a" targetRef="fork" />
    <parallelGateway id="fork" />
    <sequenceFlow id="f3" sourceRef="fork" targetRef="b" /><sequenceFlow id="f4" sourceRef="fork" targetRef="c" />
    <userTask id="b" name="Xã xác minh"><extensionElements><camunda:properties>
      <camunda:property name="working_days" value="2" /></camunda:properties></extensionElements></userTask>
    <userTask id="c" name="Sở cho ý kiến"><extensionElements><camunda:properties>
      <camunda:property name="working_days" value="2" /></camunda:properties></extensionElements></userTask>
    <sequenceFlow id="f5" sourceRef="b" targetRef="join" /><sequenceFlow id="f6" sourceRef="c" targetRef="join" />
    <parallelGateway id="join" />
    <sequenceFlow id="f7" sourceRef="join" targetRef="z" />
    <userTask id="z" name="Ký và trả"><extensionElements><camunda:properties>
      <camunda:property name="working_days" value="1.5" /></camunda:properties></extensionElements></userTask>
    <sequenceFlow id="f8" sourceRef="z" targetRef="e" />
    <endEvent id="e"><extensionElements><camunda:properties>
      <camunda:property name="outcome" value="returned" /></camunda:properties></extensionElements></endEvent>
  </process>
</definitions>
"""


def test_a_hidden_diagram_with_kind_lanes_deployed_by_the_cli_runs_end_to_end(engine, people, kapi, tmp_path):
    path = tmp_path / "hidden.bpmn"
    path.write_text(HIDDEN, encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": engine.db.url.render_as_string(hide_password=False)}
    done = subprocess.run([str(BIN), "deploy", str(path)], capture_output=True, text=True, env=env, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "H.777 v1" in done.stdout
    codes = {}
    for commune in ("X01", "X02"):
        # Both received at the first commune's desk: the commune given decides where steps go.
        codes[commune] = _receive(kapi, "x01.clerk", "H.777", commune)["code"]

    def finish(who: str, code: str) -> dict:
        step = next(s for s in kapi("GET", "/inbox", who).get_json() if s["dossier"] == code)
        assert kapi("POST", f"/steps/{step['id']}/claim", who).status_code == 200
        r = kapi("POST", f"/steps/{step['id']}/complete", who, json={"data": {}})
        assert r.status_code == 200, r.get_json()
        return r.get_json()["dossier"]

    for commune, code in codes.items():
        clerk, other = f"{commune.lower()}.clerk", ("x02.clerk" if commune == "X01" else "x01.clerk")
        assert code in _inbox(kapi, clerk) and code not in _inbox(kapi, other)
        finish(clerk, code)
        # The parallel split: the commune verifies while the province's department gives its opinion.
        assert code in _inbox(kapi, clerk) and code in _inbox(kapi, "snv.officer")
        assert code not in _inbox(kapi, other)
        finish(clerk, code)
        finish("snv.officer", code)
        assert finish(clerk, code)["status"] == "returned"
        steps = kapi("GET", f"/dossiers/{code}", clerk).get_json()["steps"]
        own = f"UBND.{commune}"
        assert sorted(s["agency"] for s in steps) == sorted([own, own, "SNV", own])
    # The second commune never took part in the first one's dossier (the first desk received both).
    assert kapi("GET", f"/dossiers/{codes['X01']}", "x02.clerk").status_code == 403
