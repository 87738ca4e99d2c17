"""Printed forms Mẫu 01–06: content, escaping, page sizes, PDF with Vietnamese text."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from engine import paperwork
from engine.runtime import Engine
from tests.conftest import World, vn

APPLICANT = {"name": "Phạm Thị Dung", "id_number": "079123456782", "phone": "0912345678",
             "email": "dung@example.vn", "address": "Hàm Thuận Bắc"}
EVIL = "<script>alert(1)</script>"
BASE = "https://dichvucong.example.vn"


def do(engine: Engine, actor, element: str, data=None, note: str = ""):
    step = next(s for s in engine.inbox(actor) if s.element_id == element)
    engine.claim(actor, step.id)
    return engine.complete(actor, step.id, data or {}, note=note)


def journey(engine: Engine, world: World, clock) -> str:
    """Receive Mon 2 March 2026 08:00 (due Mon 9 March 08:00); the division examines a day late."""
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    clock.set(vn(2026, 3, 2, 9, 0))
    do(engine, world["clerk"], "Receive", note="Chuyển phòng chuyên môn")  # due 12:00: on time
    clock.set(vn(2026, 3, 5, 9, 0))  # Examine (2 days from Mon 09:00) was due Wed 4 March 09:00
    do(engine, world["officer"], "Examine", {"ket_qua": "dat"}, note="Đủ điều kiện")
    clock.set(vn(2026, 3, 5, 10, 0))
    do(engine, world["police"], "Opinion_police", note="Không có ý kiến khác")  # due Fri 6 09:00: early
    clock.set(vn(2026, 3, 5, 11, 0))
    do(engine, world["officer2"], "Opinion_div")  # early
    clock.set(vn(2026, 3, 6, 16, 0))
    do(engine, world["leader"], "Sign", {"so_quyet_dinh": "12/QĐ-UBND"})  # due Fri 6 March 17:00: on time
    clock.set(vn(2026, 3, 9, 7, 30))
    do(engine, world["clerk2"], "Return")  # budget 0: due when ready, done later: late
    return d.code


def test_receipt_shows_code_qr_documents_limit_and_appointment(engine: Engine, world: World, deployed, clock):
    clock.set(vn(2026, 3, 2, 14, 5))
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    html = paperwork.receipt_html(engine.papers(d.code), base_url=BASE + "/")
    assert d.code in html and "Phạm Thị Dung" in html and "079123456782" in html
    assert "14:05 02/03/2026" in html  # received at hh:mm dd/mm/yyyy
    assert "14:05 09/03/2026" in html  # the appointment
    assert "05 ngày làm việc" in html
    assert "Số thứ tự: 1" in html and "data:image/svg+xml" in html
    assert f"{BASE}/tra-cuu?code={d.code}" in html
    assert "size: A5" in html


def test_receipt_lists_only_the_documents_the_desk_recorded(engine: Engine, world: World, clock):
    from engine.receipts import ReceivedDocument, record_documents
    from tests.conftest import DATA

    metadata = {"documents": [{"name": "Tờ khai đề nghị", "originals": 1, "copies": 0},
                              {"name": "Bản sao giấy chứng tử", "originals": 0, "copies": 2}]}
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=metadata)
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    assert paperwork.received_documents(engine.papers(d.code)) == []  # the procedure's list is not a record
    assert "Bản sao giấy chứng tử" not in paperwork.receipt_html(engine.papers(d.code), base_url=BASE)
    record_documents(engine, world["clerk"], d.code, [ReceivedDocument("Tờ khai đề nghị", 1, 0)])
    papers = engine.papers(d.code)
    assert paperwork.received_documents(papers) == [{"name": "Tờ khai đề nghị", "originals": 1, "copies": 0}]
    html = paperwork.receipt_html(papers, base_url=BASE)
    assert "Tờ khai đề nghị" in html and "Bản sao giấy chứng tử" not in html


def test_a_reprinted_receipt_shows_the_original_appointment(engine: Engine, world: World, deployed, clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)  # due Mon 9 March 08:00
    do(engine, world["clerk"], "Receive")
    engine.issue_apology(world["lead_pcm"], d.code, "Cần xác minh", date(2026, 3, 12))
    html = paperwork.receipt_html(engine.papers(d.code), base_url=BASE)
    assert "08:00 09/03/2026" in html and "17:00 12/03/2026" not in html


def test_control_form_names_the_handling_and_coordinating_agencies_and_the_citizens_wait(engine: Engine,
                                                                                         world: World, deployed,
                                                                                         clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    clock.set(vn(2026, 3, 3, 9))
    do(engine, world["officer"], "Examine", {"ket_qua": "bo_sung"}, note="Thiếu bản sao giấy chứng tử")
    clock.set(vn(2026, 3, 20, 9))  # the applicant took two weeks
    do(engine, world["clerk"], "Supplement")
    papers = engine.papers(d.code)
    html = paperwork.control_form_html(papers)
    assert "Cơ quan (bộ phận) giải quyết hồ sơ: <b>Phòng chuyên môn</b>" in html
    assert "Cơ quan phối hợp giải quyết hồ sơ:" in html
    rows = paperwork.handovers(papers.dossier)
    asked = next(r for r in rows if r.step == "Thẩm định hồ sơ")
    assert "yêu cầu bổ sung" in asked.receiver
    wait = next(r for r in rows if "bổ sung" in r.step.lower() and r.agency.startswith("Công dân"))
    assert wait.timeliness is None and "không tính cho cơ quan" in wait.note
    assert not any(r.agency == "Bộ phận Một cửa" and r.timeliness == "late" for r in rows)
    # Mẫu 02 of that request, under the dossier's code, asked by the division's officer
    mau02 = paperwork.step_supplement_html(papers)
    assert f"Số: {d.code}" in mau02 and "Thiếu bản sao giấy chứng tử" in mau02 and "Officer" in mau02
    assert "Phòng chuyên môn" in mau02


def test_the_2025_form_set_numbers_the_forms_of_circular_03_2025(engine: Engine, world: World, deployed):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    papers = engine.papers(d.code)
    assert "Mẫu số 05 (Thông tư số 01/2018/TT-VPCP)" in paperwork.control_form_html(papers)
    newer = replace(papers, form_set="2025")
    assert "Mẫu số 06 (Thông tư số 03/2025/TT-VPCP)" in paperwork.control_form_html(newer)
    assert "Mẫu số 01 (Thông tư số 03/2025/TT-VPCP)" in paperwork.receipt_html(newer, base_url=BASE)
    from engine.errors import InvalidInput
    from engine.settings import Settings

    assert Settings.from_env({"LIENTHONG_FORM_SET": "2025"}).form_set == "2025"
    with pytest.raises(InvalidInput):
        Settings.from_env({"LIENTHONG_FORM_SET": "2019"})


def test_user_text_is_escaped_in_html_and_literal_in_the_pdf(engine: Engine, world: World, deployed):
    d = engine.start_dossier(world["clerk"], deployed, {**APPLICANT, "name": EVIL})
    html = paperwork.receipt_html(engine.papers(d.code), base_url=BASE)
    assert EVIL not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    pdf = paperwork.render_pdf(html)
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert EVIL in text
        assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
        assert "Thời gian giải quyết hồ sơ theo quy định là: 05 ngày làm việc" in text


def test_pdf_page_sizes_a5_forms_and_a4_landscape_register(engine: Engine, world: World, deployed, tmp_path: Path):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    receipt = paperwork.render_pdf(paperwork.receipt_html(engine.papers(d.code), base_url=BASE))
    entries = engine.register(world["clerk"], date(2026, 3, 1), date(2026, 3, 31))
    register = paperwork.render_pdf(paperwork.register_html(entries, agency_name="Bộ phận Một cửa",
                                                            date_from=date(2026, 3, 1), date_to=date(2026, 3, 31)))
    assert shutil.which("pdfinfo"), "poppler-utils missing: run `make setup`"
    for pdf, size in [(receipt, "419.528 x 595.276"), (register, "841.89 x 595.276")]:
        path = tmp_path / "x.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
        assert size in info, info


def test_desk_notices_print_as_mau_02_and_03(engine: Engine, world: World, deployed):
    notice = engine.request_supplement_at_desk(
        world["clerk"], deployed, {**APPLICANT, "address": EVIL},
        documents=[{"name": "Giấy chứng tử", "kind": "certified", "count": 2}], reason="Thiếu giấy chứng tử",
        guidance={"website": "dichvucong.binhthuan.gov.vn", "phone": "0252 3822 000"})
    html = paperwork.desk_notice_html(notice)
    assert "PHIẾU YÊU CẦU BỔ SUNG" in html.upper() and "Số: 1/2026" in html
    assert "Bản sao có chứng thực" in html and "Thiếu giấy chứng tử" in html and "0252 3822 000" in html
    assert EVIL not in html
    refusal = engine.refuse_at_desk(world["clerk"], deployed, APPLICANT, reasons=["Không thuộc thẩm quyền", EVIL])
    html = paperwork.desk_notice_html(refusal)
    assert "Phiếu từ chối tiếp nhận" in html and "Không thuộc thẩm quyền" in html and EVIL not in html


def test_apology_prints_the_original_and_new_dates(engine: Engine, world: World, deployed, clock):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    do(engine, world["clerk"], "Receive")
    with pytest.raises(ValueError):
        paperwork.apology_html(engine.papers(d.code))
    engine.issue_apology(world["lead_pcm"], d.code, f"Cần xác minh {EVIL}", date(2026, 3, 12))
    html = paperwork.apology_html(engine.papers(d.code))
    assert "08:00 09/03/2026" in html and "17:00 12/03/2026" in html
    assert "Phòng chuyên môn" in html and "Lead_Pcm" in html and EVIL not in html


def test_control_form_shows_each_agencys_timeliness(engine: Engine, world: World, deployed, clock):
    code = journey(engine, world, clock)
    papers = engine.papers(code)
    rows = paperwork.handovers(papers.dossier)
    got = [(r.agency, r.step, r.timeliness, r.receiver) for r in rows]
    assert got == [
        ("Bộ phận Một cửa", "Tiếp nhận hồ sơ", None, "Clerk"),
        ("Bộ phận Một cửa", "Tiếp nhận, chuyển hồ sơ", "on_time", "Phòng chuyên môn (Officer)"),
        ("Phòng chuyên môn", "Thẩm định hồ sơ", "late", "Công an tỉnh (Police); Phòng chuyên môn (Officer2)"),
        ("Công an tỉnh", "Công an cho ý kiến", "early", "Lãnh đạo (Leader)"),
        ("Phòng chuyên môn", "Phòng tổng hợp ý kiến", "early", "Lãnh đạo (Leader)"),
        ("Lãnh đạo", "Ký quyết định", "on_time", "Bộ phận Một cửa (Clerk2)"),
        ("Bộ phận Một cửa", "Trả kết quả", "late", "Công dân/tổ chức: Phạm Thị Dung"),
    ]
    assert rows[1].giver == "Clerk" and rows[1].note == "Chuyển phòng chuyên môn"
    assert rows[2].at == vn(2026, 3, 5, 9, 0) and rows[2].note == "Đủ điều kiện"
    html = paperwork.control_form_html(papers)
    assert html.count("Quá hạn") == 2 and html.count("Trước hạn") == 2 and html.count("Đúng hạn") == 2
    assert "09:00 05/03/2026" in html


def test_register_lists_the_desks_dossiers_of_the_period(engine: Engine, world: World, deployed, clock):
    code = journey(engine, world, clock)
    engine.record_collection(world["clerk"], code, "desk")
    clock.set(vn(2026, 4, 1, 8))
    other = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    march = engine.register(world["clerk"], date(2026, 3, 1), date(2026, 3, 31))
    assert [e.code for e in march] == [code]
    (e,) = march
    assert (e.line, e.lead_agency, e.returned_at, e.collection) == (
        1, "Phòng chuyên môn", vn(2026, 3, 9, 7, 30), "Nhận trực tiếp tại Bộ phận Một cửa")
    assert engine.register(world["clerk"], date(2026, 4, 1), date(2026, 4, 30))[0].line == 2
    assert engine.register(world["police"], date(2026, 3, 1), date(2026, 4, 30)) == []
    html = paperwork.register_html(march, agency_name="Bộ phận Một cửa", date_from=date(2026, 3, 1),
                                   date_to=date(2026, 3, 31))
    assert code in html and other.code not in html and "size: A4 landscape" in html
    assert "07:30 09/03/2026" in html


def test_vietnamese_glyphs_render_in_the_pdf(engine: Engine, world: World, deployed, tmp_path: Path):
    assert shutil.which("pdftoppm"), "poppler-utils missing: run `make setup`"
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    pdf = paperwork.render_pdf(paperwork.receipt_html(engine.papers(d.code), base_url=BASE))
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(tmp_path / "r.pdf"),
                    str(tmp_path / "page")], check=True)
    assert list(tmp_path.glob("page*.png"))
    fonts = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True, text=True).stdout
    assert "Noto-Sans" in fonts or "DejaVu" in fonts, fonts
