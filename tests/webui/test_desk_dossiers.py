"""The reception desk and its receipt (Mẫu 01), the dossier page (diagram, Mẫu 05), the search."""

from __future__ import annotations

import re

from engine import receipts
from engine.views import ProcedureSummary
from tests.webui.helpers import login, post
from webui.desk import checklist


def _receive(client, **extra):
    data = {"procedure": "T.000001", "applicant_name": "Nguyễn Văn An", "applicant_id_number": "001090012345",
            "applicant_phone": "0912345678", "applicant_address": "12 Trần Hưng Đạo, Phan Thiết",
            "field-so_ban_sao": "2", **extra}
    return post(client, "/desk", data, page="/desk?procedure=T.000001")


def test_desk_receives_and_shows_the_receipt_with_a_qr(client, engine, world, deployed):
    login(client, "clerk")
    form = client.get("/desk?procedure=T.000001").get_data(as_text=True)
    assert 'name="field-so_ban_sao"' in form and 'type="number"' in form
    response = _receive(client)
    assert response.status_code == 302
    code = response.headers["Location"].rsplit("/", 1)[-1]
    assert re.fullmatch(r"000\.00\.15\.H12-260302-0001", code)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert code in page and "Nguyễn Văn An" in page and "001090012345" in page
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in page
    assert "08:00 ngày 02/03/2026" in page  # received at, Asia/Ho_Chi_Minh
    due = engine.dossier(code).due_at
    assert engine.calendar().localize(due).strftime("%H:%M ngày %d/%m/%Y") in page
    assert f"/desk/receipt/{code}/qr.svg" in page
    qr = client.get(f"/desk/receipt/{code}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    assert engine.dossier(code).data == {"so_ban_sao": 2}


def test_desk_shows_errors_and_creates_nothing(client, engine, world, deployed):
    login(client, "clerk")
    response = _receive(client, applicant_name="", **{"field-so_ban_sao": "hai"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "bắt buộc nhập" in text and "0912345678" in text
    assert engine.inbox(world["clerk"]) == []


def test_desk_checklist_reads_metadata_defensively():
    def summary(meta):
        return ProcedureSummary("X", "X", 1, 1, 5, None, None, "", meta)  # type: ignore[arg-type]

    assert checklist(summary({})) == []
    assert checklist(summary({"documents": "not a list"})) == []
    docs = checklist(summary({"documents": ["Tờ khai", {"name": "Giấy chứng tử", "copies": "1", "originals": 0,
                                                        "required": False}, {"no": "name"}, 7]}))
    assert [d["name"] for d in docs] == ["Tờ khai", "Giấy chứng tử"]
    assert docs[1]["copies"] == 1 and docs[1]["originals"] == 0 and docs[1]["required"] is False


def test_receipt_lists_the_documents_received(client, engine, world):
    metadata = {"documents": [{"name": "Tờ khai đề nghị", "originals": 1, "required": False},
                              {"name": "Giấy chứng tử", "originals": 0, "copies": 1}]}
    from tests.conftest import DATA

    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=metadata)
    login(client, "clerk")
    form = client.get("/desk?procedure=T.000001").get_data(as_text=True)
    assert "Tờ khai đề nghị" in form and "Giấy chứng tử" in form
    response = _receive(client, doc_1="1", doc_1_originals="0", doc_1_copies="2")
    code = response.headers["Location"].rsplit("/", 1)[-1]
    assert receipts.documents_of(engine, code) == [receipts.ReceivedDocument("Giấy chứng tử", 0, 2)]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Giấy chứng tử" in page and "Tờ khai đề nghị" not in page


def _handle(engine, who, step_id, data=None):
    engine.claim(who, step_id)
    return engine.complete(who, step_id, data or {}, note="Chuyển tiếp")


def test_dossier_page_shows_diagram_and_control_form_with_timeliness(client, engine, world, deployed, clock):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "Nguyễn Văn An"})
    after = _handle(engine, world["clerk"], dossier.open_steps[0].id, {"du_giay_to": True})
    clock.advance(days=4)  # the examination (2 working days) is now late
    _handle(engine, world["officer"], after.open_steps[0].id, {"ket_qua": "dat"})
    login(client, "police")
    page = client.get(f"/dossiers/{dossier.code}").get_data(as_text=True)
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in page
    rows = page[page.index('class="control-form"'):]
    assert "Bộ phận Một cửa" in rows and ("Trước hạn" in rows or "Đúng hạn" in rows)
    assert "Quá hạn" in rows
    assert "Clerk → Phòng chuyên môn" in rows
    assert re.search(r"Officer → [^<]*Công an tỉnh", rows)
    assert "Việc cần làm tiếp" in page
    assert f"/dossiers/{dossier.code}/diagram.svg" in page
    svg = client.get(f"/dossiers/{dossier.code}/diagram.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert "late_completed" in text and "current" in text and "completed" in text


def test_dossier_page_is_refused_to_agencies_that_take_no_part(client, engine, world, deployed):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "Nguyễn Văn An"})
    login(client, "police")
    assert client.get(f"/dossiers/{dossier.code}").status_code == 403
    assert client.get(f"/dossiers/{dossier.code}/diagram.svg").status_code == 403
    assert client.get("/dossiers/KHONG-CO").status_code == 404


def test_search_by_code(client, engine, world, deployed):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "Nguyễn Văn An"})
    login(client, "clerk")
    found = client.get(f"/dossiers?code={dossier.code}")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/dossiers/{dossier.code}")
    missing = client.get("/dossiers?code=000.00.15.H12-260302-9999").get_data(as_text=True)
    assert "Không tìm thấy hồ sơ" in missing


def test_user_data_is_escaped(client, engine, world, deployed):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "<script>alert(1)</script>"})
    login(client, "clerk")
    for path in ("/inbox", f"/dossiers/{dossier.code}", f"/desk/receipt/{dossier.code}",
                 f"/steps/{dossier.open_steps[0].id}"):
        text = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text, path


def test_a_dossier_without_its_required_documents_gets_no_receipt(client, engine, world):
    metadata = {"documents": [{"name": "Tờ khai đề nghị", "originals": 1},
                              {"name": "Giấy tờ bổ trợ", "copies": 1, "required": False}]}
    from tests.conftest import DATA

    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=metadata)
    login(client, "clerk")
    form = client.get("/desk?procedure=T.000001").get_data(as_text=True)
    assert 'id="doc_0" name="doc_0" value="1" checked' in form  # required: offered ticked
    assert 'id="doc_1" name="doc_1" value="1" >' in form  # optional: starts unticked
    response = _receive(client)  # the required declaration is not ticked
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Chưa nhận đủ giấy tờ bắt buộc: Tờ khai đề nghị" in text and "Lập phiếu Mẫu 02" in text
    assert engine.inbox(world["clerk"]) == []
