"""A dossier's whole journey in a real browser (Debian's chromium), with screenshots of the main pages.

A real server runs in a thread on a free port of 127.0.0.1 on a temporary SQLite database; the
clerk receives a dossier, each agency's officials claim and complete their steps, the public
lookup shows the result, a leader reads the dashboard and a designer reads a broken diagram's
messages. The screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from engine.runtime import Engine
from tests.conftest import DATA, PASSWORD, ROOT, World

pytestmark = pytest.mark.browser

# Screenshots are taken on every run (a page that fails to render fails the test) and kept in
# docs/screenshots/ only when LIENTHONG_SCREENSHOTS=1 (`make screenshots`), so a test run leaves
# the working tree as it found it.
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("LIENTHONG_SCREENSHOTS") == "1" else None
def login(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url("**/inbox")


def logout(page: Any) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_load_state()


def shot(page: Any, name: str) -> None:
    image = page.screenshot(full_page=True)
    assert image.startswith(b"\x89PNG") and len(image) > 10_000, f"{name}: blank or broken page"
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"{name}.png").write_bytes(image)


def claim_and_open(page: Any, code: str, step: str) -> None:
    """From the inbox, claim the dossier's step; the step page opens with the form."""
    page.goto("/inbox")
    row = page.locator("#ready tr", has_text=code).filter(has_text=step)
    row.get_by_role("button", name="Nhận xử lý").click()
    page.wait_for_selector("text=Hoàn thành và chuyển bước")


def complete(page: Any) -> None:
    page.get_by_role("button", name="Hoàn thành và chuyển bước").click()
    page.wait_for_url("**/inbox")
    assert page.locator(".flash.success").count() == 1


def test_journey(page: Any, server: tuple[str, Engine, World]) -> None:
    _, engine, world = server
    errors: list[str] = []
    failed: list[str] = []
    # Pages answered 400/422 on purpose log "Failed to load resource"; anything else is a fault.
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document" else None)

    # The desk receives the dossier and prints the receipt.
    login(page, "clerk")
    page.get_by_role("link", name="Tiếp nhận").click()
    page.select_option("#procedure-choice", "T.000001")
    page.get_by_role("button", name="Chọn").click()
    page.fill("#applicant_name", "Nguyễn Thị Minh Khai")
    page.fill("#applicant_id_number", "060190001234")
    page.fill("#applicant_phone", "0912 345 678")
    page.fill("#applicant_address", "25 Nguyễn Tất Thành, Phan Thiết, Lâm Đồng")
    page.fill("#f-so_ban_sao", "2")
    page.check("#first-du_giay_to")  # the desk's own first step is on the reception form
    page.get_by_role("button", name="Tiếp nhận và in giấy biên nhận").click()
    page.wait_for_selector(".receipt")
    code = page.locator(".dossier-code").inner_text().strip()
    assert code.startswith("000.00.15.H12-")
    qr = page.locator(".qr img")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "desk-receipt")

    # Received once: the desk's step is done with the receipt and the dossier is with the division.
    page.goto("/inbox")
    assert page.locator("#ready tr", has_text=code).count() == 0
    logout(page)

    # The division examines: a wrong value first, then the right one.
    login(page, "officer")
    assert page.locator("#ready tr", has_text=code).count() == 1
    shot(page, "inbox")
    claim_and_open(page, code, "Thẩm định hồ sơ")
    page.fill("#f-so_tien", "-1")
    page.get_by_role("button", name="Hoàn thành và chuyển bước").click()
    page.wait_for_selector(".field-error")
    assert page.locator(".field-error").count() == 2  # ket_qua required, so_tien below its minimum
    shot(page, "step-form-errors")
    page.select_option("#f-ket_qua", "dat")
    page.fill("#f-so_tien", "3600000")
    page.fill("#f-ly_do", "Đủ điều kiện hưởng hỗ trợ.")
    page.fill("#note", "Đề nghị Công an cho ý kiến về nơi cư trú.")
    complete(page)
    logout(page)

    # The police give their opinion in parallel with the division's own.
    login(page, "police")
    claim_and_open(page, code, "Công an cho ý kiến")
    page.fill("#f-y_kien_ca", "Thông tin cư trú khớp với cơ sở dữ liệu dân cư.")
    complete(page)
    page.goto(f"/dossiers/{code}")
    assert page.locator(".diagram img").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "dossier")
    logout(page)

    login(page, "officer2")
    claim_and_open(page, code, "Phòng tổng hợp ý kiến")
    complete(page)
    logout(page)

    # The leader signs; the desk returns the result.
    login(page, "leader")
    claim_and_open(page, code, "Ký quyết định")
    page.fill("#f-so_quyet_dinh", "125/QĐ-UBND")
    page.fill("#f-ngay_quyet_dinh", "2026-03-04")
    complete(page)
    logout(page)
    login(page, "clerk")
    claim_and_open(page, code, "Trả kết quả")
    complete(page)
    page.goto(f"/dossiers/{code}")
    assert "Đã trả kết quả" in page.locator(".page-head").inner_text()
    assert page.locator(".control-form tbody tr").count() >= 7
    logout(page)

    # A citizen looks the dossier up on the public portal.
    page.goto(f"/tra-cuu?code={code}")
    assert code in page.content()
    assert "Đã trả kết quả" in page.content()
    assert "Nguyễn Thị Minh Khai" not in page.content()  # the public sees a masked name
    shot(page, "portal-lookup")

    # A leader reads the dashboard, with more dossiers waiting at the division.
    for name in ("Trần Văn Bình", "Lê Thị Cúc", "Phạm Quốc Dũng"):
        receive = engine.start_dossier(world["clerk"], "T.000001", {"name": name}).open_steps[0]
        engine.claim(world["clerk"], receive.id)
        examine = engine.complete(world["clerk"], receive.id, {"du_giay_to": True}).open_steps[0]
    engine.claim(world["officer"], examine.id)
    login(page, "lead_pcm")
    page.get_by_role("link", name="Điều hành").click()
    page.wait_for_selector(".stats")
    assert "Kết quả xử lý các bước đã xong" in page.content()
    shot(page, "dashboard")
    logout(page)

    # A designer uploads a broken diagram and reads the messages.
    broken = ((DATA / "three_agencies.bpmn").read_text().replace('name="CA"', 'name="Cơ quan lạ"')
              .replace('<camunda:property name="working_days" value="2" />', ""))
    login(page, "designer")
    page.get_by_role("link", name="Thiết kế quy trình").click()
    page.set_input_files("#bpmn", {"name": "hong.bpmn", "mimeType": "application/xml",
                                   "buffer": broken.encode()})
    page.get_by_role("button", name="Kiểm tra và xem trước").click()
    page.wait_for_selector("table.problems")
    problems = page.locator("table.problems").inner_text()
    assert "Lane_police" in problems and "Examine" in problems and "55" in problems
    shot(page, "designer-messages")

    assert errors == [], errors  # no CSP violations or script errors on any page
    assert failed == [], failed  # every image, script and stylesheet loaded
