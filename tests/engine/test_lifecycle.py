"""The one-stop lifecycle: desk notices, supplement rounds, apology, withdrawal, result collection."""

from __future__ import annotations

from datetime import date

import pytest

from engine import models
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, StateError
from engine.runtime import Engine
from engine.settings import Settings
from tests.conftest import World, vn

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789", "phone": "0901234567",
             "address": "Phan Thiết"}
DOCS = [{"name": "Tờ khai theo mẫu", "kind": "original"}, {"name": "Giấy chứng tử", "kind": "certified", "count": 2}]


def do(engine: Engine, actor, element: str, data=None, note: str = ""):
    step = next(s for s in engine.inbox(actor) if s.element_id == element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {}, note=note)


def supplement_round(engine: Engine, world: World, clock, asked_at, brought_at):
    clock.set(asked_at)
    do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
    clock.set(brought_at)
    do(engine, world["clerk"], "Supplement")
    return do(engine, world["clerk"], "Receive")


# ---------------------------------------------------------------- desk notices (Mẫu 02, 03)


def test_desk_supplement_request_is_numbered_per_agency_kind_and_year(engine: Engine, world: World, deployed,
                                                                      clock):
    first = engine.request_supplement_at_desk(world["clerk"], deployed, APPLICANT, documents=DOCS,
                                              reason="Thiếu giấy chứng tử bản sao có chứng thực",
                                              guidance={"website": "dichvucong.gov.vn", "phone": "0252 3822 000"})
    second = engine.request_supplement_at_desk(world["clerk2"], deployed, APPLICANT, documents=DOCS[:1],
                                               reason="Thiếu tờ khai")
    refusal = engine.refuse_at_desk(world["clerk"], deployed, APPLICANT, reasons=["Không thuộc thẩm quyền"])
    assert (first.number, second.number, refusal.number) == (1, 2, 1)
    assert first.reference == "1/2026" and first.kind == "supplement" and refusal.kind == "refusal"
    assert first.documents[1] == {"name": "Giấy chứng tử", "kind": "certified", "count": 2, "note": ""}
    assert first.guidance == {"website": "dichvucong.gov.vn", "official": "Clerk", "phone": "0252 3822 000"}
    assert second.guidance["official"] == "Clerk2"
    assert first.procedure_name == "Thủ tục thử nghiệm ba cơ quan" and first.dossier_code == ""
    assert refusal.reasons == ["Không thuộc thẩm quyền"]
    clock.set(vn(2027, 1, 4, 8))
    assert engine.refuse_at_desk(world["clerk"], deployed, APPLICANT, reasons="Hồ sơ giả mạo").reference == "1/2027"
    assert [n.id for n in engine.desk_notices(world["clerk"], kind="refusal")] == [4, refusal.id]
    assert engine.desk_notice(first.id, world["clerk2"]).number == 1
    with engine.Session() as s:
        actions = [e.action for e in s.query(models.Event).order_by(models.Event.id) if e.action.startswith("desk.")]
    assert actions == ["desk.supplement_requested", "desk.supplement_requested", "desk.refused", "desk.refused"]


def test_desk_notices_need_a_clerk_reasons_and_documents(engine: Engine, world: World, deployed):
    with pytest.raises(PermissionDenied):
        engine.refuse_at_desk(world["officer"], deployed, APPLICANT, reasons=["x"])
    with pytest.raises(InvalidInput):
        engine.refuse_at_desk(world["clerk"], deployed, APPLICANT, reasons=["  "])
    with pytest.raises(InvalidInput):
        engine.request_supplement_at_desk(world["clerk"], deployed, APPLICANT, documents=[], reason="x")
    with pytest.raises(InvalidInput):
        engine.request_supplement_at_desk(world["clerk"], deployed, APPLICANT,
                                          documents=[{"name": "Tờ khai", "kind": "photo"}], reason="x")
    with pytest.raises(NotFound):  # another agency's notices are not even known
        engine.desk_notice(engine.refuse_at_desk(world["clerk"], deployed, APPLICANT, reasons="x").id,
                           world["officer"])


# ---------------------------------------------------------------- supplement during processing


def test_supplement_round_restarts_the_time_limit_from_the_complete_dossier(engine: Engine, world: World, deployed,
                                                                           clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)  # Mon 2 March 2026 08:00
    assert d.due_at == vn(2026, 3, 9, 8, 0)
    do(engine, world["clerk"], "Receive")
    clock.set(vn(2026, 3, 3, 10, 0))
    waiting = do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
    assert waiting.status == "waiting_supplement" and waiting.paused_at == vn(2026, 3, 3, 10, 0)
    clock.set(vn(2026, 3, 5, 15, 30))  # the applicant brings the documents after 15:00
    back = do(engine, world["clerk"], "Supplement")
    assert back.status == "processing" and back.supplement_count == 1
    assert back.counting_from == vn(2026, 3, 6, 7, 0)  # from the next working morning
    assert back.due_at == vn(2026, 3, 12, 17, 0)  # five working days: Fri 6 → Thu 12
    info = engine.dossier_lifecycle(d.code)
    assert info.supplement_requests == 1 and not info.late_by_rule


def test_supplement_round_under_the_pause_rule_moves_the_due_by_the_paused_working_time(db_url, clock, world,
                                                                                        deployed):
    engine = Engine(db_url, settings=Settings(supplement_rule="pause", password_hashing="minimal"), clock=clock)
    try:
        d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
        do(engine, world["clerk"], "Receive")
        clock.set(vn(2026, 3, 3, 10, 0))
        do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
        clock.set(vn(2026, 3, 5, 15, 30))
        back = do(engine, world["clerk"], "Supplement")
        # paused 5 h on Tue + 8 h on Wed + 6.5 h on Thu = 19.5 working hours after Mon 9 March 08:00
        assert back.counting_from == vn(2026, 3, 2, 8, 0)
        assert back.due_at == vn(2026, 3, 11, 11, 30)
        assert engine.recompute_deadlines() == 0  # the derivation agrees with the runtime
        assert engine.dossier(d.code).due_at == vn(2026, 3, 11, 11, 30)
    finally:
        engine.close()


def test_a_second_supplement_request_marks_the_dossier_late_by_rule(engine: Engine, world: World, deployed, clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    supplement_round(engine, world, clock, vn(2026, 3, 3, 9), vn(2026, 3, 4, 9))
    assert not engine.dossier_lifecycle(d.code).late_by_rule
    clock.set(vn(2026, 3, 5, 9))
    second = do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"})
    assert second.status == "waiting_supplement"  # the diagram proceeds …
    info = engine.dossier_lifecycle(d.code)
    assert info.late_by_rule and info.supplement_requests == 2  # … but the dossier counts late
    assert "QĐ 766" in info.late_reason
    assert [e.action for e in engine.dossier(d.code).events].count("dossier.late_by_rule") == 1


# ---------------------------------------------------------------- apology (Mẫu 04)


def test_apology_once_by_the_agency_at_fault_before_the_due_time(engine: Engine, world: World, deployed, clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)  # due Mon 9 March 08:00
    do(engine, world["clerk"], "Receive")
    clock.set(vn(2026, 3, 4, 10))
    with pytest.raises(PermissionDenied):  # the police holds no step
        engine.issue_apology(world["police"], d.code, "Chậm", date(2026, 3, 12))
    with pytest.raises(PermissionDenied):  # a clerk is not an official of the agency at fault
        engine.issue_apology(world["clerk"], d.code, "Chậm", date(2026, 3, 12))
    with pytest.raises(InvalidInput):
        engine.issue_apology(world["officer"], d.code, "Chậm", vn(2026, 3, 6, 9))  # not after the due
    with pytest.raises(InvalidInput):
        engine.issue_apology(world["officer"], d.code, "Chậm", date(2026, 3, 14))  # a Saturday
    after = engine.issue_apology(world["officer"], d.code, "Cần xác minh thêm tại địa phương", date(2026, 3, 12))
    assert after.due_at == vn(2026, 3, 12, 17, 0) and after.original_due_at == vn(2026, 3, 9, 8, 0)
    assert after.apology_count == 1 and after.events[-1].action == "dossier.apology"
    with pytest.raises(Conflict):
        engine.issue_apology(world["lead_pcm"], d.code, "Lần nữa", date(2026, 3, 13))
    apology = engine.dossier_lifecycle(d.code).apology
    assert apology is not None and apology.agency_code == "PCM" and apology.step_name == "Thẩm định hồ sơ"
    assert apology.issued_by_name == "Officer" and apology.new_due_at == vn(2026, 3, 12, 17, 0)


def test_no_apology_after_the_due_time(engine: Engine, world: World, deployed, clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    clock.set(vn(2026, 3, 9, 8, 1))
    with pytest.raises(StateError):
        engine.issue_apology(world["officer"], d.code, "Chậm", date(2026, 3, 12))


# ---------------------------------------------------------------- withdrawal and collection


def test_withdrawal_cancels_the_workflow_and_its_open_steps(engine: Engine, world: World, deployed, clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"})
    with pytest.raises(PermissionDenied):
        engine.withdraw(world["officer"], d.code, "x")
    clock.advance(hours=1)
    out = engine.withdraw(world["clerk2"], d.code, "Công dân xin rút hồ sơ")
    assert out.status == out.outcome == "withdrawn" and out.finished_at == clock.now
    assert not out.open_steps
    assert {s.element_id for s in out.steps if s.state == "cancelled"} == {"Opinion_police", "Opinion_div"}
    assert [e.action for e in out.events][-2:] == ["dossier.withdrawn", "dossier.finished"]
    assert engine.inbox(world["police"]) == []
    assert engine.dossier_lifecycle(d.code).withdrawn_reason == "Công dân xin rút hồ sơ"
    with pytest.raises(StateError):
        engine.withdraw(world["clerk"], d.code)
    with pytest.raises(StateError):
        engine.record_collection(world["clerk"], d.code, "desk")


def test_result_collection_is_recorded_for_the_register(engine: Engine, world: World, deployed, clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    for actor, element, data in [("clerk", "Receive", {}), ("officer", "Examine", {"ket_qua": "dat"}),
                                 ("police", "Opinion_police", {}), ("officer", "Opinion_div", {}),
                                 ("leader", "Sign", {"so_quyet_dinh": "1/QĐ"})]:
        do(engine, world[actor], element, data)
    with pytest.raises(StateError):
        engine.record_collection(world["clerk"], d.code, "desk")
    clock.advance(hours=2)
    done = do(engine, world["clerk"], "Return")
    assert done.status == "returned" and done.finished_at == clock.now
    clock.advance(hours=1)
    with pytest.raises(InvalidInput):
        engine.record_collection(world["clerk"], d.code, "pigeon")
    with pytest.raises(PermissionDenied):
        engine.record_collection(world["officer"], d.code, "post")
    info = engine.record_collection(world["clerk"], d.code, "post", "Gửi qua bưu điện Phan Thiết")
    assert info.collection_method == "post" and info.returned_at == done.finished_at
    assert info.collection_label == "Qua dịch vụ bưu chính công ích"
