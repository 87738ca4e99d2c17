"""Script and HTML typed by anyone (applicants, officials, diagram designers) render as text everywhere.

One hostile dossier on a hostile diagram: ``<script>`` in the procedure name, a step name and a flow
name; in the applicant's name and address, a form value and a handover note. Every page, flowchart,
printed form (HTML and PDF) and export shows them as text; CSV and XLSX cells cannot start a formula.
"""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from typing import Any

import pytest
from lxml import etree

from engine import paperwork, spreadsheet, stats
from tests.conftest import DATA
from tests.engine.test_runtime import do, open_step
from tests.webui.helpers import login, token_of

PROCEDURE = "Thủ tục <script>alert('procedure')</script>"
STEP = "<script>alert('step')</script> Thẩm định"
FLOW = '"><img src=x onerror=alert(1)>'
NAME = "<script>alert('name')</script>"
ADDRESS = "<img src=x onerror=alert('address')> Phan Thiết"
VALUE = "<script>alert('value')</script>"
NOTE = "</textarea><script>alert('note')</script>"
RAW = (PROCEDURE, STEP, FLOW, NAME, ADDRESS, VALUE, NOTE)
#: What must never appear in markup: a live tag built from the text above (escaped, it shows as text).
DANGER = re.compile(r"<script>alert|<img src=x")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def hostile_diagram() -> bytes:
    src = (DATA / "three_agencies.bpmn").read_text(encoding="utf-8")
    src = src.replace('name="Thủ tục thử nghiệm ba cơ quan"', f'name="{_xml(PROCEDURE)}"')
    src = src.replace('name="Thẩm định hồ sơ"', f'name="{_xml(STEP)}"')
    return src.replace('name="Không đạt"', f'name="{_xml(FLOW)}"').encode()


@pytest.fixture
def hostile(engine, world) -> dict[str, Any]:
    """A dossier on the hostile diagram, received, examined (with a hostile value and note), now at Split."""
    engine.deploy(hostile_diagram(), filename="hostile.bpmn")
    d = engine.start_dossier(world["clerk"], "T.000001", {"name": NAME, "address": ADDRESS,
                                                         "id_number": "079000000001"})
    do(engine, world["clerk"], "Receive", note=NOTE)
    examine = open_step(engine, world["officer"], "Examine")
    engine.claim(world["officer"], examine.id)
    engine.complete(world["officer"], examine.id, {"ket_qua": "dat", "ly_do": VALUE}, note=NOTE)
    return {"code": d.code, "examine": examine.id,
            "police": open_step(engine, world["police"], "Opinion_police").id}


def assert_inert(text: str, where: str) -> None:
    assert not DANGER.search(text), (where, DANGER.search(text))


def test_the_hostile_diagram_deploys_so_its_names_reach_every_page(engine, world):
    result = engine.deploy(hostile_diagram())
    assert result.created
    assert engine.procedure("T.000001").name == PROCEDURE


def test_officials_pages_escape_everything(client, engine, world, hostile):
    code = hostile["code"]
    pages = {
        "officer": ["/inbox", f"/steps/{hostile['examine']}", f"/dossiers/{code}"],
        "police": ["/inbox", f"/steps/{hostile['police']}", f"/dossiers/{code}"],
        "clerk": [f"/desk/receipt/{code}", f"/dossiers/{code}", f"/dossiers?code={code}", "/desk"],
        "leader": ["/inbox"],
        "lead_pcm": ["/dashboard", f"/dossiers/{code}"],
    }
    shown: set[str] = set()
    for username, paths in pages.items():
        with client.session_transaction() as session:
            session.clear()
        login(client, username)
        for path in paths:
            response = client.get(path, follow_redirects=True)
            assert response.status_code == 200, (username, path)
            text = response.get_data(as_text=True)
            assert_inert(text, f"{username} {path}")
            shown.update(raw for raw in RAW if _html_escaped(raw) in text)
    # the texts are really on the pages, escaped (otherwise this test would prove nothing)
    assert {PROCEDURE, STEP, NAME, VALUE, NOTE} <= shown, set(RAW) - shown


def _html_escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_a_step_form_re_rendered_with_errors_escapes_the_typed_values(client, engine, world, hostile):
    login(client, "police")
    page = client.get(f"/steps/{hostile['police']}").get_data(as_text=True)
    client.post(f"/steps/{hostile['police']}/claim", data={"csrf_token": token_of(client, "/inbox")})
    response = client.post(f"/steps/{hostile['police']}/complete",
                           data={"csrf_token": token_of(client, "/inbox"), "field-y_kien_ca": VALUE,
                                 "note": "x" * 5000 + NOTE})
    assert response.status_code == 400 and page
    text = response.get_data(as_text=True)
    assert_inert(text, "re-rendered form")
    assert _html_escaped(VALUE) in text


def test_the_public_portal_escapes_everything(client, hostile):
    code = hostile["code"]
    for path in ("/", "/?q=script", "/thu-tuc/T.000001", f"/tra-cuu?code={code}", "/tra-cuu?code=<script>x</script>",
                 "/thu-tuc/<script>alert(1)</script>"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        text = response.get_data(as_text=True)
        assert_inert(text, path)
        assert "<script>x</script>" not in text and "<script>alert(1)</script>" not in text, path
    assert _html_escaped(PROCEDURE) in client.get("/thu-tuc/T.000001").get_data(as_text=True)


def _check_svg(data: bytes, where: str) -> None:
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    assert b"<script" not in data.lower(), where
    for element in root.iter():
        if isinstance(element.tag, str):
            assert etree.QName(element).localname.lower() not in ("script", "foreignobject"), where
            assert not any(name.lower().startswith("on") for name in element.attrib), where
    assert "alert('step')" in data.decode() or "alert(&#39;step&#39;)" in data.decode(), where


def test_flowcharts_are_valid_svg_without_scripts(client, engine, world, hostile):
    code = hostile["code"]
    _check_svg(client.get("/thu-tuc/T.000001/so-do.svg").data, "portal flowchart")
    login(client, "officer")
    _check_svg(client.get(f"/dossiers/{code}/diagram.svg").data, "live diagram")
    client.post("/logout", data={"csrf_token": token_of(client, "/inbox")})
    login(client, "designer")
    _check_svg(client.get("/designer/procedures/T.000001/1.svg").data, "designer version")


def test_printed_forms_escape_in_html_and_print_literally_in_pdf(engine, hostile):
    papers = engine.papers(hostile["code"])
    pages = {"receipt": paperwork.receipt_html(papers, base_url="https://dvc.example.vn"),
             "control form": paperwork.control_form_html(papers)}
    for where, html in pages.items():
        assert_inert(html, where)
        assert _html_escaped(NAME) in html, where
    assert _html_escaped(NOTE) in pages["control form"]
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=paperwork.render_pdf(pages["control form"]),
                          capture_output=True, check=True).stdout.decode()
    squeezed = " ".join(text.split())
    assert "<script>alert('name')</script>" in squeezed
    assert "alert('note')" in squeezed


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3",
                                  "@SUM(1,1)", "\t=1+1", "\r=1+1"])
def test_csv_cells_cannot_start_a_formula(cell):
    import csv

    text = stats.to_csv([{"name": cell, "count": 3, "share": -0.5}])
    header, row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert header == ["name", "count", "share"]
    assert row == ["'" + cell, "3", "-0.5"]  # the text is kept whole, behind a quote; numbers stay numbers


def test_exports_of_a_hostile_procedure_name_stay_text(engine, world, clock):
    from openpyxl import load_workbook

    formula = '=HYPERLINK("http://evil.example","Bấm vào đây")'
    src = (DATA / "three_agencies.bpmn").read_text(encoding="utf-8")
    engine.deploy(src.replace('name="Thủ tục thử nghiệm ba cơ quan"', f'name="{_xml(formula)}"').encode())
    engine.start_dossier(world["clerk"], "T.000001", {"name": "=1+1"})
    with engine.Session() as s:
        rows = stats.report(stats.dossier_facts(s, engine.calendar(), date(2026, 3, 1), date(2026, 3, 31),
                                                engine.now()), "procedure")
    text = stats.to_csv(rows)
    assert "'" + formula.replace('"', '""') in text
    assert not re.search(r'(^|,)"?[=+@]', text.split("\r\n", 1)[1], re.M), text
    sheet = load_workbook(io.BytesIO(spreadsheet.report_xlsx(rows, "procedure"))).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert formula in [c.value for c in cells] or "'" + formula in [c.value for c in cells]
