"""The lifecycle through the JSON API: apology, withdrawal, result collection, reassignment."""

from __future__ import annotations

import pytest

from tests.conftest import vn
from tests.webui.test_api import Api, Tokens, receive


@pytest.fixture
def api(client, deployed) -> Api:
    return Api(client, Tokens(client))


def events_of(api: Api, code: str) -> list[str]:
    return [e["action"] for e in api("GET", f"/dossiers/{code}", "clerk").get_json()["events"]]


def test_apology_by_the_leader_only_in_time_numbered_once(api: Api, clock, engine):
    code = receive(api)  # Mon 2 March 08:00, due Mon 9 March 08:00
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ")
    url = f"/dossiers/{code}/apology"
    body = {"reason": "Cần xác minh tại địa phương", "new_due_at": "2026-03-12"}
    officer = api("POST", url, "officer", json=body)
    assert officer.status_code == 403 and "lãnh đạo" in officer.get_json()["error"]
    assert api("POST", url, "leader", json=body).status_code == 403  # a leader of an agency holding no step
    assert api("POST", "/dossiers/KHONG-CO/apology", "lead_pcm", json=body).status_code == 404
    for bad in ({"reason": "x"}, {"reason": "", "new_due_at": "2026-03-12"}, {"reason": "x", "new_due_at": "mai"},
                {"reason": 5, "new_due_at": "2026-03-12"}):
        r = api("POST", url, "lead_pcm", json=bad)
        assert r.status_code == 400 and r.get_json()["error"]
    assert api("POST", url, "lead_pcm", json={"reason": "x", "new_due_at": "2026-03-14"}).status_code == 400
    clock.set(vn(2026, 3, 6, 10, 0))  # less than one working day before the due time
    api.refresh()
    late = api("POST", url, "lead_pcm", json=body)
    assert late.status_code == 409 and "01 ngày làm việc" in late.get_json()["error"]
    assert engine.dossier_lifecycle(code).apology is None
    clock.set(vn(2026, 3, 4, 10, 0))
    api.refresh()
    done = api("POST", url, "lead_pcm", json=body)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["due_at"] == "2026-03-12T17:00:00+07:00"
    assert engine.dossier_lifecycle(code).apology.reference == "1/2026/PXL"
    assert "dossier.apology" in events_of(api, code)
    again = api("POST", url, "lead_pcm", json={"reason": "Lần nữa", "new_due_at": "2026-03-13T10:00"})
    assert again.status_code == 409


def test_withdrawal_by_the_receiving_desk(api: Api):
    code = receive(api)
    url = f"/dossiers/{code}/withdrawal"
    assert api("POST", url, "officer", json={"reason": "Xin rút"}).status_code == 403
    assert api("POST", url, "clerk", json={"reason": 3}).status_code == 400
    r = api("POST", url, "clerk", json={"reason": "Người nộp xin rút"})
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    assert api("POST", url, "clerk", json={}).status_code == 409  # already finished
    assert "dossier.withdrawn" in events_of(api, code)


def test_result_collected_after_the_return(api: Api):
    code = receive(api)
    url = f"/dossiers/{code}/result-collected"
    early = api("POST", url, "clerk", json={"method": "desk"})
    assert early.status_code == 409  # no result yet
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ")
    api.handle("officer", "Thẩm định hồ sơ", {"ket_qua": "dat"})
    api.handle("police", "Công an cho ý kiến")
    api.handle("officer2", "Phòng tổng hợp ý kiến")
    api.handle("leader", "Ký quyết định", {"so_quyet_dinh": "12/QĐ-UBND"})
    api.handle("clerk2", "Trả kết quả")
    assert api("POST", url, "clerk", json={"method": "bo_cau"}).status_code == 400
    assert api("POST", url, "officer", json={"method": "desk"}).status_code == 403
    r = api("POST", url, "clerk", json={"method": "post", "note": "Gửi qua bưu điện"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["collection"] == {"method": "post", "note": "Gửi qua bưu điện"}


def test_reassign_by_a_leader_within_the_agency(api: Api):
    code = receive(api)
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ")
    step = api.step("officer", "Thẩm định hồ sơ")
    url = f"/steps/{step['id']}/reassign"
    assert api("POST", url, "officer", json={"to": "officer2"}).status_code == 403
    assert api("POST", url, "lead_pcm", json={}).status_code == 400
    assert api("POST", url, "lead_pcm", json={"to": "khong_co"}).status_code == 404
    assert api("POST", url, "lead_pcm", json={"to": "police"}).status_code == 403  # another agency
    assert api("POST", "/steps/999999/reassign", "lead_pcm", json={"to": "officer2"}).status_code == 404
    r = api("POST", url, "lead_pcm", json={"to": "Officer2"})
    assert r.status_code == 200 and r.get_json()["assignee"] == "officer2" and r.get_json()["state"] == "claimed"
    assert "step.reassigned" in events_of(api, code)


def test_the_lifecycle_endpoints_are_in_the_openapi_document(api: Api):
    paths = api("GET", "/openapi.json").get_json()["paths"]
    for path in ("/api/v1/dossiers/{code}/apology", "/api/v1/dossiers/{code}/withdrawal",
                 "/api/v1/dossiers/{code}/supplement-request", "/api/v1/dossiers/{code}/supplement-received",
                 "/api/v1/dossiers/{code}/refusal",
                 "/api/v1/dossiers/{code}/result-collected", "/api/v1/steps/{step_id}/reassign"):
        assert set(paths[path]["post"]["responses"]) >= {"200", "400", "401", "403", "404", "409"}
    assert api("POST", "/dossiers/X/apology", json={}).status_code == 401


def test_supplement_request_and_received_through_the_api(api: Api):
    code = receive(api)
    ask = f"/dossiers/{code}/supplement-request"
    back = f"/dossiers/{code}/supplement-received"
    assert api("POST", back, "clerk", json={}).status_code == 409  # not waiting for a supplement
    assert api("POST", ask, "officer", json={"reason": "Thiếu tờ khai"}).status_code == 403  # PCM holds no step yet
    # the desk's step offers no such choice
    assert api("POST", ask, "clerk", json={"reason": "Thiếu tờ khai"}).status_code == 409
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ")
    assert api("POST", ask, "officer", json={}).status_code == 400
    assert api("POST", ask, "officer", json={"reason": "x", "data": []}).status_code == 400
    assert api("POST", ask, "police", json={"reason": "x"}).status_code == 403  # not visible to the police yet
    r = api("POST", ask, "officer", json={"reason": "Thiếu bản sao giấy chứng tử"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "waiting_supplement"
    assert api("POST", back, "officer", json={}).status_code == 403  # the desk receives the supplement
    r = api("POST", back, "clerk", json={"note": "Đã nộp bản sao"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "processing"
    actions = events_of(api, code)
    assert "dossier.waiting_supplement" in actions and "dossier.supplemented" in actions


def test_refusal_during_processing_through_the_api(api: Api, engine):
    code = receive(api)
    url = f"/dossiers/{code}/refusal"
    assert api("POST", url, "officer", json={"reason": "Không đủ điều kiện"}).status_code == 403  # no step yet
    # the desk's reception step offers no refusal
    assert api("POST", url, "clerk", json={"reason": "Không đủ điều kiện"}).status_code == 409
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ")
    assert api("POST", url, "officer", json={}).status_code == 400
    assert api("POST", url, "officer", json={"reason": "x", "data": "no"}).status_code == 400
    assert api("POST", url, "police", json={"reason": "x"}).status_code == 403
    assert engine.dossier(code).status == "processing"  # nothing changed by the refused calls
    r = api("POST", url, "officer", json={"reason": "Người đề nghị không thuộc diện hưởng"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "refused"
    examine = next(s for s in engine.dossier(code).steps if s.element_id == "Examine")
    assert examine.form_data is not None and examine.note == "Người đề nghị không thuộc diện hưởng"
    assert examine.form_data["ket_qua"] == "khong_dat"
    assert examine.form_data["ly_do"] == "Người đề nghị không thuộc diện hưởng"
    assert api("POST", url, "officer", json={"reason": "Lần nữa"}).status_code == 403  # nothing of theirs is open
