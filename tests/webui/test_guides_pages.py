"""The "Hướng dẫn kê khai" section of the portal: every form of every published citizens' procedure, a
page per form with each field's guide, blank and sample PDFs at stable URLs, links from the procedure
page; guide_for() gives the online application each field's guide."""

from __future__ import annotations

import pytest

from engine import guides
from engine.demo import load_registry
from engine.runtime import Engine
from tests.webui.test_portal import WORKFLOWS, _deploy


@pytest.fixture
def published(engine: Engine, world) -> list[str]:
    with engine.transaction() as s:
        load_registry(s, WORKFLOWS, engine.now())
    return [_deploy(engine, stem) for stem in ("mai_tang_phi", "tho_cung_liet_si", "sang_kien_cai_cach")]


def test_the_section_lists_every_form_of_the_published_citizens_procedures(client, published):
    html = client.get("/guides").get_data(as_text=True)
    for code, form_id in (("1.001731", "mau_04"), ("BTH.NCC.01", "don_de_nghi"), ("BTH.NCC.01", "uy_quyen")):
        assert f"/guides/{code}/{form_id}/blank.pdf" in html and f"/guides/{code}/{form_id}/sample.pdf" in html
    assert "BTH.NB.01" not in html  # an internal process publishes nothing
    assert "1.001776" not in html  # not published here
    english = client.get("/guides?lang=en").get_data(as_text=True)
    assert "Blank form (PDF)" in english and "Filled-in sample (PDF)" in english


def test_a_form_page_shows_each_fields_guide_without_claiming_the_official_template(client, published):
    page = client.get("/guides/1.001731/mau_04")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    form = guides.guides_of("1.001731").form("mau_04")
    for field in form.fields:
        assert f'id="field-{field.id}"' in html and field.guide in html
    assert "không phải bản sao mẫu chính thức" in html and form.source not in html


def test_pdfs_at_stable_urls(client, published):
    for kind in ("blank", "sample"):
        r = client.get(f"/guides/BTH.NCC.01/uy_quyen/{kind}.pdf")
        assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")
    for missing in ("/guides/1.001731/nope/blank.pdf", "/guides/BTH.NB.01/phieu_dang_ky/blank.pdf",
                    "/guides/1.001776/mau_1/sample.pdf", "/guides/..%2F..%2Fetc/x/blank.pdf"):
        assert client.get(missing).status_code == 404, missing


def test_the_procedure_page_links_its_forms_guides(client, published):
    html = client.get("/thu-tuc/1.001731").get_data(as_text=True)
    assert "/guides/1.001731/mau_04/blank.pdf" in html and "/guides/1.001731/mau_04\"" in html


def test_guide_for_gives_the_online_application_each_fields_guide(engine, published):
    found = guides.guide_for(engine, "1.001731")
    assert set(found) == {"ho_ten_nguoi_mat", "ngay_mat", "doi_tuong_nguoi_mat", "quan_he_voi_nguoi_mat",
                          "applicant.name", "applicant.id_number", "applicant.address", "applicant.phone"}
    assert found["ngay_mat"].startswith("Ghi ngày, tháng, năm chết")
    assert guides.guide_for(engine, "T.UNKNOWN") == {}


def test_the_guides_as_json_for_the_online_application(client, engine, published):
    r = client.get("/api/v1/public/procedures/1.001731/guides")
    assert r.status_code == 200
    body = r.get_json()
    assert body["fields"] == guides.guide_for(engine, "1.001731")
    [form] = body["forms"]
    assert form["id"] == "mau_04" and form["unconfirmed"] is True and form["source"] is None
    assert form["blank_pdf"] == "/guides/1.001731/mau_04/blank.pdf"
    assert [f["id"] for f in form["fields"]][:2] == ["ho_ten_nguoi_mat", "paper.so_dinh_danh_nguoi_mat"]
    for missing in ("BTH.NB.01", "1.001776", "NOPE"):
        r = client.get(f"/api/v1/public/procedures/{missing}/guides")
        assert r.status_code == 404 and r.get_json()["error"]


def test_the_online_application_shows_each_fields_guide_beside_it(client, engine, published):
    from html import escape

    html = client.get("/thu-tuc/1.001731/nop-truc-tuyen").get_data(as_text=True)
    found = guides.guide_for(engine, "1.001731")
    for field_id, guide in found.items():
        dom = f"applicant_{field_id.split('.', 1)[1]}" if field_id.startswith("applicant.") else f"f-{field_id}"
        assert f'<p class="muted small field-guide" id="{dom}-guide">{escape(guide)}</p>' in html, field_id
    assert 'href="/guides#1.001731"' in html
    listing = client.get("/guides").get_data(as_text=True)
    assert 'id="1.001731"' in listing
