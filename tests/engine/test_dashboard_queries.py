"""engine.dashboard_queries: an agency's load, overdue/soon-due steps, timeliness counts, versions."""

from __future__ import annotations

from engine.dashboard_queries import Rates, agency_dashboard, definition_versions
from tests.conftest import DATA


def _through(engine, who, step_id, data=None):
    engine.claim(who, step_id)
    return engine.complete(who, step_id, data or {})


def test_agency_dashboard(engine, world, deployed, clock):
    one = engine.start_dossier(world["clerk"], deployed, {"name": "A"})
    two = engine.start_dossier(world["clerk"], deployed, {"name": "B"})
    after_one = _through(engine, world["clerk"], one.open_steps[0].id)
    _through(engine, world["clerk"], two.open_steps[0].id)
    _through(engine, world["officer"], after_one.open_steps[0].id, {"ket_qua": "dat"})  # early
    pcm = world["officer"].agency_id
    board = agency_dashboard(engine, pcm)
    # open at PCM: Opinion_div of one, Examine of two
    assert board.open_by_state == {"ready": 2, "claimed": 0}
    assert board.open_by_procedure == [("T.000001", "Thủ tục thử nghiệm ba cơ quan", 2, 0)]
    assert board.rates == Rates(early=1) and board.rates.on_time_share == 1.0
    assert board.overdue == [] and {s.dossier_code for s in board.due_soon} == {one.code}  # 1-day step
    clock.advance(days=4)
    board = agency_dashboard(engine, pcm)
    assert {s.dossier_code for s in board.overdue} == {one.code, two.code}
    desk = agency_dashboard(engine, world["clerk"].agency_id)
    assert desk.rates.total == 2 and desk.open_by_state == {"ready": 0, "claimed": 0}
    assert Rates().on_time_share is None


def test_definition_versions(engine, world, deployed):
    engine.start_dossier(world["clerk"], deployed, {"name": "A"})
    changed = (DATA / "three_agencies.bpmn").read_bytes().replace("Ký quyết định".encode(), "Ký duyệt".encode())
    engine.deploy(changed, filename="v2.bpmn", decision_number="5/QĐ-UBND")
    rows = definition_versions(engine)
    assert [(r.code, r.version, r.dossiers) for r in rows] == [("T.000001", 2, 0), ("T.000001", 1, 1)]
    assert rows[0].decision_number == "5/QĐ-UBND" and rows[0].filename == "v2.bpmn"
