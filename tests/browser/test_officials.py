"""The officials' daily work in a real browser, on the shipped funeral-support procedure (1.001731)
with the demo agencies and officials: one reception, forms that hold, the case on every page,
roles inside an agency, the signed result downloaded from the public lookup, and every page
usable on a 390 px phone with a 255-character name in the data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import accounts, db
from engine.demo import demo_username, seed
from engine.runtime import Engine
from tests.browser.conftest import ARGS, CHROMIUM, serving
from tests.conftest import PASSWORD, ROOT

pytestmark = pytest.mark.browser

CODE = "1.001731"
COMMUNE, OFFICE, CITY = "UBNDX.LH", "UBNDX.LH.VHXH", "UBNDX.LH.LD"
SIGNED = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LONG_NAME = "Nguyễn" + "A" * 249  # 255 characters, one unbreakable word
APPLICANT = {"name": "Trần Thị Hoa", "id_number": "060190001234", "phone": "0912345678",
             "address": "Thôn 1, xã Liên Hương"}
START = {"ho_ten_nguoi_mat": "Trần Văn Cường", "ngay_mat": "2026-11-25",
         "doi_tuong_nguoi_mat": "ho_ngheo_can_ngheo", "quan_he_voi_nguoi_mat": "Con"}
FIRST = {"co_to_khai_mau_04": True, "co_ban_sao_giay_chung_tu": True}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    db.upgrade(url)
    engine = Engine(url)
    stored = accounts.hash_password(PASSWORD)
    with pytest.MonkeyPatch.context() as mp:  # one hash for every demo official
        mp.setattr(accounts, "hash_password", lambda _password: stored)
        seed(engine, ROOT / "workflows", PASSWORD)
    try:
        with serving(engine, url, tmp_path) as base:
            yield base, engine
    finally:
        engine.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make setup`"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


def signed_in(browser: Any, base: str, agency: str, role: str, width: int = 1280, height: int = 860) -> Any:
    context = browser.new_context(base_url=base, viewport={"width": width, "height": height}, locale="vi-VN")
    context.set_default_timeout(15000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", demo_username(agency, role))
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/inbox")
    return page


def official(engine: Engine, agency: str, role: str) -> accounts.Actor:
    with engine.Session() as s:
        return next(a for a in accounts.list_officials(s, agency) if a.username == demo_username(agency, role))


def handle(engine: Engine, code: str, agency: str, role: str, element: str, data: dict[str, Any]) -> None:
    who = official(engine, agency, role)
    step = next(s for s in engine.inbox(who) if s.dossier_code == code and s.element_id == element)
    engine.claim(who, step.id)
    engine.complete(who, step.id, data)


def open_errors(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".field-error").all_inner_texts()]


def test_the_desk_receives_once_and_refuses_every_bad_value_at_once(browser: Any, demo: tuple[str, Engine]) -> None:
    base, engine = demo
    page = signed_in(browser, base, COMMUNE, "clerk")
    page.goto(f"/desk?procedure={CODE}")
    page.fill("#applicant_name", APPLICANT["name"])
    page.fill("#applicant_id_number", "1")  # not a 12-digit personal number
    page.fill("#f-ho_ten_nguoi_mat", START["ho_ten_nguoi_mat"])
    page.fill("#f-ngay_mat", (date.today() + timedelta(days=30)).isoformat())  # a death in the future
    page.select_option("#f-doi_tuong_nguoi_mat", START["doi_tuong_nguoi_mat"])
    page.fill("#f-quan_he_voi_nguoi_mat", START["quan_he_voi_nguoi_mat"])
    # The first step's fields are on the desk form itself; its required checkbox is left unticked.
    page.check("#first-co_ban_sao_giay_chung_tu")
    page.get_by_role("button", name="Tiếp nhận và in giấy biên nhận").click()
    page.wait_for_load_state()

    errors = open_errors(page)
    assert len(errors) == 3, errors  # all at once, each beside its field
    assert page.locator(".field.has-error #applicant_id_number").count() == 1
    assert page.locator(".field.has-error #f-ngay_mat").count() == 1
    assert page.locator(".field.has-error #first-co_to_khai_mau_04").count() == 1
    assert any("12 chữ số" in e for e in errors) and any("sau hôm nay" in e for e in errors)
    assert page.input_value("#applicant_name") == APPLICANT["name"]  # the input is kept
    assert page.input_value("#f-ho_ten_nguoi_mat") == START["ho_ten_nguoi_mat"]
    assert page.is_checked("#first-co_ban_sao_giay_chung_tu")
    assert not any("(" in e and "required" in e for e in errors)  # no English gloss
    assert engine.inbox(official(engine, COMMUNE, "clerk")) == []  # nothing was created

    page.fill("#applicant_id_number", APPLICANT["id_number"])
    page.fill("#f-ngay_mat", START["ngay_mat"])
    page.check("#first-co_to_khai_mau_04")
    page.get_by_role("button", name="Tiếp nhận và in giấy biên nhận").click()
    page.wait_for_url("**/desk/receipt/**")
    code = page.url.rsplit("/", 1)[-1]

    # One reception: the desk's step is done with the receipt; the commune officer has the next one.
    d = engine.dossier(code)
    first = next(s for s in d.steps if s.element_id == "Task_tiep_nhan")
    assert first.state == "completed" and first.form_data["co_to_khai_mau_04"] is True
    assert [s.element_id for s in d.open_steps] == ["Task_xa_xac_minh"]
    assert not [s for s in engine.inbox(official(engine, COMMUNE, "clerk")) if s.dossier_code == code]


def test_a_leader_sees_no_clerk_steps_and_cannot_claim_them(browser: Any, demo: tuple[str, Engine]) -> None:
    base, engine = demo
    clerk = official(engine, COMMUNE, "clerk")
    d = engine.start_dossier(clerk, CODE, APPLICANT, START)  # through the API without first_step: open
    assert [s.element_id for s in d.open_steps] == ["Task_tiep_nhan"]
    page = signed_in(browser, base, COMMUNE, "leader")
    assert page.locator("#ready tr", has_text=d.code).count() == 0
    page.goto(f"/dossiers/{d.code}")
    assert page.locator("#next").get_by_role("button", name="Nhận xử lý").count() == 0
    clerk_page = signed_in(browser, base, COMMUNE, "clerk")
    assert clerk_page.locator("#ready tr", has_text=d.code).count() == 1


def _to_the_chairman(engine: Engine, name: str = APPLICANT["name"]) -> str:
    clerk = official(engine, COMMUNE, "clerk")
    from engine import reception

    d = reception.receive(engine, clerk, CODE, {**APPLICANT, "name": name}, START, FIRST)
    handle(engine, d.code, COMMUNE, "officer", "Task_xa_xac_minh", {"nhan_xet_cua_xa": "Đúng đối tượng"})
    handle(engine, d.code, COMMUNE, "leader", "Task_xa_chuyen",
           {"so_van_ban_de_nghi": "12/UBND", "ngay_van_ban_de_nghi": date.today().isoformat()})
    handle(engine, d.code, OFFICE, "officer", "Task_phong_tham_dinh",
           {"ket_qua_tham_dinh": "dat", "so_tien_de_xuat": 9_000_000})
    handle(engine, d.code, OFFICE, "leader", "Task_phong_trinh", {"y_kien_truong_phong": "Đề nghị hỗ trợ"})
    return d.code


def test_the_chairman_signs_with_the_proposal_in_view_and_the_result_downloads(
        browser: Any, demo: tuple[str, Engine]) -> None:
    base, engine = demo
    code = _to_the_chairman(engine)
    page = signed_in(browser, base, CITY, "leader")
    page.locator("#ready tr", has_text=code).get_by_role("button", name="Nhận xử lý").click()
    page.wait_for_selector("text=Hoàn thành và chuyển bước")
    # The case: the reception's and every earlier step's values, with labels and who entered them.
    case = page.locator("#case")
    assert "Trần Văn Cường" in case.inner_text() and "9.000.000" in case.inner_text()
    assert "Số tiền đề xuất hỗ trợ (đồng)" in case.inner_text()
    assert "Lãnh đạo" in case.inner_text()  # the head of department's name
    assert page.input_value("#f-so_tien_ho_tro") == "9000000"  # pre-filled, not retyped
    page.fill("#f-so_quyet_dinh", "345/QĐ-UBND")
    page.fill("#f-ngay_quyet_dinh", date.today().isoformat())
    page.get_by_role("button", name="Hoàn thành và chuyển bước").click()
    page.wait_for_load_state()
    assert len(open_errors(page)) == 1  # the signed decision is required
    assert page.input_value("#f-so_quyet_dinh") == "345/QĐ-UBND"
    page.set_input_files("#f-quyet_dinh_da_ky", files=[{"name": "quyet-dinh.pdf", "mimeType": "application/pdf",
                                                         "buffer": SIGNED}])
    page.get_by_role("button", name="Hoàn thành và chuyển bước").click()
    page.wait_for_url("**/inbox")
    decision = next(s for s in engine.dossier(code).steps if s.element_id == "Task_quyet_dinh")
    assert decision.form_data["so_tien_ho_tro"] == 9_000_000

    public = browser.new_context(base_url=base, locale="vi-VN").new_page()
    public.goto(f"/tra-cuu?code={code}")
    assert public.get_by_role("button", name="Tải kết quả").count() == 0  # not returned yet
    handle(engine, code, COMMUNE, "clerk", "Task_tra_ket_qua", {})
    public.goto(f"/tra-cuu?code={code}")
    secret = engine.documents_secret(code) if hasattr(engine, "documents_secret") else _secret(engine, code)
    public.fill("#secret", secret)
    with public.expect_download() as download:
        public.get_by_role("button", name="Tải kết quả").click()
    assert Path(download.value.path()).read_bytes() == SIGNED


def _secret(engine: Engine, code: str) -> str:
    from sqlalchemy import select

    from engine import models

    with engine.Session() as s:
        return s.scalar(select(models.Dossier.lookup_secret).where(models.Dossier.code == code)) or ""


OFFENDERS = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
  .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' '
    + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').trim().slice(0, 30))"""


def test_no_page_scrolls_sideways_on_a_phone(browser: Any, demo: tuple[str, Engine]) -> None:
    base, engine = demo
    code = _to_the_chairman(engine, name=LONG_NAME)
    clerk = official(engine, COMMUNE, "clerk")
    open_one = engine.start_dossier(clerk, CODE, {**APPLICANT, "name": LONG_NAME},
                                    {**START, "ho_ten_nguoi_mat": "B" * 100, "quan_he_voi_nguoi_mat": "C" * 100})
    chairman = signed_in(browser, base, CITY, "leader", 390, 844)
    step = next(s for s in engine.inbox(official(engine, CITY, "leader")) if s.dossier_code == code)
    desk = signed_in(browser, base, COMMUNE, "clerk", 390, 844)
    pages = [(chairman, "/inbox"), (chairman, f"/steps/{step.id}"), (chairman, f"/dossiers/{code}"),
             (desk, "/inbox"), (desk, f"/desk?procedure={CODE}"), (desk, f"/dossiers/{open_one.code}"),
             (desk, f"/dossiers?q={LONG_NAME[:20]}"), (desk, "/"), (desk, f"/thu-tuc/{CODE}"),
             (desk, f"/tra-cuu?code={code}")]
    wide = {}
    for page, path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:  # name the elements sticking out, to say what to fix
            wide[path] = (width, page.evaluate(OFFENDERS))
    assert wide == {}
    # The next action leads the dossier page.
    desk.goto(f"/dossiers/{open_one.code}")
    assert desk.locator("main section.card").first.get_attribute("id") == "next"
