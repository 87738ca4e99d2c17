"""Designer (upload → messages → preview → publish), admin (agencies, officials, calendar), dashboard."""

from __future__ import annotations

import io
import re
from datetime import date

from engine import overrides
from tests.conftest import DATA, PASSWORD
from tests.webui.helpers import login, post

GOOD = (DATA / "three_agencies.bpmn").read_bytes()
BROKEN = (GOOD.decode().replace('name="CA"', 'name="Cơ quan lạ"')
          .replace('<camunda:property name="working_days" value="2" />', "").encode())
CHANGED = GOOD.replace("Ký quyết định".encode(), "Ký và đóng dấu quyết định".encode())


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
    # a publish without the decision is refused, then with it a version 2 appears
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
    assert client.get("/designer/procedures/T.000001/2.svg").status_code == 200


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
    assert "Bảo hiểm xã hội tỉnh" in page and "bhxh1" in page and "leader, officer" in page
    assert "09/03/2026" in page and "Nghỉ bù" in page
    assert overrides.list_overrides(engine)[0].working is False
    assert not engine.calendar().is_working_day(date(2026, 3, 9))
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
    assert "100%" in page  # one early step out of one
    assert "T.000001 · Thủ tục thử nghiệm ba cơ quan" in page
