"""Documents in the web UI and API: scans at the desk, the dossier's checklist, safe downloads, the
applicant's result behind the receipt's secret, dossier search, digitisation figures, handover notes."""

from __future__ import annotations

import io
import re

import pytest

from engine.runtime import Engine
from tests.conftest import DATA
from tests.engine.test_documents import DOCX, METADATA, PDF, PNG
from tests.webui.helpers import csrf, login, post
from tests.webui.test_api import Api, Tokens

HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def documented(engine: Engine, world) -> str:
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=METADATA)
    return "T.000001"


def _receive(client, files: dict[str, tuple[bytes, str]], **extra):
    data = {"procedure": "T.000001", "applicant_name": "Nguyễn Văn An", "applicant_id_number": "079123456789",
            "field-so_ban_sao": "1", **extra}
    for name, (content, filename) in files.items():
        data[name] = (io.BytesIO(content), filename)
    return post(client, "/desk", data, page="/desk?procedure=T.000001", content_type="multipart/form-data")


def _handle(engine: Engine, who, element: str, data=None, note: str = ""):
    step = next(s for s in engine.inbox(who) if s.element_id == element)
    engine.claim(who, step.id)
    return engine.complete(who, step.id, data or {}, note=note)


def test_desk_attaches_scans_matched_to_the_checklist(client, engine, world, documented):
    login(client, "clerk")
    form = client.get("/desk?procedure=T.000001").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="doc_0_file"' in form
    response = _receive(client, {"doc_0_file": (PDF, "to khai.pdf")}, doc_1="1")  # the paper copy, not scanned
    assert response.status_code == 302, response.get_data(as_text=True)
    code = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "to khai.pdf" in page and "Tờ khai đề nghị" in page
    assert page.count("Chưa số hóa") == 1  # the death certificate is still missing; the optional one is not flagged
    receipt = client.get(f"/desk/receipt/{code}").get_data(as_text=True)
    with engine.Session() as s:
        from engine import models

        secret = s.query(models.Dossier).one().lookup_secret
    assert "Mã bí mật nhận kết quả điện tử" in receipt and secret in receipt


def test_desk_refuses_html_disguised_as_pdf_and_creates_nothing(client, engine, world, documented):
    login(client, "clerk")
    response = _receive(client, {"doc_1_file": (HTML_AS_PDF, "giay chung tu.pdf")})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Loại tệp không được nhận" in text and "Nguyễn Văn An" in text
    with engine.Session() as s:
        from engine import models

        assert s.query(models.Dossier).count() == 0 and s.query(models.Document).count() == 0


def test_downloads_are_attachments_with_safe_headers_and_only_for_agencies_taking_part(
        client, app, engine, world, documented):
    d = engine.start_dossier(world["clerk"], "T.000001", {"name": "Nguyễn Văn An"})
    login(client, "clerk")
    page = client.get(f"/dossiers/{d.code}").get_data(as_text=True)
    r = client.post(f"/dossiers/{d.code}/documents", data={
        "csrf_token": csrf(page), "kind": "scan", "requirement": "giay-chung-tu",
        "file": (io.BytesIO(PNG), "Giấy chứng tử <b>.png")}, content_type="multipart/form-data")
    assert r.status_code == 302 and r.headers["Location"].endswith("#documents")
    doc_id = int(re.search(r'/documents/(\d+)"', client.get(f"/dossiers/{d.code}").get_data(as_text=True))[1])
    r = client.get(f"/documents/{doc_id}")
    assert r.status_code == 200 and r.data == PNG
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers["Content-Disposition"].startswith("attachment; filename=")
    assert "filename*=UTF-8''Gi%E1%BA%A5y%20ch%E1%BB%A9ng%20t%E1%BB%AD%20b.png" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"].startswith("sandbox")
    # a disguised file is refused, with a message, and nothing is added
    r = client.post(f"/dossiers/{d.code}/documents", data={
        "csrf_token": csrf(page), "kind": "scan", "file": (io.BytesIO(HTML_AS_PDF), "ket qua.pdf")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Không nhận tệp" in r.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf(page)})
    login(client, "police")  # no step in this dossier
    assert client.get(f"/documents/{doc_id}").status_code == 403
    r = client.post(f"/dossiers/{d.code}/documents", data={
        "csrf_token": csrf(client.get("/inbox").get_data(as_text=True)), "kind": "scan",
        "file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 403
    # a stored file altered on disk is never served
    store = app.extensions["lienthong_documents"].store
    path = next(p for p in store.root.rglob("*") if p.is_file())
    path.chmod(0o640)
    path.write_bytes(b"<html>tampered</html>")
    client.post("/logout", data={"csrf_token": csrf(client.get("/inbox").get_data(as_text=True))})
    login(client, "clerk")
    r = client.get(f"/documents/{doc_id}")
    assert r.status_code == 500 and b"tampered" not in r.data


def test_handover_notes_and_result_reach_the_history_the_control_form_and_the_applicant(
        client, engine, world, documented):
    d = engine.start_dossier(world["clerk"], "T.000001", {"name": "Nguyễn Văn An"})
    _handle(engine, world["clerk"], "Receive", note="Đã kiểm tra đủ giấy tờ")
    _handle(engine, world["officer"], "Examine", {"ket_qua": "dat"}, note="Đủ điều kiện hưởng")
    _handle(engine, world["police"], "Opinion_police")
    _handle(engine, world["officer2"], "Opinion_div")
    login(client, "leader")
    sign = next(s for s in engine.inbox(world["leader"]) if s.element_id == "Sign")
    page = client.get(f"/steps/{sign.id}").get_data(as_text=True)
    assert f'name="step" value="{sign.id}"' in page
    r = client.post(f"/dossiers/{d.code}/documents", data={
        "csrf_token": csrf(page), "kind": "signed_result", "step": str(sign.id), "back": "step",
        "file": (io.BytesIO(PDF), "Quyết định.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/steps/{sign.id}")
    _handle(engine, world["leader"], "Sign", {"so_quyet_dinh": "12/QĐ-UBND"}, note="Đồng ý ký")
    _handle(engine, world["clerk2"], "Return")
    dossier_page = client.get(f"/dossiers/{d.code}").get_data(as_text=True)
    control = dossier_page.split("Mẫu 05")[1].split("</table>")[0]
    history = dossier_page.split('class="history"')[1]
    for note in ("Đã kiểm tra đủ giấy tờ", "Đủ điều kiện hưởng", "Đồng ý ký"):
        assert note in control and note in history
    assert "Kết quả đã ký" in dossier_page
    # the applicant, anonymous: the lookup asks for the receipt's secret
    client.post("/logout", data={"csrf_token": csrf(dossier_page)})
    lookup = client.get(f"/tra-cuu?code={d.code}").get_data(as_text=True)
    assert 'name="secret"' in lookup
    wrong = client.post("/tra-cuu/ket-qua", data={"csrf_token": csrf(lookup), "code": d.code, "secret": "000000"})
    assert wrong.status_code == 404 and "không đúng" in wrong.get_data(as_text=True)
    with engine.Session() as s:
        from engine import models

        secret = s.query(models.Dossier).one().lookup_secret
    r = client.post("/tra-cuu/ket-qua", data={"csrf_token": csrf(lookup), "code": d.code, "secret": secret})
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Disposition"].startswith("attachment;")


def test_search_page_by_name_without_diacritics_within_visibility(client, engine, world, documented):
    engine.start_dossier(world["clerk"], "T.000001", {"name": "Nguyễn Văn An"})
    engine.start_dossier(world["clerk"], "T.000001", {"name": "Trần Thị Bình"})
    login(client, "clerk")
    page = client.get("/dossiers?q=nguyen+van+an").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Trần Thị Bình" not in page
    page = client.get("/dossiers?status=received&from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Trần Thị Bình" in page
    assert "Ngày không hợp lệ" in client.get("/dossiers?from=hom-qua").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf(page)})
    login(client, "lead_pcm")  # the division has no step in them yet
    page = client.get("/dossiers?q=nguyen").get_data(as_text=True)
    assert "Nguyễn Văn An" not in page and "Không có hồ sơ nào phù hợp" in page


def test_the_api_attaches_lists_downloads_and_searches(client, app, engine, world, documented):
    api = Api(client, Tokens(client))
    r = api("POST", "/dossiers", "clerk", json={"procedure": "T.000001", "applicant": {"name": "Nguyễn Văn An"}})
    code = r.get_json()["code"]
    r = api("POST", f"/dossiers/{code}/documents", "clerk", data={
        "file": (io.BytesIO(PDF), "tờ khai.pdf"), "kind": "scan", "requirement": "to-khai-de-nghi"},
        content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    assert doc["requirement"] == "to-khai-de-nghi" and doc["at_reception"] and doc["media_type"] == "application/pdf"
    assert r.headers["Location"] == doc["url"] == f"/api/v1/documents/{doc['id']}"
    again = api("POST", f"/dossiers/{code}/documents", "clerk", data={"file": (io.BytesIO(PDF), "b.pdf")},
                content_type="multipart/form-data").get_json()
    assert again["sha256"] == doc["sha256"] and again["id"] != doc["id"]
    r = api("POST", f"/dossiers/{code}/documents", "clerk", data={"file": (io.BytesIO(HTML_AS_PDF), "x.pdf")},
            content_type="multipart/form-data")
    assert r.status_code == 400 and r.get_json()["error"]
    app.extensions["lienthong_documents"].max_bytes = 4096  # the limit is configurable (default 20 MB)
    r = api("POST", f"/dossiers/{code}/documents", "clerk", data={
        "file": (io.BytesIO(PDF + b"0" * 4096), "big.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 413 and "tối đa" in r.get_json()["error"]
    assert api("POST", f"/dossiers/{code}/documents", "clerk").status_code == 400
    assert api("POST", f"/dossiers/{code}/documents", "police", data={"file": (io.BytesIO(DOCX), "x.docx")},
               content_type="multipart/form-data").status_code == 403
    listing = api("GET", f"/dossiers/{code}/documents", "clerk").get_json()
    assert [d["id"] for d in listing["documents"]] == [doc["id"], again["id"]]
    assert listing["missing"] == ["giay-chung-tu"]
    assert api("GET", f"/dossiers/{code}/documents", "police").status_code == 403
    r = api("GET", doc["url"].removeprefix("/api/v1"), "clerk")
    assert r.status_code == 200 and r.data == PDF and r.headers["Content-Disposition"].startswith("attachment")
    assert api("GET", doc["url"].removeprefix("/api/v1"), "police").status_code == 403
    assert api("GET", "/documents/999999", "clerk").status_code == 404

    found = api("GET", "/dossiers?q=nguyen%20van%20an", "clerk").get_json()
    assert [i["code"] for i in found["items"]] == [code] and found["has_next"] is False
    assert api("GET", "/dossiers?q=nguyen", "leader").get_json()["items"] == []  # not taking part
    assert api("GET", "/dossiers?status=nope", "clerk").status_code == 400
    assert api("GET", "/dossiers?page=x", "clerk").status_code == 400
    assert api("GET", "/dossiers", "officer").status_code == 403

    stats = api("GET", "/stats?from=2026-03-01&to=2026-03-31", "leader").get_json()
    assert stats["digitisation"]["by_procedure"] == [{
        "procedure": "T.000001", "name": "Thủ tục thử nghiệm ba cơ quan", "received": 1, "with_list": 1,
        "digitised": 0, "share": 0.0, "online": 0, "online_share": 0.0}]
    api("POST", f"/dossiers/{code}/documents", "clerk", data={
        "file": (io.BytesIO(PNG), "c.png"), "requirement": "giay-chung-tu"}, content_type="multipart/form-data")
    stats = api("GET", "/stats?from=2026-03-01&to=2026-03-31", "leader").get_json()
    assert stats["digitisation"]["by_agency"][0]["share"] == 100.0


def test_dashboard_shows_the_digitisation_share(client, engine, world, documented):
    engine.start_dossier(world["clerk"], "T.000001", {"name": "Nguyễn Văn An"})
    login(client, "leader")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Số hóa hồ sơ khi tiếp nhận" in page and "0,0%" in page
