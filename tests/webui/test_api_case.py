"""Through the API: forms that hold (every error at once, exact numbers, formats, a required tick),
one reception with ``first_step``, roles inside an agency, the case carried in the dossier, and
the signed result as a required file that the public lookup then offers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from engine.validation import validate_bpmn
from tests.conftest import DATA
from tests.webui.test_api import Api, Tokens

SIGNED = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
APPLICANT = {"name": "Lê Thị Mai", "id_number": "079123456789", "phone": "0901234567"}
START = {"ho_ten_nguoi_mat": "Lê Văn Tư", "ngay_mat": "2026-02-20"}


@pytest.fixture
def api(client, engine, world) -> Api:
    engine.deploy((DATA / "case_forms.bpmn").read_bytes(), filename="case_forms.bpmn")
    return Api(client, Tokens(client))


def receive(api: Api, first: dict[str, Any] | None = None, **data: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"procedure": "T.000002", "applicant": APPLICANT, "data": {**START, **data}}
    if first is not None:
        body["first_step"] = first
    r = api("POST", "/dossiers", "clerk", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def complete(api: Api, who: str, element_name: str, data: dict[str, Any]) -> Any:
    step = api.step(who, element_name)
    assert api("POST", f"/steps/{step['id']}/claim", who).status_code == 200
    return api("POST", f"/steps/{step['id']}/complete", who, json={"data": data})


def test_the_test_diagram_is_valid() -> None:
    assert [p.format() for p in validate_bpmn((DATA / "case_forms.bpmn").read_bytes())
            if p.severity.name == "ERROR"] == []


def test_every_bad_value_is_refused_at_once_and_nothing_is_created(api: Api, engine, world, clock) -> None:
    tomorrow = (clock().date() + timedelta(days=1)).isoformat()
    r = api("POST", "/dossiers", "clerk", json={
        "procedure": "T.000002", "applicant": {"name": "", "id_number": "1", "email": "not-an-email",
                                               "phone": "abc<>xyz"},
        "data": {"ho_ten_nguoi_mat": "Lê Văn Tư", "so_dinh_danh_nguoi_mat": "12345", "ngay_mat": tomorrow,
                 "email_lien_he": "a@", "dien_thoai_lien_he": "12", "ma_ho_so_cu": "ab-12"},
        "first_step": {"co_to_khai": False}})
    assert r.status_code == 400
    errors = r.get_json()["errors"]
    assert set(errors) == {"applicant.name", "applicant.id_number", "applicant.email", "applicant.phone",
                           "so_dinh_danh_nguoi_mat", "ngay_mat", "email_lien_he", "dien_thoai_lien_he",
                           "ma_ho_so_cu", "first_step.co_to_khai"}
    assert errors["ngay_mat"] == "ngày không được sau hôm nay"
    assert errors["first_step.co_to_khai"] == "phải đánh dấu"
    assert "12 chữ số" in errors["so_dinh_danh_nguoi_mat"]
    assert not any("(" in m and "required" in m for m in errors.values())  # no English glosses
    assert engine.inbox(world["clerk"]) == []


def test_one_reception_completes_the_desks_first_step(api: Api, engine, world) -> None:
    created = receive(api, {"co_to_khai": True})
    d = engine.dossier(created["code"])
    first = next(s for s in d.steps if s.element_id == "Receive")
    assert first.state == "completed" and first.form_data == {"co_to_khai": True}
    assert [s.element_id for s in d.open_steps] == ["Examine"]
    # Without first_step the first step stays open in the desk's queue, as before.
    other = receive(api)
    assert [s.element_id for s in engine.dossier(other["code"]).open_steps] == ["Receive"]


def test_a_required_tick_left_false_is_refused_when_completing(api: Api) -> None:
    receive(api)
    r = complete(api, "clerk", "Tiếp nhận, kiểm tra hồ sơ", {"co_to_khai": False})
    assert r.status_code == 400 and r.get_json()["errors"] == {"co_to_khai": "phải đánh dấu"}


def test_numbers_are_exact(api: Api, engine) -> None:
    code = receive(api, {"co_to_khai": True})["code"]
    r = complete(api, "officer", "Thẩm định, đề xuất", {"so_tien_de_xuat": "10000000.5", "he_so": "1,5"})
    assert r.status_code == 400 and r.get_json()["errors"] == {"so_tien_de_xuat": "phải là số nguyên"}
    r = api("POST", f"/steps/{api.step('officer', 'Thẩm định, đề xuất')['id']}/complete", "officer",
            json={"data": {"so_tien_de_xuat": 10_000_000, "he_so": 10000000.5}})
    assert r.status_code == 200, r.get_json()
    examined = next(s for s in engine.dossier(code).steps if s.element_id == "Examine")
    assert examined.form_data == {"so_tien_de_xuat": 10_000_000, "he_so": "10000000.5"}
    assert Decimal(examined.form_data["he_so"]) == Decimal("10000000.5")


def test_roles_inside_an_agency_decide_inboxes_and_claims(api: Api) -> None:
    receive(api)
    # lead_pcm (a leader of the division) does not see or take the officer's examination.
    receive(api, {"co_to_khai": True})
    assert [s["name"] for s in api("GET", "/inbox", "lead_pcm").get_json()] == []
    examine = api.step("officer", "Thẩm định, đề xuất")
    assert examine["role"] == "officer"
    r = api("POST", f"/steps/{examine['id']}/claim", "lead_pcm")
    assert r.status_code == 403


def test_the_case_travels_with_the_dossier_and_the_result_downloads(api: Api, client, engine) -> None:
    code = receive(api, {"co_to_khai": True}, so_dinh_danh_nguoi_mat="079123456780")["code"]
    r = complete(api, "officer", "Thẩm định, đề xuất", {"so_tien_de_xuat": 9_000_000})
    assert r.status_code == 200, r.get_json()
    sign = api.step("leader", "Ký quyết định")
    assert api("POST", f"/steps/{sign['id']}/claim", "leader").status_code == 200
    # The signed result is required, and must be a document of this dossier.
    r = api("POST", f"/steps/{sign['id']}/complete", "leader", json={"data": {"so_tien_ho_tro": 9_000_000}})
    assert r.status_code == 400 and set(r.get_json()["errors"]) == {"quyet_dinh_da_ky"}
    r = api("POST", f"/steps/{sign['id']}/complete", "leader",
            json={"data": {"so_tien_ho_tro": 9_000_000, "quyet_dinh_da_ky": 999}})
    assert r.status_code == 400 and r.get_json()["errors"] == {"quyet_dinh_da_ky": "tệp không thuộc hồ sơ này"}
    import io

    r = api("POST", f"/dossiers/{code}/documents", "leader", content_type="multipart/form-data",
            data={"file": (io.BytesIO(SIGNED), "quyet-dinh.pdf"), "kind": "signed_result", "step": str(sign["id"])})
    assert r.status_code == 201, r.get_json()
    document = r.get_json()["id"]
    r = api("POST", f"/steps/{sign['id']}/complete", "leader",
            json={"data": {"so_tien_ho_tro": 9_000_000, "quyet_dinh_da_ky": document}})
    assert r.status_code == 200, r.get_json()
    assert api("GET", f"/public/dossiers/{code}").get_json()["has_result"] is True

    full = api("GET", f"/dossiers/{code}", "clerk").get_json()
    assert full["data"]["so_dinh_danh_nguoi_mat"] == "079123456780" and full["data"]["ngay_mat"] == "2026-02-20"
    steps = {s["name"]: s for s in full["steps"]}
    assert steps["Thẩm định, đề xuất"]["data"] == {"so_tien_de_xuat": 9_000_000, "he_so": None}
    assert steps["Thẩm định, đề xuất"]["completed_by"] == "officer"
    assert steps["Ký quyết định"]["data"]["quyet_dinh_da_ky"] == str(document)
    assert steps["Trả kết quả"]["data"] is None  # still open

    r = complete(api, "clerk", "Trả kết quả", {})
    assert r.status_code == 200, r.get_json()
    with engine.Session() as s:
        from engine import models

        secret = s.query(models.Dossier).filter_by(code=code).one().lookup_secret
    page = client.get(f"/tra-cuu?code={code}").get_data(as_text=True)
    assert "Tải kết quả" in page
    from tests.webui.helpers import post

    got = post(client, "/tra-cuu/ket-qua", {"code": code, "secret": secret}, page=f"/tra-cuu?code={code}")
    assert got.status_code == 200 and got.data == SIGNED


def test_the_amount_is_offered_from_the_proposal_on_the_step_page(api: Api, client, engine) -> None:
    from tests.webui.helpers import login

    receive(api, {"co_to_khai": True})
    complete(api, "officer", "Thẩm định, đề xuất", {"so_tien_de_xuat": 9_000_000})
    sign = api.step("leader", "Ký quyết định")
    login(client, "leader")
    page = client.get(f"/steps/{sign['id']}").get_data(as_text=True)
    assert 'value="9000000"' in page  # pre-filled from the proposal (the sandboxed ${so_tien_de_xuat})
    assert "Số tiền đề xuất (đồng)" in page and "9.000.000" in page  # the case, with labels


def test_a_lookup_offers_no_download_before_the_result_exists(api: Api, client) -> None:
    code = receive(api, {"co_to_khai": True})["code"]
    assert "Tải kết quả" not in client.get(f"/tra-cuu?code={code}").get_data(as_text=True)
    assert api("GET", f"/public/dossiers/{code}").get_json()["has_result"] is False


def test_dates_in_the_future_are_refused_only_where_declared(api: Api, clock) -> None:
    future = (clock().date() + timedelta(days=3)).isoformat()
    r = api("POST", "/dossiers", "clerk", json={"procedure": "T.000002", "applicant": APPLICANT,
                                                 "data": {**START, "ngay_mat": future}})
    assert r.status_code == 400 and set(r.get_json()["errors"]) == {"ngay_mat"}
    assert date.fromisoformat(START["ngay_mat"]) <= clock().date()
