"""The admin edits a notification template (CSRF, checked before it is stored); the dossier page
lists the notifications sent to the applicant: kind, channel, when, status, never their text."""

from __future__ import annotations

from sqlalchemy import select

from engine import models, notifications
from tests.webui.helpers import login, post

APPLICANT = {"name": "Võ Văn Em", "id_number": "079123456783", "email": "em@example.vn"}


def test_admin_edits_a_template(client, engine, admin):
    login(client, "admin")
    page = client.get("/admin/notifications")
    assert page.status_code == 200 and "reception.email" in page.get_data(as_text=True)
    assert client.post("/admin/notifications/reception.sms", data={"body": "x"}).status_code == 400  # no CSRF
    r = post(client, "/admin/notifications/reception.sms", {"body": "{{ nope }}"}, page="/admin/notifications")
    assert r.status_code == 400 and "không hợp lệ" in r.get_data(as_text=True)
    r = post(client, "/admin/notifications/reception.sms", {"body": "Ho so {{ code }} da nhan"},
             page="/admin/notifications")
    assert r.status_code == 302
    with engine.Session() as s:
        assert notifications.template(s, "reception.sms") == "Ho so {{ code }} da nhan"
    post(client, "/admin/notifications/reception.sms", {"body": ""}, page="/admin/notifications")
    with engine.Session() as s:
        assert notifications.template(s, "reception.sms") == notifications.default_template("reception.sms")


def test_officials_other_than_admins_cannot_edit(client, world, deployed):
    login(client, "clerk")
    assert client.get("/admin/notifications").status_code == 403


def test_the_dossier_page_lists_what_was_sent(client, engine, world, deployed):
    d = engine.start_dossier(world["clerk"], deployed, APPLICANT)
    with engine.transaction() as s:
        message = s.scalar(select(models.OutboxMessage.id).where(models.OutboxMessage.topic == "dossier.received"))
        s.add(models.CitizenNotice(outbox_id=message, channel="email", dossier_id=d.id, kind="reception",
                                   status="failed", attempts=8, created_at=engine.now(), last_error="email: SMTP 451"))
    login(client, "clerk")
    html = client.get(f"/dossiers/{d.code}").get_data(as_text=True)
    assert "Thông báo đã gửi" in html and "Thư điện tử" in html and "đã thử 8 lần" in html
    assert APPLICANT["email"] not in html.split("Thông báo đã gửi")[1]
