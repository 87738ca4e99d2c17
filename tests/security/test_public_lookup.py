"""The public lookup (web page and API) shows status, agencies, dates and a masked name, nothing else.

Anyone holding a dossier code may look it up; codes are printed on receipts and are guessable, so the
answer carries nothing personal: not the ID number, phone, e-mail or address, not the form data, notes
or the officials' names, not the receipt's secret. An unknown code gets one fixed answer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine import accounts, models
from tests.conftest import PASSWORD
from tests.engine.test_runtime import do, open_step

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789", "phone": "0901234567",
             "email": "an.nguyen@example.vn", "address": "12 Trần Hưng Đạo, Phan Thiết"}
MASKED = "N***** V** A*"
API_KEYS = {"code", "status", "current_agencies", "due_at", "applicant", "has_result"}


@pytest.fixture
def named(engine, world) -> dict[str, Any]:
    """Officials with names one could recognise on a page."""
    with engine.transaction() as s:
        return {u: accounts.add_official(s, u, full_name=name, agency_code=agency, roles=role, password=PASSWORD,
                                         now=engine.now())
                for u, name, agency, role in (("tiepnhan", "Trương Thị Tiếp Nhận", "000.00.15.H12", "clerk"),
                                              ("thamdinh", "Hoàng Văn Thẩm Định", "PCM", "officer"))}


def _secrets(engine, code: str) -> list[str]:
    with engine.Session() as s:
        row = s.query(models.Dossier).filter_by(code=code).one()
        secret = row.lookup_secret
    return [APPLICANT["id_number"], APPLICANT["phone"], APPLICANT["email"], "Trần Hưng Đạo", "Phan Thiết",
            "Nguyễn", "Văn An", "Trương Thị Tiếp Nhận", "Hoàng Văn Thẩm Định", "tiepnhan", "thamdinh",
            "ghi-chu-noi-bo", "ly-do-bi-mat", "7654321", secret]


def _assert_nothing_personal(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, (where, secret)


def _look(client, code: str) -> tuple[Any, Any]:
    return client.get("/tra-cuu", query_string={"code": code}), client.get(f"/api/v1/public/dossiers/{code}")


def test_the_lookup_shows_only_the_masked_name_at_every_stage(client, engine, world, deployed, named):
    d = engine.start_dossier(named["tiepnhan"], deployed, APPLICANT, {"so_ban_sao": 3})
    secrets = _secrets(engine, d.code)
    stages = ["received"]
    do(engine, named["tiepnhan"], "Receive", {"du_giay_to": True}, note="ghi-chu-noi-bo 1")
    step = open_step(engine, named["thamdinh"], "Examine")
    engine.claim(named["thamdinh"], step.id)
    stages.append("claimed")
    for stage in stages:
        page, api = _look(client, d.code)
        assert page.status_code == 200 and api.status_code == 200, stage
        _assert_nothing_personal(page.get_data(as_text=True), secrets, f"page {stage}")
        _assert_nothing_personal(api.get_data(as_text=True), secrets, f"api {stage}")
        assert MASKED in page.get_data(as_text=True)
        assert set(api.get_json()) == API_KEYS and api.get_json()["applicant"] == MASKED
    engine.complete(named["thamdinh"], step.id, {"ket_qua": "khong_dat", "ly_do": "ly-do-bi-mat 7654321"},
                    note="ghi-chu-noi-bo 2")  # refused: the dossier is finished
    page, api = _look(client, d.code)
    assert api.get_json()["status"] == "refused" and set(api.get_json()) == API_KEYS
    _assert_nothing_personal(page.get_data(as_text=True), secrets, "page finished")
    _assert_nothing_personal(api.get_data(as_text=True), secrets, "api finished")


@pytest.mark.parametrize("unknown", ["000.00.15.H12-260302-0002", "000.00.15.H12-260302", "000.00.15.H12-%",
                                     "%", "_", "000.00.15.H12-260302-000_", "' OR '1'='1", "x" * 64])
def test_unknown_codes_get_one_fixed_answer(client, engine, world, deployed, unknown):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    reference_page, reference_api = _look(client, "000.00.15.H12-999999-9999")
    page, api = _look(client, unknown)
    assert (page.status_code, api.status_code) == (404, 404)
    assert api.get_json() == reference_api.get_json() and set(api.get_json()) == {"error"}
    # the page differs from the reference only by the code it echoes
    assert _without(page, unknown) == _without(reference_page, "000.00.15.H12-999999-9999")
    assert d.code not in _without(page, unknown) and MASKED not in page.get_data(as_text=True)


def _without(page: Any, code: str) -> str:
    """The answer section of a lookup page, with the echoed code taken out."""
    from markupsafe import escape

    text = page.get_data(as_text=True)
    assert "lookup-result" not in text
    found = re.search(r'<section class="card lookup-missing".*?</section>', text, re.S)
    assert found, "no not-found section"
    return found.group(0).replace(str(escape(code)), "CODE")
