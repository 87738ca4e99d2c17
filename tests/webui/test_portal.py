"""The public portal: catalogue with diacritics-free search, procedure pages, flowchart, dossier lookup."""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path

import pytest

from engine import feedback_contacts
from engine.demo import load_registry
from engine.runtime import Engine
from tests.conftest import ROOT

WORKFLOWS = ROOT / "workflows"
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789", "phone": "0901234567",
             "address": "12 Trần Hưng Đạo, Phan Thiết"}


def _deploy(engine: Engine, stem: str) -> str:
    bpmn = WORKFLOWS / f"{stem}.bpmn"
    with (WORKFLOWS / f"{stem}.toml").open("rb") as fh:
        metadata = tomllib.load(fh)
    return engine.deploy(bpmn.read_bytes(), filename=bpmn.name, metadata=metadata).code


#: Who answers feedback, as an administrator enters it (the registry's own list is sample data, never seeded).
PAKN_OFFICIAL = {"name": "Lê Thị Tiếp", "title": "Chuyên viên tiếp nhận phản ánh, kiến nghị", "phone": "0263 3500 999",
                 "email": ""}


@pytest.fixture
def catalogue(engine: Engine, world) -> dict[str, str]:
    """The registry's agencies, their PAKN contacts as the admin keeps them, and two real procedures."""
    with engine.transaction() as s:
        registry = load_registry(s, WORKFLOWS, engine.now())
    for rec in registry:
        if rec.feedback_officials:
            feedback_contacts.set_contacts(engine, rec.code, [PAKN_OFFICIAL])
    return {"funeral": _deploy(engine, "mai_tang_phi"), "permit": _deploy(engine, "giay_phep_lao_dong")}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_catalogue_lists_deployed_procedures(client, catalogue, deployed):
    r = client.get("/")
    assert r.status_code == 200
    page = text_of(r)
    assert "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội" in page
    assert "Thủ tục thử nghiệm ba cơ quan" in page
    assert f'href="/thu-tuc/{catalogue["funeral"]}"' in page
    assert "3 thủ tục đang được công bố" in page
    assert 'href="/static/portal.css"' in page
    assert "<style" not in page and "<script>" not in page  # CSP: no inline styles or scripts


def test_search_ignores_diacritics_and_case(client, catalogue, deployed):
    for query in ("mai tang", "MAI TÁNG", "chi phi mai", "1.001731"):
        page = text_of(client.get("/", query_string={"q": query}))
        assert "Hỗ trợ chi phí mai táng" in page, query
        assert "Thủ tục thử nghiệm ba cơ quan" not in page, query
    page = text_of(client.get("/", query_string={"q": "đường sắt cao tốc"}))
    assert "Không có thủ tục nào phù hợp" in page


def test_filter_by_field(client, catalogue):
    page = text_of(client.get("/"))
    assert '<option value="Bảo trợ xã hội"' in page
    page = text_of(client.get("/", query_string={"field": "Bảo trợ xã hội"}))
    assert "Hỗ trợ chi phí mai táng" in page
    assert "Cấp giấy phép lao động" not in page


def test_procedure_page_shows_what_citizens_need(client, catalogue):
    r = client.get(f"/thu-tuc/{catalogue['funeral']}")
    assert r.status_code == 200
    page = text_of(r)
    assert '<table class="step-table">' in page and "Nội dung công việc" in page
    assert "Tổng thời gian" in page
    assert "5 ngày làm việc" in page
    assert "Tờ khai đề nghị hỗ trợ chi phí mai táng" in page  # required document and form
    assert "Hướng dẫn kê khai" in page and "Mẫu số 04 ban hành kèm theo Nghị định số 20/2021/NĐ-CP" in page
    assert "Không thu phí, lệ phí" in page
    assert "Nghị định số 20/2021/NĐ-CP" in page  # legal basis
    assert "cán bộ tiếp nhận phản ánh, kiến nghị".lower() in page.lower() and PAKN_OFFICIAL["name"] in page
    assert "/thu-tuc/1.001731/so-do.svg?v=" in page


def test_reduced_time_limit_shows_its_decision(client, catalogue, engine):
    """A province that cut the work permit's limit to 8 working days publishes a new version."""
    bpmn = (WORKFLOWS / "giay_phep_lao_dong.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace('<camunda:property name="legal_working_days" value="10" />',
                        '<camunda:property name="legal_working_days" value="10" />'
                        '<camunda:property name="reduced_working_days" value="8" />')
    bpmn = bpmn.replace('name="Chuyên viên Phòng Lao động – Việc làm thẩm định hồ sơ"', 'name="Thẩm định"')
    bpmn = re.sub(r'(id="Task_tham_dinh".*?name="working_days" value=")6(")', r"\g<1>4\2", bpmn, flags=re.S)
    with (WORKFLOWS / "giay_phep_lao_dong.toml").open("rb") as fh:
        metadata = tomllib.load(fh)
    metadata.update(reduced_working_days=8, reduction_decision={"number": "15/QĐ-UBND", "date": "2026-01-05",
                                                                "issuer": "UBND tỉnh Lâm Đồng"})
    assert engine.deploy(bpmn.encode(), filename="gpld.bpmn", metadata=metadata).version == 2
    page = text_of(client.get(f"/thu-tuc/{catalogue['permit']}"))
    assert "Thời hạn đã rút ngắn" in page and "8 ngày làm việc" in page
    assert "15/QĐ-UBND" in page and "05/01/2026" in page
    assert PAKN_OFFICIAL["name"] in page  # a PAKN official of the service centre (the kind's agency)
    assert "Trần Thị Mai" not in page  # the registry's sample official is never shown


@pytest.mark.parametrize("stem", [p.stem for p in sorted(WORKFLOWS.glob("*.bpmn"))])
def test_public_pages_never_show_internal_notes_or_sources(client, engine, world, stem):
    """Every shipped procedure's public page and flowchart: none of its internal notes, none of its
    sources; an internal process is not published at all."""
    with engine.transaction() as s:
        load_registry(s, WORKFLOWS, engine.now())
    code = _deploy(engine, stem)
    with (WORKFLOWS / f"{stem}.toml").open("rb") as fh:
        metadata = tomllib.load(fh)
    hidden = [*metadata.get("internal_notes", []), *(src["title"] for src in metadata.get("sources", []))]
    assert hidden, "every shipped procedure records its sources"
    page = client.get(f"/thu-tuc/{code}")
    catalogue_page = text_of(client.get("/"))
    if metadata.get("level") == "internal":
        assert page.status_code == 404 and client.get(f"/thu-tuc/{code}/so-do.svg").status_code == 404
        assert f"/thu-tuc/{code}" not in catalogue_page
        return
    assert page.status_code == 200 and f"/thu-tuc/{code}" in catalogue_page
    published = text_of(page) + text_of(client.get(f"/thu-tuc/{code}/so-do.svg"))
    for text in hidden:
        assert html.escape(text) not in published and text not in published, text
    # Kind lanes read as citizens read them, before any dossier runs.
    assert "nơi cư trú" in published or metadata.get("level") == "province"


def test_flowchart_link_returns_svg_and_is_cacheable(client, catalogue):
    page = text_of(client.get(f"/thu-tuc/{catalogue['funeral']}"))
    start = page.index("/thu-tuc/1.001731/so-do.svg?v=")
    url = page[start:page.index('"', start)].replace("&amp;", "&")
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.data.lstrip().startswith(b"<?xml") or b"<svg" in r.data[:500]
    assert "Hỗ trợ chi phí mai táng" in text_of(r)
    assert "max-age" in r.headers["Cache-Control"] and r.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_procedure_is_404(client, catalogue):
    assert client.get("/thu-tuc/khong-co").status_code == 404
    assert client.get("/thu-tuc/khong-co/so-do.svg").status_code == 404


def test_lookup_shows_status_and_only_the_masked_name(client, engine: Engine, world, deployed):
    dossier = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    r = client.get("/tra-cuu", query_string={"code": dossier.code})
    assert r.status_code == 200
    page = text_of(r)
    assert dossier.code in page
    assert "N***** V** A*" in page
    assert "Đã tiếp nhận" in page  # the status, translated for people
    assert "Bộ phận Một cửa" in page  # the agency handling it now
    assert "09/03/2026 08:00" in page  # the appointment
    for secret in (APPLICANT["id_number"], APPLICANT["phone"], "Trần Hưng Đạo", "Nguyễn Văn An"):
        assert secret not in page
    english = text_of(client.get("/tra-cuu", query_string={"code": dossier.code, "lang": "en"}))
    assert "N***** V** A*" in english and "Received" in english


def test_unknown_code_gets_a_friendly_404(client, engine: Engine, world, deployed):
    r = client.get("/tra-cuu", query_string={"code": "000.00.15.H12-260302-9999"})
    assert r.status_code == 404
    page = text_of(r)
    assert "Không tìm thấy hồ sơ" in page and "000.00.15.H12-260302-9999" in page
    empty = client.get("/tra-cuu")
    assert empty.status_code == 200 and 'name="code"' in text_of(empty)


def test_receipt_qr_target_is_the_lookup_page(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("portal.lookup", code="X-1") == "/tra-cuu?code=X-1"


def test_portal_css_exists():
    assert (Path(ROOT) / "webui" / "static" / "portal.css").is_file()


def test_the_page_declares_the_language_it_is_written_in(client, catalogue):
    """Screen readers and browsers read <html lang>: Vietnamese by default, English once chosen."""
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)  # the choice is kept
