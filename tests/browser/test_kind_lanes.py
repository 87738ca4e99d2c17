"""In a real browser: one diagram whose lanes name agency kinds serves two communes; the desk picks
the dossier's commune and each step lands in that commune's inbox and no other."""

from __future__ import annotations

from typing import Any

import pytest

from engine.runtime import Engine
from tests import kind_world
from tests.browser.test_journey import claim_and_open, complete, login, logout
from tests.conftest import DATA, World

pytestmark = pytest.mark.browser


def receive(page: Any, name: str, commune: str | None) -> str:
    page.goto("/desk?procedure=T.000010")
    page.fill("#applicant_name", name)
    if commune is not None:
        page.fill("#commune", commune)
    page.get_by_role("button", name="Tiếp nhận và in giấy biên nhận").click()
    page.wait_for_selector(".receipt")
    return page.locator(".dossier-code").inner_text().strip()


def test_each_step_lands_in_its_own_communes_inbox(page: Any, server: tuple[str, Engine, World]) -> None:
    _, engine, _ = server
    kind_world.build(engine)
    engine.deploy((DATA / "kind_lanes.bpmn").read_bytes(), filename="kind_lanes.bpmn")

    login(page, "x01.clerk")
    page.goto("/desk?procedure=T.000010")
    # The desk's own commune is offered first; any commune can be found by its name.
    assert page.input_value("#commune") == "X01 — xã Liên Hương"
    assert page.locator("#commune-list option[value='X02 — xã Bắc Bình']").count() == 1
    own = receive(page, "Nguyễn Thị Minh Khai", None)
    other = receive(page, "Trần Văn Bình", "X02 — xã Bắc Bình")
    # A commune without a People's Committee is refused at the desk, naming the kind and the commune.
    page.goto("/desk?procedure=T.000010")
    page.fill("#applicant_name", "Lê Thị Cúc")
    page.fill("#commune", "X03 — xã Tuy Phong")
    page.get_by_role("button", name="Tiếp nhận và in giấy biên nhận").click()
    error = page.locator(".field-error").inner_text()
    assert "xã Tuy Phong" in error and "UBND cấp xã" in error

    # The desk's own commune's dossier: its reception step was done with the receipt (one reception).
    # The other commune's dossier waits for that commune's People's Committee, not in this desk's queue.
    page.goto("/inbox")
    assert page.locator("#ready tr", has_text=own).filter(has_text="Tiếp nhận hồ sơ").count() == 0
    assert page.locator("#ready tr", has_text=own).filter(has_text="Kiểm tra, xác nhận hồ sơ").count() == 1
    assert page.locator("#ready tr", has_text=other).count() == 0
    logout(page)

    login(page, "x02.clerk")
    assert page.locator("#ready tr", has_text=other).count() == 1
    assert page.locator("#ready tr", has_text=own).count() == 0
    claim_and_open(page, other, "Tiếp nhận hồ sơ")
    complete(page)
    logout(page)

    for officer, mine, theirs in (("x01.officer", own, other), ("x02.officer", other, own)):
        login(page, officer)
        assert page.locator("#ready tr", has_text=mine).filter(has_text="Kiểm tra, xác nhận hồ sơ").count() == 1
        assert page.locator("#ready tr", has_text=theirs).count() == 0
        logout(page)
