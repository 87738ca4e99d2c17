"""Feedback (PAKN) as pages: the citizen sends one without an account (CSRF on), follows it and rates the
answer; the agency's official answers it from /feedback; the admin keeps the published contacts shown at
/pakn; the pages exist in English too."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine import models
from tests.webui.helpers import csrf, login, post
from tests.webui.test_api import Api, Tokens, receive

TEXT = "Bộ phận Một cửa hướng dẫn chưa rõ về giấy tờ cần nộp, tôi phải đi lại hai lần."


@pytest.fixture
def api(client, deployed):
    return Api(client, Tokens(client))


def count(engine) -> int:
    with engine.Session() as s:
        return s.scalar(select(func.count()).select_from(models.Feedback))


def send_page(client, **fields):
    page = client.get("/pakn/gui?procedure=T.000001")
    assert page.status_code == 200
    data = {"procedure": "T.000001", "agency": "000.00.15.H12", "name": "Trần Thị Bình", "contact": "0912 345 678",
            "text": TEXT, "csrf_token": csrf(page.get_data(as_text=True)), **fields}
    return client.post("/pakn/gui", data=data)


def codes_in(html: str) -> tuple[str, str]:
    found = re.findall(r'<strong class="code">([^<]+)</strong>', html)
    assert len(found) == 2, html
    return found[0], found[1]


def test_send_follow_answer_and_rate_through_the_pages(api: Api, client, app, engine):
    assert client.post("/pakn/gui", data={"procedure": "T.000001", "name": "X", "text": TEXT}).status_code == 400
    assert count(engine) == 0  # no CSRF token, nothing stored
    unchosen = send_page(client, agency="")
    assert unchosen.status_code == 400 and count(engine) == 0  # several agencies: the citizen chooses
    assert 'id="agency"' in unchosen.get_data(as_text=True)
    bad = send_page(client, text="ngắn", name="")
    assert bad.status_code == 400 and count(engine) == 0
    html = bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "Nội dung từ 10 đến 4000 ký tự" in html
    sent = send_page(client)
    assert sent.status_code == 201 and sent.headers["Cache-Control"] == "private, no-store"
    reference, secret = codes_in(sent.get_data(as_text=True))
    assert "16/03/2026" in sent.get_data(as_text=True)

    follow = client.get(f"/pakn/theo-doi?reference={reference}")
    token = csrf(follow.get_data(as_text=True))
    wrong = client.post("/pakn/theo-doi", data={"reference": reference, "secret": "WRONG234", "csrf_token": token})
    assert wrong.status_code == 403 and TEXT not in wrong.get_data(as_text=True)
    right = client.post("/pakn/theo-doi", data={"reference": reference, "secret": secret, "csrf_token": token})
    assert right.status_code == 200 and "Đang chờ trả lời" in right.get_data(as_text=True)

    official = app.test_client()
    login(official, "clerk")
    queue = official.get("/feedback").get_data(as_text=True)
    assert reference in queue
    item = official.get(f"/feedback/{reference}")
    assert "Trần Thị Bình" in item.get_data(as_text=True) and TEXT in item.get_data(as_text=True)
    assert official.post(f"/feedback/{reference}", data={"answer": "Không token"}).status_code == 400
    empty = post(official, f"/feedback/{reference}", {"answer": ""}, page=f"/feedback/{reference}")
    assert empty.status_code == 400
    done = post(official, f"/feedback/{reference}", {"answer": "Xin lỗi bà Trần Thị Bình; đã nhắc bộ phận.",
                                                     "publish": "1"}, page=f"/feedback/{reference}")
    assert done.status_code == 302
    other = app.test_client()
    login(other, "officer")
    assert other.get(f"/feedback/{reference}").status_code == 403
    assert reference not in other.get("/feedback").get_data(as_text=True)
    assert post(other, f"/feedback/{reference}", {"answer": "Không phải việc của tôi"}).status_code == 403

    answered = client.post("/pakn/theo-doi", data={"reference": reference, "secret": secret, "csrf_token": token})
    html = answered.get_data(as_text=True)
    assert "Xin lỗi bà Trần Thị Bình" in html and 'name="rating"' in html
    rated = client.post("/pakn/theo-doi", data={"reference": reference, "secret": secret, "rating": "5",
                                                "csrf_token": token})
    assert rated.status_code == 201 and "5/5" in rated.get_data(as_text=True)
    again = client.post("/pakn/theo-doi", data={"reference": reference, "secret": secret, "rating": "1",
                                                "csrf_token": token})
    assert again.status_code == 409

    published = client.get("/pakn/tra-loi").get_data(as_text=True)
    assert "đã nhắc bộ phận" in published and "Trần Thị Bình" not in published and "0912 345 678" not in published
    assert "[họ tên]" in published


def test_send_from_the_lookup_page_proves_the_dossier(api: Api, client, engine):
    code = receive(api)
    lookup = client.get(f"/tra-cuu?code={code}").get_data(as_text=True)
    assert f"/pakn/gui?dossier={code}" in lookup
    page = client.get(f"/pakn/gui?dossier={code}")
    token = csrf(page.get_data(as_text=True))
    data = {"dossier": code, "name": "Nguyễn Văn An", "text": TEXT, "csrf_token": token}
    assert client.post("/pakn/gui", data={**data, "secret": "WRONG1"}).status_code == 403
    assert count(engine) == 0
    with engine.Session() as s:
        secret = s.scalar(select(models.Dossier.lookup_secret).where(models.Dossier.code == code))
    sent = client.post("/pakn/gui", data={**data, "secret": secret})
    assert sent.status_code == 201 and "Bộ phận Một cửa" in sent.get_data(as_text=True)


def test_the_procedure_page_links_the_feedback_form(api: Api, client):
    html = client.get("/thu-tuc/T.000001").get_data(as_text=True)
    assert "/pakn/gui?procedure=T.000001" in html and "/pakn/tra-loi?procedure=T.000001" in html


def test_admin_keeps_the_contacts_the_portal_publishes(api: Api, app, client, admin):
    assert "Chưa có cơ quan nào công bố" in client.get("/pakn").get_data(as_text=True)
    web = app.test_client()
    login(web, "admin")
    page = web.get("/admin/feedback-contacts?agency=PCM")
    assert page.status_code == 200
    token = csrf(page.get_data(as_text=True))
    bad = web.post("/admin/feedback-contacts", data={"agency": "PCM", "name_0": "Lê Văn C", "email_0": "sai",
                                                     "csrf_token": token})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    ok = web.post("/admin/feedback-contacts", data={
        "agency": "PCM", "name_0": "Lê Văn C", "title_0": "Chuyên viên", "phone_0": "0263 3822 999",
        "email_0": "c@pcm.example.vn", "csrf_token": token})
    assert ok.status_code == 302
    html = client.get("/pakn").get_data(as_text=True)
    assert "Phòng chuyên môn" in html and "Lê Văn C" in html and "0263 3822 999" in html and "c@pcm.example.vn" in html
    officer = app.test_client()
    login(officer, "officer")
    assert officer.get("/admin/feedback-contacts").status_code == 403
    # emptying every field of the row removes the person
    web.post("/admin/feedback-contacts", data={"agency": "PCM", "csrf_token": token})
    assert "Lê Văn C" not in client.get("/pakn").get_data(as_text=True)


def test_pages_in_english_and_without_an_account(api: Api, client):
    for path, words in (("/pakn?lang=en", "Feedback and petitions"), ("/pakn/gui?lang=en", "Send"),
                        ("/pakn/theo-doi?lang=en", "Follow"), ("/pakn/tra-loi?lang=en", "published")):
        r = client.get(path)
        assert r.status_code == 200, path
        assert words in r.get_data(as_text=True), path
    assert client.get("/feedback").status_code == 302  # officials' queue: sign in first


def test_pakn_in_the_statistics_page_and_workbook(api: Api, app, client):
    from io import BytesIO

    from openpyxl import load_workbook

    sent = send_page(client)
    assert sent.status_code == 201
    web = app.test_client()
    login(web, "leader")
    html = web.get("/stats?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert 'id="pakn"' in html and "Quá hạn chưa trả lời" in html
    book = load_workbook(BytesIO(web.get("/stats.xlsx?from=2026-03-01&to=2026-03-31").data))
    sheet = book["Phản ánh, kiến nghị"]
    rows = list(sheet.values)
    assert rows[0][:3] == ("Mã cơ quan", "Tên cơ quan", "Tiếp nhận")
    assert rows[1][:3] == ("000.00.15.H12", "Bộ phận Một cửa", 1) and rows[-1][1] == "Tổng cộng"
