"""A clerk attaches the scans of a dossier's documents at reception, in a real browser (Debian's chromium).

The desk form lists the procedure's documents with a file field each; the receipt prints the
secret for the electronic result; the dossier page shows the attached scan and flags the missing one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.runtime import Engine
from tests.browser.test_journey import login, shot
from tests.conftest import World
from tests.engine.test_documents import METADATA, PDF, PNG

pytestmark = pytest.mark.browser


@pytest.fixture
def procedure_metadata() -> dict[str, Any]:
    """The procedure's document list, so the desk form shows a file field per document."""
    return METADATA


def test_clerk_attaches_scans_at_reception(page: Any, server: tuple[str, Engine, World], tmp_path: Path) -> None:
    _, engine, _world = server
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)  # the favicon's 404 is no fault
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)

    login(page, "clerk")
    page.get_by_role("link", name="Tiếp nhận").click()
    page.select_option("#procedure-choice", "T.000001")
    page.get_by_role("button", name="Chọn").click()
    page.fill("#applicant_name", "Nguyễn Văn An")
    page.fill("#applicant_id_number", "079123456789")
    page.fill("[name=field-so_ban_sao]", "1")
    page.set_input_files("#doc_0_file", files=[{"name": "tờ khai.pdf", "mimeType": "application/pdf",
                                                "buffer": PDF}])
    page.get_by_role("button", name="Tiếp nhận và in giấy biên nhận").click()
    page.wait_for_url("**/desk/receipt/**")
    code = page.locator(".dossier-code").inner_text().strip()
    secret = page.locator(".lookup-secret").inner_text().strip()
    with engine.Session() as s:
        from engine import models

        assert s.query(models.Dossier).filter_by(code=code).one().lookup_secret == secret
    shot(page, "desk-receipt-secret")

    page.get_by_role("link", name="Xem hồ sơ").click()
    section = page.locator("#documents")
    section.get_by_role("link", name="tờ khai.pdf").first.wait_for()
    assert section.locator("tr.missing").count() == 1
    assert "Giấy chứng tử" in section.locator("tr.missing").inner_text()
    with page.expect_download() as download:
        section.get_by_role("link", name="tờ khai.pdf").first.click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == PDF and download.value.suggested_filename == "tờ khai.pdf"

    # the missing scan is attached from the dossier page
    page.set_input_files("#doc-file", files=[{"name": "chung tu.png", "mimeType": "image/png",
                                              "buffer": PNG}])
    page.select_option("#doc-requirement", label="Giấy chứng tử")
    page.get_by_role("button", name="Đính kèm", exact=True).click()
    page.locator(".flash.success").wait_for()
    assert page.locator("#documents tr.missing").count() == 0
    shot(page, "dossier-documents")
    assert errors == []
