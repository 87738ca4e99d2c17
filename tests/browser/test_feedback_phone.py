"""A citizen on a 390 px phone sends feedback, follows it with the two codes, reads the PAKN contacts and the
filling guides; an official answers it; no page scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest

from engine import feedback_contacts
from engine.runtime import Engine
from tests.browser.test_journey import login
from tests.browser.test_officials import OFFENDERS
from tests.conftest import World

TEXT = "Trang thủ tục chưa ghi rõ thời gian trả kết quả; xin cơ quan giải thích thêm giúp tôi."


@pytest.fixture
def phone(page: Any) -> Any:
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def wide(page: Any) -> Any:
    width = page.evaluate("document.documentElement.scrollWidth")
    return (width, page.evaluate(OFFENDERS)) if width > 390 else None


def test_send_follow_and_answer_on_a_phone(phone: Any, server: tuple[str, Engine, World]) -> None:
    _base, engine, _world = server
    feedback_contacts.set_contacts(engine, "000.00.15.H12", [{
        "name": "Nguyễn Thị Tiếp Nhận Phản Ánh Kiến Nghị Rất Dài Tên", "title": "Chuyên viên Bộ phận Một cửa",
        "phone": "0263 3822 999", "email": "tiepnhan.phananh.kiennghi@motcua.example.vn"}])
    page = phone
    too_wide = {}
    page.goto("/thu-tuc/T.000001")
    page.click("text=Gửi phản ánh, kiến nghị >> nth=-1")
    page.select_option("#agency", "000.00.15.H12")
    page.fill("#name", "Trần Thị Bình")
    page.fill("#contact", "binh@example.vn")
    page.fill("#text", TEXT)
    too_wide["/pakn/gui"] = wide(page)
    page.click("button[type=submit].primary")
    codes = page.locator("strong.code").all_inner_texts()
    assert len(codes) == 2
    reference, secret = codes
    too_wide["sent"] = wide(page)

    official = page.context.browser.new_context(base_url=_base, viewport={"width": 390, "height": 844})
    desk = official.new_page()
    login(desk, "clerk")
    desk.goto("/feedback")
    too_wide["/feedback"] = wide(desk)
    desk.click(f"text={reference}")
    too_wide["/feedback/<reference>"] = wide(desk)
    desk.fill("#answer", "Thời gian trả kết quả là 5 ngày làm việc kể từ ngày nhận đủ hồ sơ.")
    desk.check("input[name=publish]")
    desk.click("button[type=submit].primary")
    assert "Đã gửi câu trả lời" in desk.content()
    official.close()

    page.goto(f"/pakn/theo-doi?reference={reference}")
    page.fill("#secret", secret)
    page.click("button[type=submit].primary")
    assert "5 ngày làm việc" in page.content()
    too_wide["/pakn/theo-doi"] = wide(page)
    page.check("input[name=rating][value='4']")
    page.locator("button[type=submit].primary").last.click()
    assert "4/5" in page.content()
    for path in ("/pakn", "/pakn/tra-loi", "/guides", "/tra-cuu"):
        page.goto(path)
        too_wide[path] = wide(page)
    assert "Nguyễn Thị Tiếp Nhận" in (page.goto("/pakn") and page.content())
    assert {k: v for k, v in too_wide.items() if v} == {}
