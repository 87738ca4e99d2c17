"""Lanes naming an agency kind: one diagram serves every commune, each step in its commune's inbox."""

from __future__ import annotations

from datetime import date

import pytest

from engine import lanes, reception, succession, units
from engine.errors import InvalidInput, PermissionDenied
from engine.runtime import Engine
from tests import kind_world
from tests.conftest import DATA
from tests.engine.test_runtime import APPLICANT, do, open_step


@pytest.fixture
def people(engine: Engine) -> dict:
    return kind_world.build(engine)


@pytest.fixture
def code(engine: Engine, people: dict) -> str:
    return engine.deploy((DATA / "kind_lanes.bpmn").read_bytes(), filename="kind_lanes.bpmn").code


def test_one_diagram_serves_two_communes_each_step_in_its_own_inbox(engine: Engine, people: dict, code: str):
    first = engine.start_dossier(people["x01.clerk"], code, APPLICANT)
    second = engine.start_dossier(people["x02.clerk"], code, {**APPLICANT, "name": "Trần Thị Bình"})
    assert [s.agency_code for s in first.open_steps] == ["UBND.X01"]
    assert [s.agency_code for s in second.open_steps] == ["UBND.X02"]
    # The receiving step is only in its own commune's inbox.
    assert [s.dossier_code for s in engine.inbox(people["x01.clerk"])] == [first.code]
    assert [s.dossier_code for s in engine.inbox(people["x02.clerk"])] == [second.code]
    with pytest.raises(PermissionDenied):
        engine.claim(people["x02.clerk"], first.open_steps[0].id)
    do(engine, people["x01.clerk"], "Receive")
    do(engine, people["x02.clerk"], "Receive")
    assert [s.dossier_code for s in engine.inbox(people["x01.officer"])] == [first.code]
    assert [s.dossier_code for s in engine.inbox(people["x02.officer"])] == [second.code]
    do(engine, people["x01.officer"], "Examine")
    do(engine, people["x02.officer"], "Examine")
    # The province-level kind: the department of the communes' province takes both.
    assert sorted(s.dossier_code for s in engine.inbox(people["snv.officer"])) == sorted([first.code, second.code])
    for d in (first, second):
        step = next(s for s in engine.inbox(people["snv.officer"]) if s.dossier_code == d.code)
        engine.claim(people["snv.officer"], step.id)
        engine.complete(people["snv.officer"], step.id, {})
    assert [s.dossier_code for s in engine.inbox(people["x01.clerk"])] == [first.code]
    done = do(engine, people["x01.clerk"], "Return")
    assert done.status == "returned"
    assert [s.agency_code for s in done.steps] == ["UBND.X01", "UBND.X01", "SNV", "UBND.X01"]
    # Visibility follows the resolved agencies: the other commune never sees the dossier.
    with pytest.raises(PermissionDenied):
        engine.dossier(first.code, people["x02.officer"])


def test_the_commune_given_at_reception_decides_not_the_desk(engine: Engine, people: dict, code: str):
    d = engine.start_dossier(people["x01.clerk"], code, APPLICANT, commune="X02")
    assert [s.agency_code for s in d.open_steps] == ["UBND.X02"]
    assert engine.inbox(people["x01.clerk"]) == []


def test_one_reception_for_another_commune_leaves_the_first_step_to_that_commune(engine: Engine, people: dict,
                                                                                  code: str):
    # The desk fills in its own first step's form; for another commune's dossier that step is not its own,
    # so the dossier is received and the step waits in that commune's inbox (no refusal, no foreign claim).
    definition = engine.definition(engine.procedure(code).definition_id)
    assert reception.desk_first_step(engine, people["x01.clerk"], definition) is not None
    assert reception.desk_first_step(engine, people["x01.clerk"], definition, "X02") is None
    own = reception.receive(engine, people["x01.clerk"], code, APPLICANT, {}, {}, commune="X01")
    assert [s.element_id for s in own.open_steps] == ["Examine"]
    with pytest.raises(InvalidInput, match="first_step"):
        reception.receive(engine, people["x01.clerk"], code, APPLICANT, {}, {}, commune="X02")
    other = reception.receive(engine, people["x01.clerk"], code, APPLICANT, {}, None, commune="X02")
    assert [(s.element_id, s.agency_code) for s in other.open_steps] == [("Receive", "UBND.X02")]


def test_a_commune_without_an_agency_of_the_kind_is_refused_at_reception(engine: Engine, people: dict, code: str):
    with pytest.raises(InvalidInput) as caught:
        engine.start_dossier(people["x01.clerk"], code, APPLICANT, commune="X03")
    assert "xã Tuy Phong" in str(caught.value) and "UBND cấp xã" in str(caught.value)
    with pytest.raises(InvalidInput, match="Không có đơn vị hành chính"):
        engine.start_dossier(people["x01.clerk"], code, APPLICANT, commune="NOPE")
    assert engine.inbox(people["x01.clerk"]) == []
    with engine.Session() as s:
        from sqlalchemy import func, select

        from engine import models
        assert s.scalar(select(func.count()).select_from(models.Dossier)) == 0


def test_a_dissolved_agency_hands_its_open_steps_and_dossiers_to_its_successor(engine: Engine, people: dict,
                                                                              code: str):
    d = engine.start_dossier(people["x02.clerk"], code, APPLICANT)
    do(engine, people["x02.clerk"], "Receive")
    with engine.transaction() as s:
        done = succession.dissolve(s, "UBND.X02", "UBND.X01", now=engine.now())
    assert done.moved_steps == 1
    engine.directory(fresh=True)
    step = open_step(engine, people["x01.officer"], "Examine")
    assert step.dossier_code == d.code
    view = engine.dossier(d.code, people["x01.officer"])
    # History is not rewritten: the receipt stays with the dissolved committee.
    assert [s.agency_code for s in view.steps] == ["UBND.X02", "UBND.X01"]


def test_resolve_is_a_pure_function_of_the_directory():
    d = lanes.Directory.build(
        date(2026, 1, 5),
        [lanes.KindEntry("ubnd_xa", "UBND cấp xã", "commune"), lanes.KindEntry("snv", "Sở Nội vụ", "province")],
        [lanes.UnitEntry("P", "tỉnh P", "province"), lanes.UnitEntry("A", "xã A", "commune", "P"),
         lanes.UnitEntry("B", "xã B", "commune", "P")],
        [lanes.AgencyEntry(1, "UA", "UBND xã A", "ubnd_xa", "A"),
         lanes.AgencyEntry(2, "UB", "UBND xã B", "ubnd_xa", "B"),
         lanes.AgencyEntry(3, "SNV", "Sở Nội vụ tỉnh P", "snv", "P"),
         lanes.AgencyEntry(4, "OLD", "Phòng cũ", valid_to=date(2025, 7, 1), successor_id=3)])
    assert lanes.resolve(d, "  ubnd   CẤP xã ", "A").code == "UA"
    assert lanes.resolve(d, "ubnd_xa", "B").code == "UB"
    assert lanes.resolve(d, "Sở Nội vụ", "B").code == "SNV"
    assert lanes.resolve(d, "UBND xã A", "B").code == "UA"  # a lane naming an agency keeps its meaning
    assert lanes.resolve(d, "Phòng cũ", "A").code == "SNV"  # a dissolved agency: its successor
    with pytest.raises(lanes.LaneUnresolved, match="gần nhất: «UBND cấp xã»"):
        lanes.resolve(d, "UBND cap xa", "A")


CSV = """# demo
code,name,level,parent_code
P68,tỉnh Lâm Đồng,province,
X01,xã Liên Hương,commune,P68
X02,xã Bắc Bình,commune,P68
"""


def test_unit_import_is_idempotent_and_all_or_nothing(engine: Engine):
    with engine.transaction() as s:
        assert units.import_units(s, CSV) == (3, 0)
    with engine.transaction() as s:
        assert units.import_units(s, CSV) == (0, 0)
    bad = CSV + "X03,,commune,P68\nX04,xã D,district,P68\nX05,xã E,commune,NOPE\nX01,xã Liên Hương,commune,P68\n" \
        "X06,xã F,commune,P68\n"
    with pytest.raises(InvalidInput) as caught, engine.transaction() as s:
        units.import_units(s, bad)
    lines = str(caught.value).splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["dòng 6", "dòng 7", "dòng 8", "dòng 9"]
    with engine.Session() as s:
        assert [u.code for u in units.list_units(s)] == ["P68", "X01", "X02"]
        assert [u.name for u in units.list_units(s, search="lien huong")] == ["xã Liên Hương"]


def test_a_kind_cannot_share_a_name_with_an_agency(engine: Engine, people: dict):
    from engine.errors import Conflict

    with pytest.raises(Conflict), engine.transaction() as s:
        units.add_kind(s, "snv2", "Sở Nội vụ tỉnh Lâm Đồng", level="province")
    with pytest.raises(Conflict), engine.transaction() as s:
        from engine import accounts
        accounts.add_agency(s, "UBND.X01B", "UBND xã khác", now=engine.now(), kind="ubnd_xa", admin_unit="X01")
