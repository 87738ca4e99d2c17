"""Designer (upload → messages → preview → publish), admin (agencies, officials, calendar), dashboard."""

from __future__ import annotations

import io
import re
from datetime import date

from sqlalchemy import select

from engine import accounts, models, overrides
from tests.conftest import DATA, PASSWORD
from tests.webui.helpers import login, post, token_of

GOOD = (DATA / "three_agencies.bpmn").read_bytes()
BROKEN = (GOOD.decode().replace('name="CA"', 'name="Cơ quan lạ"')
          .replace('<camunda:property name="working_days" value="2" />', "").encode())
CHANGED = GOOD.replace("Ký quyết định".encode(), "Ký và đóng dấu quyết định".encode()).replace(
    b'<camunda:property name="legal_working_days" value="5" />',
    b'<camunda:property name="legal_working_days" value="5" /><camunda:property name="owner_agency" value="PCM" />')


def _upload(client, data, name="quy_trinh.bpmn"):
    return post(client, "/designer/upload", {"bpmn": (io.BytesIO(data), name)}, page="/designer",
                content_type="multipart/form-data")


def test_broken_diagram_shows_messages_with_line_and_element(client, world, data_dir):
    login(client, "designer")
    response = _upload(client, BROKEN, "hong.bpmn")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "2 lỗi, 1 cảnh báo" in page
    assert re.search(r'<td class="num">29</td>\s*<td><code>Lane_police</code></td>', page)
    assert re.search(r'<td class="num">55</td>\s*<td><code>Examine</code></td>', page)
    assert "Cơ quan lạ" in page and "working_days" in page
    assert "Công bố phiên bản mới" not in page


def test_good_diagram_previews_and_publishes_a_new_version(client, engine, world, deployed, data_dir):
    login(client, "designer")
    page = _upload(client, CHANGED, "../../etc/ba_co_quan.bpmn").get_data(as_text=True)
    assert "Sơ đồ hợp lệ" in page and "Ký và đóng dấu quyết định" in page  # the step table
    assert "Công an tỉnh" in page  # responsible agency by name
    sha = re.search(r'name="sha" value="([0-9a-f]{64})"', page).group(1)
    assert (data_dir / "uploads" / f"{sha}.bpmn").read_bytes() == CHANGED
    assert 'value="ba_co_quan.bpmn"' in page  # never a client path
    svg = client.get(f"/designer/preview/{sha}.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert client.get("/designer/preview/" + "0" * 64 + ".svg").status_code == 404
    # a designer submits it for approval: version 2 exists, version 1 stays in force
    assert 'action="/designer/publish"' not in page
    sent = post(client, "/designer/submit", {"sha": sha, "filename": "ba_co_quan.bpmn"}, page="/designer",
                follow_redirects=True)
    assert "Đã gửi duyệt thủ tục T.000001, phiên bản 2" in sent.get_data(as_text=True)
    assert engine.procedure("T.000001").version == 1
    assert post(client, "/designer/publish", {"sha": sha, "decision_number": "1", "decision_date": "2026-03-01"},
                page="/designer").status_code == 403
    assert client.get("/designer/procedures/T.000001/2.svg").status_code == 200


def test_an_administrator_publishes_an_upload_at_once_with_the_decision(client, engine, world, deployed, admin,
                                                                      data_dir):
    login(client, "admin")
    page = _upload(client, CHANGED, "ba_co_quan.bpmn").get_data(as_text=True)
    sha = re.search(r'name="sha" value="([0-9a-f]{64})"', page).group(1)
    missing = post(client, "/designer/publish", {"sha": sha, "filename": "ba_co_quan.bpmn"}, page="/designer")
    assert missing.status_code == 400 and engine.procedure("T.000001").version == 1
    assert post(client, "/designer/publish", {"sha": "../x", "decision_number": "1", "decision_date": "2026-03-01"},
                page="/designer").status_code == 404
    done = post(client, "/designer/publish", {"sha": sha, "filename": "ba_co_quan.bpmn",
                                              "decision_number": "123/QĐ-UBND", "decision_date": "2026-02-27"},
                page="/designer", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "phiên bản 2" in text and "123/QĐ-UBND" in text and "27/02/2026" in text
    assert engine.procedure("T.000001").version == 2


def test_admin_adds_agency_official_and_calendar_override(client, engine, admin):
    login(client, "admin")
    page = client.get("/admin").get_data(as_text=True)
    assert "Công an tỉnh" in page
    r = post(client, "/admin/agencies", {"code": "BHXH", "name": "Bảo hiểm xã hội tỉnh", "level": "province",
                                         "phone": "0252 3822 000"}, page="/admin")
    assert r.status_code == 302
    r = post(client, "/admin/officials", {"username": "bhxh1", "full_name": "Phạm Văn Bảo", "agency": "BHXH",
                                          "roles": ["officer", "leader"], "password": PASSWORD}, page="/admin")
    assert r.status_code == 302
    r = post(client, "/admin/calendar", {"day": "2026-03-09", "working": "0", "note": "Nghỉ bù"}, page="/admin")
    assert r.status_code == 302
    page = client.get("/admin").get_data(as_text=True)
    assert "Bảo hiểm xã hội tỉnh" in page and "bhxh1" in page and "Lãnh đạo, Chuyên viên" in page
    assert "09/03/2026" in page and "Nghỉ bù" in page
    assert overrides.list_overrides(engine)[0].working is False
    assert not engine.calendar().is_working_day(date(2026, 3, 9))
    # An override made by mistake is removed: the day follows the ordinary calendar again.
    r = post(client, "/admin/calendar/2026-03-09/delete", page="/admin")
    assert r.status_code == 302 and overrides.list_overrides(engine) == []
    assert engine.calendar().is_working_day(date(2026, 3, 9))
    r = post(client, "/admin/calendar", {"day": "2026-03-09", "working": "0", "note": "Nghỉ bù"}, page="/admin")
    # the new official can log in
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)})
    login(client, "bhxh1")
    # mistakes are shown, nothing is added
    client.post("/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/inbox").get_data(as_text=True)).group(1)})
    login(client, "admin")
    bad = post(client, "/admin/officials", {"username": "bhxh2", "full_name": "X", "agency": "BHXH",
                                            "roles": ["officer"], "password": "ngan"}, page="/admin")
    assert bad.status_code == 400 and "Mật khẩu phải dài ít nhất 8" in bad.get_data(as_text=True)
    dup = post(client, "/admin/agencies", {"code": "BHXH", "name": "Khác"}, page="/admin")
    assert dup.status_code == 400 and "đã tồn tại" in dup.get_data(as_text=True)


def test_dashboard_shows_load_overdue_and_rates(client, engine, world, deployed, clock):
    one = engine.start_dossier(world["clerk"], deployed, {"name": "A"})
    two = engine.start_dossier(world["clerk"], deployed, {"name": "B"})
    for d in (one, two):
        engine.claim(world["clerk"], d.open_steps[0].id)
        engine.complete(world["clerk"], d.open_steps[0].id, {})
    examine_one = engine.dossier(one.code).open_steps[0]
    engine.claim(world["officer"], examine_one.id)
    engine.complete(world["officer"], examine_one.id, {"ket_qua": "dat"})  # early
    clock.advance(days=4)
    login(client, "lead_pcm")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Phòng chuyên môn" in page
    assert two.code in page[page.index("Bước quá hạn"):page.index("Sắp đến hạn</h2>")]
    assert "100,0%" in page  # one early step out of one
    assert "T.000001 · Thủ tục thử nghiệm ba cơ quan" in page


def _official(engine, username):
    with engine.Session() as s:
        return next(o for o in accounts.list_officials(s) if o.username == username)


def _row(page, username):
    """The officials-table row of ``username`` on the admin page."""
    found = re.search(rf'<tr id="official-{re.escape(username)}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {username}"
    return found.group(1)


def _form_fields(html, action):
    """The fields the browser would send with the form posting to ``action`` (hidden inputs, checked boxes)."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert form, f"no form for {action}"
    fields: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form.group(1)):
        name, value = re.search(r'name="([^"]+)"', tag).group(1), re.search(r'value="([^"]*)"', tag).group(1)
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        fields.setdefault(name, []).append(value)
    return fields


def test_admin_deactivates_an_official_who_is_signed_out_then_reactivates(app, client, engine, world, deployed,
                                                                          admin):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "A"})
    engine.claim(world["clerk"], dossier.open_steps[0].id)
    engine.complete(world["clerk"], dossier.open_steps[0].id, {})
    examine = engine.dossier(dossier.code).open_steps[0]
    engine.claim(world["officer"], examine.id)
    officer = app.test_client()
    login(officer, "officer")
    assert officer.get("/inbox").status_code == 200

    login(client, "admin")
    page = client.get("/admin").get_data(as_text=True)
    assert "Đang hoạt động" in _row(page, "officer") and "Khoá tài khoản" in _row(page, "officer")
    fields = _form_fields(page, "/admin/officials/officer/active")
    assert fields["active"] == ["0"] and fields["csrf_token"]  # the page's own form, as a browser sends it
    done = client.post("/admin/officials/officer/active", data=fields)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin#officials")
    page = client.get("/admin").get_data(as_text=True)
    assert "Đã khoá tài khoản của Officer" in page
    assert "Đã khoá" in _row(page, "officer") and "Mở lại tài khoản" in _row(page, "officer")
    assert _official(engine, "officer").active is False
    # the official's open session is gone at the next request, and they cannot log in again
    refused = officer.get("/inbox")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    again = app.test_client()
    failed = again.post("/login", data={"username": "officer", "password": PASSWORD, "csrf_token": token_of(again)})
    assert failed.status_code == 200 and "Sai tên đăng nhập hoặc mật khẩu" in failed.get_data(as_text=True)
    # the step they had claimed is back in the agency's queue; the event log names the administrator
    step = engine.dossier(dossier.code).open_steps[0]
    assert (step.id, step.state, step.assignee_id) == (examine.id, "ready", None)
    with engine.Session() as s:
        event = s.scalars(select(models.Event).where(models.Event.action == "official.updated")).one()
    assert event.actor_id == admin.id and event.details["username"] == "officer"
    assert event.details["active"] == {"from": True, "to": False}

    fields = _form_fields(page, "/admin/officials/officer/active")
    assert fields["active"] == ["1"]
    assert client.post("/admin/officials/officer/active", data=fields).status_code == 302
    page = client.get("/admin").get_data(as_text=True)
    assert "Đã mở lại tài khoản của Officer" in page and "Đang hoạt động" in _row(page, "officer")
    login(again, "officer")
    assert again.get("/inbox").status_code == 200


def test_admin_changes_roles_which_end_the_officials_sessions(app, client, engine, world, admin):
    officer = app.test_client()
    login(officer, "officer")
    assert officer.get("/dashboard").status_code == 403  # leaders and admins only
    login(client, "admin")
    page = client.get("/admin").get_data(as_text=True)
    fields = _form_fields(page, "/admin/officials/officer/roles")
    assert fields["roles"] == ["officer"] and fields["csrf_token"]  # the current roles come checked
    fields["roles"] = ["officer", "leader"]
    done = client.post("/admin/officials/officer/roles", data=fields)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin#officials")
    page = client.get("/admin").get_data(as_text=True)
    assert "Đã cập nhật vai trò của Officer: Lãnh đạo, Chuyên viên." in page
    assert "<td>Lãnh đạo, Chuyên viên" in _row(page, "officer")
    assert _official(engine, "officer").roles == {"leader", "officer"}
    assert officer.get("/dashboard").status_code == 302  # the session ended: sent to the login page
    login(officer, "officer")
    assert officer.get("/dashboard").status_code == 200  # signed in again, with the new role
    # no role at all is refused, nothing changes
    bad = post(client, "/admin/officials/officer/roles", {}, page="/admin")
    assert bad.status_code == 400 and "Vai trò không hợp lệ" in bad.get_data(as_text=True)
    assert _official(engine, "officer").roles == {"leader", "officer"}
    unknown = post(client, "/admin/officials/officer/roles", {"roles": ["officer", "boss"]}, page="/admin")
    assert unknown.status_code == 400 and "boss" in unknown.get_data(as_text=True)
    assert post(client, "/admin/officials/officer/roles", {"roles": ["officer"]}, page="/admin").status_code == 302
    login(officer, "officer")
    assert officer.get("/dashboard").status_code == 403
    missing = post(client, "/admin/officials/khong-co/roles", {"roles": ["officer"]}, page="/admin")
    assert missing.status_code == 400 and "Không có cán bộ" in missing.get_data(as_text=True)


def test_official_management_is_for_admins_only_and_needs_the_csrf_token(client, engine, world, admin):
    login(client, "lead_pcm")
    assert post(client, "/admin/officials/officer/active", {"active": "0"}).status_code == 403
    assert post(client, "/admin/officials/officer/roles", {"roles": ["admin"]}).status_code == 403
    assert post(client, "/admin/officials/lead_pcm/roles", {"roles": ["leader", "admin"]}).status_code == 403
    client.post("/logout", data={"csrf_token": token_of(client, "/inbox")})
    login(client, "admin")
    for path, data in (("/admin/officials/officer/active", {"active": "0"}),
                       ("/admin/officials/officer/roles", {"roles": ["leader"]}),
                       ("/admin/officials/officer/active", {"active": "0", "csrf_token": "forged"})):
        rejected = client.post(path, data=data)
        assert rejected.status_code == 400 and "CSRF" in rejected.get_data(as_text=True)
    officer, lead = _official(engine, "officer"), _official(engine, "lead_pcm")
    assert (officer.active, officer.roles) == (True, {"officer"})
    assert lead.roles == {"leader"}
    with engine.Session() as s:
        assert s.scalars(select(models.Event).where(models.Event.action == "official.updated")).all() == []


def test_admin_cannot_lock_themselves_out(client, engine, world, admin):
    login(client, "admin")
    page = client.get("/admin").get_data(as_text=True)
    assert "Tài khoản của bạn" in _row(page, "admin")
    assert 'action="/admin/officials/admin/active"' not in page  # no button that could only fail
    refused = post(client, "/admin/officials/admin/active", {"active": "0"}, page="/admin")
    assert refused.status_code == 400
    assert "Không thể tự khoá tài khoản của chính mình" in refused.get_data(as_text=True)
    dropped = post(client, "/admin/officials/admin/roles", {"roles": ["designer"]}, page="/admin")
    assert dropped.status_code == 400
    assert "Không thể tự bỏ vai trò quản trị của chính mình" in dropped.get_data(as_text=True)
    me = _official(engine, "admin")
    assert (me.active, me.roles) == (True, {"admin"})
    assert client.get("/admin").status_code == 200
    garbled = post(client, "/admin/officials/officer/active", {"active": "maybe"}, page="/admin")
    assert garbled.status_code == 400 and _official(engine, "officer").active is True
    unknown = post(client, "/admin/officials/khong-co/active", {"active": "0"}, page="/admin")
    assert unknown.status_code == 400 and "Không có cán bộ" in unknown.get_data(as_text=True)
