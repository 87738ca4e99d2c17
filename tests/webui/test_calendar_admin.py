"""The admin page's calendar decisions: listed by year, added with their days, confirmed."""

from __future__ import annotations

from datetime import date

from engine import calendar_decisions
from tests.webui.helpers import login, post


def test_admin_lists_adds_and_confirms_calendar_decisions(client, engine, admin):
    calendar_decisions.sync_shipped(engine)
    login(client, "admin")
    page = client.get("/admin?year=2026").get_data(as_text=True)
    assert "12729/VPCP-KGVX" in page and "10/01/2026" in page and "Chưa xác nhận" in page
    assert "6150/TB-BLĐTBXH" not in page  # 2025 is listed under its own year
    assert "6150/TB-BLĐTBXH" in client.get("/admin?year=2025").get_data(as_text=True)
    r = post(client, "/admin/calendar/decisions", {
        "number": "1234/VPCP-KGVX", "issued_on": "2027-01-15", "issuer": "Văn phòng Chính phủ",
        "title": "Nghỉ Tết Nguyên đán Đinh Mùi 2027", "source": "https://chinhphu.vn/x", "confirmed": "1",
        "days_off": "2027-02-11 Nghỉ Tết\n", "working_days": "2027-02-20 Làm bù"}, page="/admin")
    assert r.status_code == 302 and "year=2027" in r.headers["Location"]
    page = client.get("/admin?year=2027").get_data(as_text=True)
    assert "1234/VPCP-KGVX" in page and "11/02/2027" in page and "20/02/2027" in page
    cal = engine.calendar()
    assert not cal.is_working_day(date(2027, 2, 11)) and cal.is_working_day(date(2027, 2, 20))
    # an unconfirmed one is listed, then confirmed
    r = post(client, "/admin/calendar/decisions/2026-quoc-khanh-hoan-doi/confirm", page="/admin")
    assert r.status_code == 302
    assert not engine.calendar().is_working_day(date(2026, 8, 31))
    assert post(client, "/admin/calendar/decisions/khong-co/confirm", page="/admin").status_code == 404


def test_a_bad_decision_is_refused_and_nothing_is_added(client, engine, admin):
    login(client, "admin")
    bad = post(client, "/admin/calendar/decisions", {"title": "Nghỉ", "days_off": "02/01/2027"}, page="/admin")
    assert bad.status_code == 400 and "Ngày không hợp lệ" in bad.get_data(as_text=True)
    empty = post(client, "/admin/calendar/decisions", {"title": "Nghỉ"}, page="/admin")
    assert empty.status_code == 400 and "ít nhất một ngày" in empty.get_data(as_text=True)
    assert calendar_decisions.list_decisions(engine) == []


def test_only_an_admin_adds_a_decision(client, engine, world):
    login(client, "clerk")
    r = post(client, "/admin/calendar/decisions", {"title": "Nghỉ", "days_off": "2027-03-01"})
    assert r.status_code == 403
    assert calendar_decisions.list_decisions(engine) == []
