"""The lifecycle pages: desk notices (Mẫu 02, 03), printed forms (Mẫu 01, 04, 05), apology, withdrawal,
result collection and the register (Mẫu 06) — each through the page with CSRF and its permission rule."""

from __future__ import annotations

from tests.conftest import vn
from tests.webui.helpers import login, post

APPLICANT = {"applicant_name": "Nguyễn Văn An", "applicant_id_number": "079123456789",
             "applicant_phone": "0901234567", "applicant_address": "Phan Thiết"}
JOURNEY = [("clerk", "Receive", {}), ("officer", "Examine", {"ket_qua": "dat"}), ("police", "Opinion_police", {}),
           ("officer", "Opinion_div", {}), ("leader", "Sign", {"so_quyet_dinh": "1/QĐ"}), ("clerk", "Return", {})]


def do(engine, actor, element, data=None):
    step = next(s for s in engine.inbox(actor) if s.element_id == element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {}, note="Chuyển tiếp")


def started(engine, world, deployed, name="Nguyễn Văn An"):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": name, "phone": "0901234567"})
    do(engine, world["clerk"], "Receive")
    return dossier.code


def assert_pdf(response, filename):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'


def assert_login_required(client, path, method="get"):
    response = getattr(client, method)(path)
    assert response.status_code in (302, 400) and (method != "get" or "/login" in response.headers["Location"])


# ---------------------------------------------------------------- desk notices (Mẫu 02, 03)


def test_supplement_notice_through_the_desk_prints_and_downloads(client, engine, world, deployed):
    login(client, "clerk")
    desk = client.get("/desk?procedure=T.000001").get_data(as_text=True)
    assert "Yêu cầu bổ sung hồ sơ (Mẫu 02)" in desk and "Từ chối tiếp nhận (Mẫu 03)" in desk
    assert "/desk/notices/new?kind=supplement&amp;procedure=T.000001" in desk
    data = {"kind": "supplement", "procedure": deployed, **APPLICANT, "reason": "Thiếu giấy chứng tử",
            "doc_0_name": "Giấy chứng tử", "doc_0_kind": "certified", "doc_0_count": "2",
            "doc_1_name": "Tờ khai", "doc_1_kind": "original", "guide_phone": "0252 3822 000",
            "guide_website": "dichvucong.gov.vn"}
    response = post(client, "/desk/notices/new", data, page="/desk/notices/new?kind=supplement")
    assert response.status_code == 302
    notice = engine.desk_notices(world["clerk"])[0]
    assert response.headers["Location"].endswith(f"/desk/notices/{notice.id}")
    assert notice.kind == "supplement" and notice.reference == "1/2026"
    assert [(d["name"], d["kind"], d["count"]) for d in notice.documents] == [
        ("Giấy chứng tử", "certified", 2), ("Tờ khai", "original", 1)]
    assert notice.guidance == {"website": "dichvucong.gov.vn", "official": "Clerk", "phone": "0252 3822 000"}
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ" in text and "Bản sao có chứng thực" in text
    assert "Nguyễn Văn An" in text and "Tải PDF" in text and "size: A5" in text
    assert "'sha256-" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert_pdf(client.get(f"/desk/notices/{notice.id}.pdf"), "mau02-1-2026.pdf")
    listing = client.get("/desk/notices").get_data(as_text=True)
    assert "1/2026" in listing and f"/desk/notices/{notice.id}.pdf" in listing


def test_refusal_notice_shows_the_engine_error_and_creates_nothing(client, engine, world, deployed):
    login(client, "clerk")
    page = "/desk/notices/new?kind=refusal"
    bad = post(client, "/desk/notices/new", {"kind": "refusal", "procedure": deployed, **APPLICANT,
                                             "reasons": "   \n  "}, page=page)
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Phải nêu rõ lý do" in text and "079123456789" in text  # the form keeps what was typed
    no_name = post(client, "/desk/notices/new", {"kind": "refusal", "procedure": deployed, "reasons": "x"},
                   page=page)
    assert no_name.status_code == 400 and "bắt buộc nhập" in no_name.get_data(as_text=True)
    bad_doc = post(client, "/desk/notices/new", {"kind": "supplement", "procedure": deployed, **APPLICANT,
                                                 "reason": "x", "doc_0_name": "Tờ khai", "doc_0_count": "0"},
                   page=page)
    assert bad_doc.status_code == 400 and "Số bản phải từ 1 đến 99" in bad_doc.get_data(as_text=True)
    assert engine.desk_notices(world["clerk"]) == []
    ok = post(client, "/desk/notices/new", {"kind": "refusal", "procedure": deployed, **APPLICANT,
                                            "reasons": "Không thuộc thẩm quyền\nHồ sơ giả mạo"}, page=page)
    assert ok.status_code == 302
    notice = engine.desk_notices(world["clerk"])[0]
    assert notice.kind == "refusal" and notice.reasons == ["Không thuộc thẩm quyền", "Hồ sơ giả mạo"]
    assert "Phiếu từ chối" in client.get(ok.headers["Location"]).get_data(as_text=True)
    assert_pdf(client.get(f"/desk/notices/{notice.id}.pdf"), "mau03-1-2026.pdf")


def test_desk_notice_permissions(client, engine, world, deployed, app):
    notice = engine.refuse_at_desk(world["clerk"], deployed, {"name": "An"}, reasons="x")
    for path in ("/desk/notices/new", "/desk/notices", f"/desk/notices/{notice.id}",
                 f"/desk/notices/{notice.id}.pdf"):
        assert_login_required(client, path)
    login(client, "officer")
    assert client.get("/desk/notices/new").status_code == 403
    assert client.get(f"/desk/notices/{notice.id}").status_code == 403
    assert post(client, "/desk/notices/new", {"kind": "refusal", "procedure": deployed, **APPLICANT,
                                              "reasons": "x"}).status_code == 403
    other = app.test_client()
    login(other, "leader")  # a leader of another agency: the notice is not even known
    assert other.get(f"/desk/notices/{notice.id}").status_code == 404
    assert other.get(f"/desk/notices/{notice.id}.pdf").status_code == 404
    assert len(engine.desk_notices(world["clerk"])) == 1


# ---------------------------------------------------------------- printed forms of a dossier


def test_dossier_page_links_the_printed_forms(client, engine, world, deployed):
    code = started(engine, world, deployed)
    login(client, "clerk")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    for form in ("mau01", "mau05"):
        assert f"/dossiers/{code}/forms/{form}" in page and f"/dossiers/{code}/forms/{form}.pdf" in page
    assert f"/dossiers/{code}/forms/mau04" not in page
    receipt = client.get(f"/dossiers/{code}/forms/mau01")
    text = receipt.get_data(as_text=True)
    assert receipt.status_code == 200 and code in text and "data:image/svg+xml" in text
    assert "img-src 'self' data:" in receipt.headers["Content-Security-Policy"]
    control = client.get(f"/dossiers/{code}/forms/mau05").get_data(as_text=True)
    assert "Tiếp nhận hồ sơ" in control and code in control
    assert_pdf(client.get(f"/dossiers/{code}/forms/mau01.pdf"), f"mau01-{code}.pdf")
    assert_pdf(client.get(f"/dossiers/{code}/forms/mau05.pdf"), f"mau05-{code}.pdf")
    assert client.get(f"/dossiers/{code}/forms/mau04").status_code == 404  # no apology yet
    assert client.get(f"/dossiers/{code}/forms/mau09").status_code == 404


def test_printed_forms_only_for_officials_who_see_the_dossier(client, engine, world, deployed, app):
    code = started(engine, world, deployed)
    assert_login_required(client, f"/dossiers/{code}/forms/mau01")
    assert_login_required(client, f"/dossiers/{code}/forms/mau05.pdf")
    login(client, "police")  # takes no part yet
    assert client.get(f"/dossiers/{code}/forms/mau01").status_code == 403
    assert client.get(f"/dossiers/{code}/forms/mau05.pdf").status_code == 403
    officer = app.test_client()
    login(officer, "officer")  # holds the examination step
    assert officer.get(f"/dossiers/{code}/forms/mau05").status_code == 200


# ---------------------------------------------------------------- apology (Mẫu 04)


def test_apology_through_the_dossier_page(client, engine, world, deployed, clock, app):
    code = started(engine, world, deployed)  # due Mon 9 March 08:00
    clock.set(vn(2026, 3, 4, 10))
    officer = app.test_client()
    login(officer, "officer")  # an officer of the agency at fault: no form, and refused
    assert 'action="/dossiers/' + code + '/apology"' not in officer.get(f"/dossiers/{code}").get_data(as_text=True)
    assert post(officer, f"/dossiers/{code}/apology", {"reason": "x", "new_due": "2026-03-12"},
                page=f"/dossiers/{code}").status_code == 403
    login(client, "lead_pcm")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert 'action="/dossiers/' + code + '/apology"' in page
    url = f"/dossiers/{code}/apology"
    not_later = post(client, url, {"reason": "Cần xác minh", "new_due": "2026-03-06"}, page=f"/dossiers/{code}")
    assert not_later.status_code == 400
    text = not_later.get_data(as_text=True)
    assert "Ngày hẹn trả mới phải sau ngày hẹn hiện tại" in text and "Cần xác minh" in text
    saturday = post(client, url, {"reason": "Cần xác minh", "new_due": "2026-03-14"}, page=f"/dossiers/{code}")
    assert saturday.status_code == 400 and "không phải ngày làm việc" in saturday.get_data(as_text=True)
    garbage = post(client, url, {"reason": "Cần xác minh", "new_due": "mai"}, page=f"/dossiers/{code}")
    assert garbage.status_code == 400
    assert engine.dossier(code).due_at == vn(2026, 3, 9, 8, 0) and engine.dossier_lifecycle(code).apology is None
    done = post(client, url, {"reason": "Cần xác minh tại địa phương", "new_due": "2026-03-12"},
                page=f"/dossiers/{code}")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/dossiers/{code}/forms/mau04")
    assert engine.dossier(code).due_at == vn(2026, 3, 12, 17, 0)
    form = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Cần xác minh tại địa phương" in form and "12/03/2026" in form
    assert "Số: 1/2026/PXL" in form and "Thủ trưởng cơ quan, đơn vị" in form and "Lead_Pcm" in form
    assert_pdf(client.get(f"/dossiers/{code}/forms/mau04.pdf"), f"mau04-{code}.pdf")
    after = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert 'action="/dossiers/' + code + '/apology"' not in after and f"/dossiers/{code}/forms/mau04" in after
    again = post(client, url, {"reason": "Lần nữa", "new_due": "2026-03-13"}, page=f"/dossiers/{code}")
    assert again.status_code == 409 and "hẹn lại một lần" in again.get_data(as_text=True)
    assert engine.dossier(code).due_at == vn(2026, 3, 12, 17, 0)


def test_apology_permissions_and_time(client, engine, world, deployed, clock, app):
    code = started(engine, world, deployed)
    url = f"/dossiers/{code}/apology"
    assert client.post(url, data={"reason": "x", "new_due": "2026-03-12"}).status_code in (302, 400)
    login(client, "clerk")  # a clerk is not a leader
    assert post(client, url, {"reason": "x", "new_due": "2026-03-12"}).status_code == 403
    lead_ld = app.test_client()
    login(lead_ld, "leader")  # a leader whose agency holds no step: not even shown the dossier
    assert post(lead_ld, url, {"reason": "x", "new_due": "2026-03-12"}).status_code == 403
    lead_pcm = app.test_client()
    login(lead_pcm, "lead_pcm")
    clock.set(vn(2026, 3, 6, 10, 0))  # due Mon 9 March 08:00: less than one working day remains
    late = post(lead_pcm, url, {"reason": "Chậm", "new_due": "2026-03-12"}, page=f"/dossiers/{code}")
    assert late.status_code == 409
    assert "chậm nhất 01 ngày làm việc trước thời hạn" in late.get_data(as_text=True)
    assert engine.dossier_lifecycle(code).apology is None


# ---------------------------------------------------------------- withdrawal and result collection


def test_withdrawal_with_a_confirm_step(client, engine, world, deployed, app):
    code = started(engine, world, deployed)
    officer = app.test_client()
    login(officer, "officer")
    assert officer.get(f"/dossiers/{code}/withdraw").status_code == 403
    assert post(officer, f"/dossiers/{code}/withdraw", {"reason": "x"}).status_code == 403
    login(client, "clerk2")  # any clerk of the receiving desk
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert f"/dossiers/{code}/withdraw" in page
    confirm = client.get(f"/dossiers/{code}/withdraw").get_data(as_text=True)
    assert "Xác nhận rút hồ sơ" in confirm and "Không hoàn tác được" in confirm
    done = post(client, f"/dossiers/{code}/withdraw", {"reason": "Công dân xin rút"}, page=f"/dossiers/{code}/withdraw")
    assert done.status_code == 302
    assert engine.dossier(code).status == "withdrawn"
    assert engine.dossier_lifecycle(code).withdrawn_reason == "Công dân xin rút"
    shown = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Công dân xin rút" in shown and "Rút hồ sơ" in shown
    again = post(client, f"/dossiers/{code}/withdraw", {"reason": "x"}, page=f"/dossiers/{code}")
    assert again.status_code == 409 and "không rút được" in again.get_data(as_text=True)


def test_result_collection_is_recorded_by_the_desk(client, engine, world, deployed, clock, app):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "Nguyễn Văn An"})
    code = dossier.code
    login(client, "clerk")
    early = post(client, f"/dossiers/{code}/collection", {"method": "desk"}, page=f"/dossiers/{code}")
    assert early.status_code == 409 and "chưa có kết quả" in early.get_data(as_text=True)
    for who, element, data in JOURNEY:
        do(engine, world[who], element, data)
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert f'action="/dossiers/{code}/collection"' in page and "Qua dịch vụ bưu chính công ích" in page
    officer = app.test_client()
    login(officer, "officer")
    assert post(officer, f"/dossiers/{code}/collection", {"method": "post"}).status_code == 403
    bad = post(client, f"/dossiers/{code}/collection", {"method": "pigeon"}, page=f"/dossiers/{code}")
    assert bad.status_code == 400 and "Hình thức nhận kết quả không hợp lệ" in bad.get_data(as_text=True)
    assert engine.dossier_lifecycle(code).collection_method == ""
    ok = post(client, f"/dossiers/{code}/collection", {"method": "post", "note": "Bưu điện Phan Thiết"},
              page=f"/dossiers/{code}")
    assert ok.status_code == 302
    info = engine.dossier_lifecycle(code)
    assert info.collection_method == "post" and info.collection_note == "Bưu điện Phan Thiết"
    register = client.get("/dossiers/register?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert code in register and "Qua dịch vụ bưu chính công ích" in register


# ---------------------------------------------------------------- register (Mẫu 06)


def test_register_page_and_pdf(client, engine, world, deployed, app):
    code = started(engine, world, deployed)
    assert_login_required(client, "/dossiers/register")
    officer = app.test_client()
    login(officer, "officer")
    assert officer.get("/dossiers/register").status_code == 403
    login(client, "clerk")
    page = client.get("/dossiers/register?from=2026-03-01&to=2026-03-31")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and code in text and "Nguyễn Văn An" in text and "A4 landscape" in text
    assert 'value="2026-03-01"' in text and "/dossiers/register.pdf?from=2026-03-01&amp;to=2026-03-31" in text
    assert code not in client.get("/dossiers/register?from=2026-04-01&to=2026-04-30").get_data(as_text=True)
    assert code in client.get("/dossiers/register").get_data(as_text=True)  # this month by default
    assert_pdf(client.get("/dossiers/register.pdf?from=2026-03-01&to=2026-03-31"), "mau06-20260301-20260331.pdf")
    assert client.get("/dossiers/register?from=2026-03-31&to=2026-03-01").status_code == 400
    assert client.get("/dossiers/register?from=hom-qua").status_code == 400
    leader = app.test_client()
    login(leader, "leader")  # a leader sees their own agency's register (empty here)
    assert code not in leader.get("/dossiers/register").get_data(as_text=True)


# ---------------------------------------------------------------- language and escaping


def test_english_labels(client, engine, world, deployed):
    code = started(engine, world, deployed)
    login(client, "clerk")
    desk = client.get("/desk?lang=en").get_data(as_text=True)
    assert "Request to supplement the dossier (Form 02)" in desk and "Refuse to receive (Form 03)" in desk
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Printed forms" in page and "Download PDF" in page and "Withdraw the dossier" in page
    form = client.get("/desk/notices/new?kind=supplement").get_data(as_text=True)
    assert "Documents to add or complete" in form and "Certified copy" in form


def test_user_text_is_escaped_on_the_lifecycle_pages(client, engine, world, deployed):
    code = started(engine, world, deployed, name="<script>alert(1)</script>")
    notice = engine.refuse_at_desk(world["clerk"], deployed, {"name": "<b>x</b>"}, reasons="<i>bad</i>")
    login(client, "clerk")
    for path in (f"/dossiers/{code}/forms/mau01", f"/dossiers/{code}/forms/mau05", "/dossiers/register",
                 f"/desk/notices/{notice.id}", "/desk/notices"):
        text = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in text and "<b>x</b>" not in text and "<i>bad" not in text, path


def test_mau02_of_a_supplement_requested_during_processing(client, engine, world, deployed, clock):
    code = started(engine, world, deployed)
    login(client, "officer")
    assert client.get(f"/dossiers/{code}/forms/mau02").status_code == 404  # nothing requested yet
    step = next(s for s in engine.inbox(world["officer"]) if s.dossier_code == code)
    engine.claim(world["officer"], step.id)
    engine.complete(world["officer"], step.id, {"ket_qua": "bo_sung"}, note="Thiếu tờ khai")
    page = client.get(f"/dossiers/{code}").get_data(as_text=True)
    assert f"/dossiers/{code}/forms/mau02" in page
    form = client.get(f"/dossiers/{code}/forms/mau02").get_data(as_text=True)
    assert f"Số: {code}" in form and "Thiếu tờ khai" in form and "Mẫu số 02" in form
