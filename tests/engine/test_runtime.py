"""The engine moves a dossier through a three-agency diagram, step by step, safely."""

from __future__ import annotations

import pytest

from engine.errors import Conflict, FormInvalid, PermissionDenied, StateError
from engine.runtime import Engine
from tests.conftest import World

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789", "phone": "0901234567",
             "address": "Phan Thiết"}


def open_step(engine: Engine, actor, element: str):
    steps = [s for s in engine.inbox(actor) if s.element_id == element]
    assert steps, f"no open {element} in {actor.username}'s inbox"
    return steps[0]


def do(engine: Engine, actor, element: str, data=None, note: str = ""):
    step = open_step(engine, actor, element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {}, note=note)


def test_dossier_goes_through_every_agency_to_the_returned_result(engine: Engine, world: World, deployed: str):
    dossier = engine.start_dossier(world["clerk"], deployed, APPLICANT, {"so_ban_sao": 2})
    assert dossier.code.startswith("000.00.15.H12-260302-0001")
    assert dossier.status == "received"
    assert [s.element_id for s in dossier.open_steps] == ["Receive"]

    do(engine, world["clerk"], "Receive", {"du_giay_to": True})
    d = do(engine, world["officer"], "Examine", {"ket_qua": "dat", "so_tien": "1500000"}, note="Đủ điều kiện")
    assert d.status == "processing"
    assert sorted(s.element_id for s in d.open_steps) == ["Opinion_div", "Opinion_police"]
    assert {s.agency_code for s in d.open_steps} == {"PCM", "CA"}
    do(engine, world["police"], "Opinion_police", {"y_kien_ca": "Thống nhất"})
    d = do(engine, world["officer2"], "Opinion_div")
    assert [s.element_id for s in d.open_steps] == ["Sign"]
    do(engine, world["leader"], "Sign", {"so_quyet_dinh": "123/QĐ-UBND", "ngay_quyet_dinh": "2026-03-05"})
    d = do(engine, world["clerk2"], "Return")
    assert d.status == "returned" and d.outcome == "returned"
    assert d.finished_at is not None and not d.open_steps
    completed = [s for s in d.steps if s.state == "completed"]
    assert [s.element_id for s in completed][:2] == ["Receive", "Examine"]
    examine = next(s for s in completed if s.element_id == "Examine")
    assert examine.form_data == {"ket_qua": "dat", "so_tien": 1500000, "ly_do": None}
    assert examine.note == "Đủ điều kiện"
    actions = [e.action for e in engine.dossier(d.code).events]
    assert actions[0] == "dossier.received" and actions[-1] == "dossier.finished"
    assert actions.count("step.completed") == 6


def test_refusal_branch_ends_refused(engine: Engine, world: World, deployed: str):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    d = do(engine, world["officer"], "Examine", {"ket_qua": "khong_dat", "ly_do": "Không thuộc đối tượng"})
    assert d.status == "refused" and not d.open_steps


def test_claim_is_exclusive_and_only_for_the_steps_agency(engine: Engine, world: World, deployed: str):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    step = open_step(engine, world["officer"], "Examine")
    with pytest.raises(PermissionDenied):
        engine.claim(world["police"], step.id)
    engine.claim(world["officer"], step.id)
    with pytest.raises(Conflict):
        engine.claim(world["officer2"], step.id)
    with pytest.raises(Conflict):
        engine.complete(world["officer2"], step.id, {"ket_qua": "dat"})
    with pytest.raises(PermissionDenied):
        engine.complete(world["police"], step.id, {"ket_qua": "dat"})
    engine.unclaim(world["officer"], step.id)
    claimed = engine.claim(world["officer2"], step.id)
    assert claimed.assignee_id == world["officer2"].id


def test_invalid_form_data_changes_nothing(engine: Engine, world: World, deployed: str):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    step = open_step(engine, world["officer"], "Examine")
    engine.claim(world["officer"], step.id)
    before = engine.dossier(step.dossier_code)
    with pytest.raises(FormInvalid) as exc:
        engine.complete(world["officer"], step.id,
                        {"ket_qua": "tuyet_voi", "so_tien": "-5", "ly_do": "x" * 201, "la": 1})
    assert set(exc.value.errors) == {"ket_qua", "so_tien", "ly_do", "la"}
    with pytest.raises(FormInvalid) as exc:
        engine.complete(world["officer"], step.id, {})
    assert set(exc.value.errors) == {"ket_qua"}
    after = engine.dossier(step.dossier_code)
    assert after.steps == before.steps and after.events == before.events


def test_leader_reassigns_within_the_agency_only(engine: Engine, world: World, deployed: str):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    step = open_step(engine, world["officer"], "Examine")
    with pytest.raises(PermissionDenied):
        engine.reassign(world["officer"], step.id, "officer2")
    with pytest.raises(PermissionDenied):
        engine.reassign(world["lead_pcm"], step.id, "police")
    moved = engine.reassign(world["lead_pcm"], step.id, "officer2")
    assert moved.state == "claimed" and moved.assignee_id == world["officer2"].id
    engine.complete(world["officer2"], step.id, {"ket_qua": "khong_dat"})


def test_my_steps_are_the_open_steps_i_have_claimed(engine: Engine, world: World, deployed: str, clock):
    """``inbox(mine=True)``: the steps the official holds now, soonest due first; not a colleague's,
    not one handed back, reassigned away or completed."""
    officer, officer2, lead = world["officer"], world["officer2"], world["lead_pcm"]
    examine = []
    for _ in range(3):
        engine.start_dossier(world["clerk"], deployed, APPLICANT)
        do(engine, world["clerk"], "Receive")
        clock.advance(minutes=30)
    examine = sorted((s for s in engine.inbox(officer) if s.element_id == "Examine"), key=lambda s: s.due_at)
    assert len(examine) == 3 and engine.inbox(officer, mine=True) == []
    for step in reversed(examine):
        engine.claim(officer, step.id)
    assert [s.id for s in engine.inbox(officer, mine=True)] == [s.id for s in examine]  # soonest due first
    assert engine.inbox(officer2, mine=True) == []
    assert [s.id for s in engine.inbox(officer, mine=True, procedure=deployed)] == [s.id for s in examine]
    assert engine.inbox(officer, mine=True, procedure="KHAC.000") == []

    engine.unclaim(officer, examine[0].id)
    engine.reassign(lead, examine[1].id, "officer2")
    engine.complete(officer, examine[2].id, {"ket_qua": "dat", "so_tien": 1000})
    assert engine.inbox(officer, mine=True) == []
    assert [s.id for s in engine.inbox(officer2, mine=True)] == [examine[1].id]


def test_completed_step_cannot_be_completed_twice(engine: Engine, world: World, deployed: str):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    step = open_step(engine, world["clerk"], "Receive")
    engine.claim(world["clerk"], step.id)
    engine.complete(world["clerk"], step.id, {})
    with pytest.raises(StateError):
        engine.complete(world["clerk"], step.id, {})


def test_state_survives_a_new_engine_midway(engine: Engine, world: World, deployed: str, db_url: str, clock):
    engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    engine.close()
    fresh = Engine(db_url, clock=clock)  # another process: empty cache, reloads from the database
    try:
        do(fresh, world["police"], "Opinion_police")
        do(fresh, world["officer"], "Opinion_div")
        do(fresh, world["leader"], "Sign", {"so_quyet_dinh": "9/QĐ"})
        d = do(fresh, world["clerk"], "Return")
        assert d.status == "returned"
    finally:
        fresh.close()


def test_dossier_codes_count_per_day(engine: Engine, world: World, deployed: str, clock):
    codes = [engine.start_dossier(world["clerk"], deployed, APPLICANT).code for _ in range(3)]
    assert codes == [f"000.00.15.H12-260302-000{i}" for i in (1, 2, 3)]
    clock.advance(days=1)
    assert engine.start_dossier(world["clerk"], deployed, APPLICANT).code == "000.00.15.H12-260303-0001"


def test_officials_see_only_dossiers_their_agency_takes_part_in(engine: Engine, world: World, deployed: str):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    with pytest.raises(PermissionDenied):
        engine.dossier(d.code, world["police"])
    assert engine.dossier(d.code, world["clerk"]).code == d.code
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    assert engine.dossier(d.code, world["police"]).code == d.code


def test_public_lookup_masks_the_name(engine: Engine, world: World, deployed: str):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    public = engine.public_lookup(d.code)
    assert public["applicant"] == "N***** V** A*"
    assert public["current_agencies"] == ["Bộ phận Một cửa"]
    assert "079123456789" not in repr(public) and "0901234567" not in repr(public)


def test_only_clerks_receive(engine: Engine, world: World, deployed: str):
    with pytest.raises(PermissionDenied):
        engine.start_dossier(world["officer"], deployed, APPLICANT)
    with pytest.raises(FormInvalid):
        engine.start_dossier(world["clerk"], deployed, {"name": ""})


def test_a_step_without_budget_is_due_by_the_end_of_its_working_day(engine: Engine, world: World, deployed: str,
                                                                     clock):
    from tests.conftest import vn

    clock.set(vn(2026, 3, 2, 9, 0))
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    receive = d.open_steps[0]
    assert receive.due_at == vn(2026, 3, 2, 15, 0)  # 0.5 day = 4 h: 2.5 h before lunch, 1.5 h after
    do(engine, world["clerk"], "Receive")
    clock.set(vn(2026, 3, 2, 16, 0))
    do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
    supplement = engine.dossier(d.code).open_steps[0]
    assert supplement.element_id == "Supplement" and supplement.due_at == vn(2026, 3, 2, 17, 0)
    clock.set(vn(2026, 3, 2, 16, 59))
    after = do(engine, world["clerk"], "Supplement")
    done = next(s for s in after.steps if s.element_id == "Supplement")
    assert done.timeliness == "on_time"
