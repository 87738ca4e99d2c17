"""Online application pages: the citizen's form from the procedure's page (CSRF, honeypot, signed start
time), the reference and secret once submitted, the status page behind the secret with the supplement
upload; the desk's queue with accept (the receipt follows), supplement request and refusal."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from engine import accounts
from engine.application_models import Application
from tests.conftest import DATA, PASSWORD
from tests.engine.test_applications import METADATA, PDF, PNG
from tests.webui.helpers import csrf, login

FORM = "/thu-tuc/T.000001/nop-truc-tuyen"


@pytest.fixture
def procedure(engine, world) -> str:
    with engine.transaction() as s:
        accounts.add_official(s, "clerk_pcm", full_name="Clerk PCM", agency_code="PCM", roles="clerk",
                              password=PASSWORD, now=engine.now())
    return engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=METADATA).code


def filled(page: str, **changes) -> dict:
    """The form as a person fills it in, from the page just shown (CSRF token and signed start time)."""
    started = re.search(r'name="started" value="([^"]+)"', page)
    assert started
    body = {"csrf_token": csrf(page), "started": started.group(1), "website": "",
            "applicant_name": "Trần Thị Bình", "applicant_id_number": "079123456789",
            "applicant_phone": "0901234567", "applicant_email": "binh@example.vn", "applicant_address": "Phan Thiết",
            "commune": "", "field-so_ban_sao": "2",
            "file-to-khai-de-nghi": (io.BytesIO(PDF), "to-khai.pdf"),
            "file-giay-chung-tu": (io.BytesIO(PNG), "chung-tu.png")}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def applications(engine) -> int:
    with engine.Session() as s:
        return s.scalar(select(func.count()).select_from(Application)) or 0


def apply(client, clock, **changes):
    page = client.get(FORM).get_data(as_text=True)
    clock.advance(seconds=30)  # a person takes a while to fill it in
    return client.post(FORM, data=filled(page, **changes), content_type="multipart/form-data")


def shown(response) -> tuple[str, str]:
    html = response.get_data(as_text=True)
    reference = re.search(r'id="application-reference">([^<]+)<', html)
    secret = re.search(r'id="application-secret" class="secret">([^<]+)<', html)
    assert reference and secret, html
    return reference.group(1), secret.group(1)


def test_the_procedure_page_leads_to_the_form(client, procedure):
    page = client.get("/thu-tuc/T.000001").get_data(as_text=True)
    assert 'id="apply-online"' in page and FORM in page
    form = client.get(FORM)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    for needle in ('id="applicant_name"', 'id="applicant_email"', 'id="applicant_phone"', 'id="commune"',
                   'id="f-so_ban_sao"', 'id="file-to-khai-de-nghi"', 'id="file-giay-chung-tu"',
                   'id="apply-submit"', 'name="csrf_token"', 'class="hp-field"'):
        assert needle in html, needle
    english = client.get(FORM + "?lang=en").get_data(as_text=True)
    assert "Apply online" in english and "Nộp hồ sơ trực tuyến" not in english


def test_submit_shows_reference_and_secret_then_status_behind_the_secret(client, engine, clock, procedure):
    r = apply(client, clock)
    assert r.status_code == 201
    reference, secret = shown(r)
    assert "mã bí mật chỉ hiện một lần" in r.get_data(as_text=True)
    page = client.get(f"/applications/{reference}")
    assert page.status_code == 200 and 'id="secret"' in page.get_data(as_text=True)
    token = csrf(page.get_data(as_text=True))
    wrong = client.post(f"/applications/{reference}", data={"csrf_token": token, "secret": "sai"})
    assert wrong.status_code == 404 and "không đúng" in wrong.get_data(as_text=True)
    right = client.post(f"/applications/{reference}", data={"csrf_token": token, "secret": secret})
    assert right.status_code == 200 and 'data-status="submitted"' in right.get_data(as_text=True)
    assert client.post(f"/applications/{reference}", data={"secret": secret}).status_code == 400  # no CSRF token
    english = client.get(f"/applications/{reference}?lang=en").get_data(as_text=True)
    assert f"Online application {reference}" in english and "Secret (given when you applied)" in english


@pytest.mark.parametrize("changes", [
    {"website": "http://spam.example"},  # the honeypot
    {"started": "forged"},
    {"started": None},
])
def test_automated_submissions_are_refused(client, engine, clock, procedure, changes):
    r = apply(client, clock, **changes)
    assert r.status_code == 400 and 'id="apply-problem"' in r.get_data(as_text=True)
    assert applications(engine) == 0


def test_a_form_sent_back_at_once_is_refused(client, engine, procedure):
    page = client.get(FORM).get_data(as_text=True)
    r = client.post(FORM, data=filled(page), content_type="multipart/form-data")
    assert r.status_code == 400 and applications(engine) == 0


@pytest.mark.parametrize(("changes", "marker"), [
    ({"file-giay-chung-tu": None}, 'id="file-giay-chung-tu-err"'),
    ({"file-giay-chung-tu": (io.BytesIO(b"<html><script>x</script></html>"), "x.pdf")},
     'id="file-giay-chung-tu-err"'),
    ({"applicant_name": ""}, 'id="applicant_name-err"'),
    ({"field-so_ban_sao": "hai"}, 'aria-describedby="f-so_ban_sao-err"'),
    ({"commune": "99999"}, 'id="commune-err"'),
])
def test_bad_input_is_marked_on_the_form_and_nothing_is_stored(client, engine, clock, procedure, changes, marker):
    r = apply(client, clock, **changes)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and marker in html
    assert 'value="Trần Thị Bình"' in html or changes.get("applicant_name") == ""  # what was typed stays
    assert applications(engine) == 0


def test_submissions_from_the_page_are_rate_limited(client, app, engine, clock, procedure):
    app.config["APPLICATION_RATE_LIMIT"] = (1, 3600)
    assert apply(client, clock).status_code == 201
    assert apply(client, clock).status_code == 429
    assert applications(engine) == 1


def test_the_desk_accepts_and_prints_the_receipt(client, app, engine, clock, procedure):
    reference, secret = shown(apply(client, clock))
    other = app.test_client()
    login(other, "clerk_pcm")
    assert f'id="application-{reference}"' not in other.get("/desk/applications").get_data(as_text=True)
    token = csrf(other.get("/desk/applications").get_data(as_text=True))
    assert other.post(f"/desk/applications/{reference}/accept", data={"csrf_token": token}).status_code == 403

    login(client, "clerk")
    queue = client.get("/desk/applications").get_data(as_text=True)
    assert f'id="accept-{reference}"' in queue and "Trần Thị Bình" in queue and "to-khai.pdf" in queue
    assert "Số bản sao" in queue  # the reception form's labels, not its field ids
    assert "Hồ sơ trực tuyến" in client.get("/desk").get_data(as_text=True)  # in the menu
    doc = re.search(rf'/desk/applications/{reference}/documents/(\d+)', queue)
    assert doc and client.get(doc.group(0)).data == PDF
    r = client.post(f"/desk/applications/{reference}/accept", data={"csrf_token": csrf(queue)})
    assert r.status_code == 302 and "/desk/receipt/000.00.15.H12-260302-0001" in r.headers["Location"]
    receipt = client.get(r.headers["Location"])
    assert receipt.status_code == 200
    again = client.post(f"/desk/applications/{reference}/accept", data={"csrf_token": csrf(queue)})
    assert again.status_code == 302 and "/desk/applications" in again.headers["Location"]
    citizen = app.test_client()
    page = citizen.get(f"/applications/{reference}").get_data(as_text=True)
    status = citizen.post(f"/applications/{reference}", data={"csrf_token": csrf(page), "secret": secret})
    assert 'id="application-dossier"' in status.get_data(as_text=True)


def test_supplement_then_resubmission_then_refusal_through_the_pages(client, app, engine, clock, procedure):
    reference, secret = shown(apply(client, clock))
    login(client, "clerk")
    queue = client.get("/desk/applications").get_data(as_text=True)
    r = client.post(f"/desk/applications/{reference}/supplement",
                    data={"csrf_token": csrf(queue), "reason": "Ảnh giấy chứng tử bị mờ", "documents": "giay-chung-tu"})
    assert r.status_code == 302 and "/desk/notices/" in r.headers["Location"]
    assert client.get(r.headers["Location"]).status_code == 200  # Mẫu 02, ready to print
    assert f'id="application-{reference}"' not in client.get("/desk/applications").get_data(as_text=True)

    citizen = app.test_client()
    page = citizen.get(f"/applications/{reference}").get_data(as_text=True)
    status = citizen.post(f"/applications/{reference}", data={"csrf_token": csrf(page), "secret": secret})
    html = status.get_data(as_text=True)
    assert "Ảnh giấy chứng tử bị mờ" in html and 'id="application-supplement-form"' in html
    r = citizen.post(f"/applications/{reference}/bo-sung", content_type="multipart/form-data", data={
        "csrf_token": csrf(html), "secret": secret, "file-giay-chung-tu": (io.BytesIO(PDF), "ro.pdf")})
    assert r.status_code == 200 and 'id="application-done"' in r.get_data(as_text=True)

    queue = client.get("/desk/applications").get_data(as_text=True)
    assert f'id="refuse-{reference}"' in queue and "ro.pdf" in queue
    r = client.post(f"/desk/applications/{reference}/refuse", data={"csrf_token": csrf(queue), "reason": ""})
    assert r.status_code == 302 and "/desk/applications" in r.headers["Location"]  # a reason is required
    r = client.post(f"/desk/applications/{reference}/refuse",
                    data={"csrf_token": csrf(queue), "reason": "Không thuộc thẩm quyền"})
    assert r.status_code == 302 and "/desk/notices/" in r.headers["Location"]
    refused = client.get("/desk/applications?status=refused").get_data(as_text=True)
    assert reference in refused and "Không thuộc thẩm quyền" in refused


def test_the_stats_page_and_workbook_show_the_online_share(client, engine, world, clock, procedure):
    from openpyxl import load_workbook

    from tests.engine.test_applications import APPLICANT

    for _ in range(3):
        engine.start_dossier(world["clerk"], "T.000001", APPLICANT, {"so_ban_sao": 1})
    reference, _secret = shown(apply(client, clock))
    engine.accept_application(world["clerk"], reference)
    login(client, "leader")
    page = client.get("/stats?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert "Tỷ lệ trực tuyến" in page
    assert re.search(r'class="num online-share">25[,.]0', page), page
    xlsx = client.get("/stats.xlsx?by=agency&from=2026-03-01&to=2026-03-31")
    sheet = load_workbook(io.BytesIO(xlsx.data))["Số hóa, trực tuyến"]
    values = list(sheet.values)
    rows = [dict(zip(values[0], r, strict=True)) for r in values[1:]]
    desk = next(r for r in rows if r["Theo"] == "cơ quan")
    assert (desk["Tiếp nhận"], desk["Nộp trực tuyến"], desk["Tỷ lệ trực tuyến (%)"]) == (4, 1, 25.0)


def test_the_citizen_picks_the_commune_by_its_name_and_never_sees_its_code(client, engine, clock, procedure):
    from engine import units

    with engine.transaction() as s:
        units.add_unit(s, "68", "tỉnh Lâm Đồng", "province")
        units.add_unit(s, "68001", "xã Liên Hương", "commune", "68")
        units.add_unit(s, "68002", "xã Bắc Bình", "commune", "68")
    html = client.get(FORM).get_data(as_text=True)
    assert '<option value="xã Liên Hương">' in html and '<option value="xã Bắc Bình">' in html
    assert "68001" not in html and "68002" not in html  # the demo's codes are placeholders, not for citizens
    assert apply(client, clock, commune="  Xã  Bắc Bình ").status_code == 201
    with engine.Session() as s:
        assert s.scalars(select(Application.commune_code)).all() == ["68002"]
    refused = apply(client, clock, commune="xã Không Có")
    assert refused.status_code == 400 and 'id="commune-err"' in refused.get_data(as_text=True)
    assert 'value="xã Không Có"' in refused.get_data(as_text=True)  # what was typed stays
