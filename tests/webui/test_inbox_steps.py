"""Inbox per agency, claiming and completing through the step page, inline errors, 403 elsewhere."""

from __future__ import annotations

import re

from tests.webui.helpers import csrf, login, post


def _start(engine, world, code, name="Nguyễn Văn An"):
    return engine.start_dossier(world["clerk"], code, {"name": name, "phone": "0912345678"})


def _through_receive(engine, world, dossier):
    step = dossier.open_steps[0]
    engine.claim(world["clerk"], step.id)
    after = engine.complete(world["clerk"], step.id, {"du_giay_to": True})
    return after.open_steps[0]  # Examine, at PCM


def test_inbox_shows_the_agencys_steps_in_sections(client, engine, world, deployed, clock):
    first = _start(engine, world, deployed, "Nguyễn Văn An")
    second = _start(engine, world, deployed, "Trần Thị Bình")
    engine.claim(world["clerk2"], second.open_steps[0].id)
    login(client, "clerk")
    page = client.get("/inbox").get_data(as_text=True)
    ready, mine, others = (page.index(f'id="{k}"') for k in ("ready", "mine", "others"))
    assert ready < page.index(first.code) < mine
    assert others < page.index(second.code)
    assert "Clerk2" in page[others:]
    assert "02/03/2026" in page  # due times in Asia/Ho_Chi_Minh, dd/mm/yyyy
    # the police see nothing of the desk's steps
    client.post("/logout", data={"csrf_token": csrf(page)})
    login(client, "police")
    assert first.code not in client.get("/inbox").get_data(as_text=True)
    # overdue steps are marked
    clock.advance(days=3)
    client.post("/logout", data={"csrf_token": csrf(client.get("/inbox").get_data(as_text=True))})
    login(client, "clerk")
    assert "Quá hạn" in client.get("/inbox").get_data(as_text=True)


def test_inbox_filter_by_procedure(client, engine, world, deployed):
    dossier = _start(engine, world, deployed)
    login(client, "clerk")
    assert dossier.code in client.get("/inbox?procedure=T.000001").get_data(as_text=True)
    assert dossier.code not in client.get("/inbox?procedure=KHONG.CO").get_data(as_text=True)


def test_claim_and_complete_with_inline_errors(client, engine, world, deployed):
    examine = _through_receive(engine, world, _start(engine, world, deployed))
    login(client, "officer")
    page = client.get(f"/steps/{examine.id}").get_data(as_text=True)
    assert "Nhận xử lý" in page and "Nguyễn Văn An" in page and "Tiếp nhận hồ sơ" in page
    response = post(client, f"/steps/{examine.id}/claim", page=f"/steps/{examine.id}")
    assert response.status_code == 302
    page = client.get(f"/steps/{examine.id}").get_data(as_text=True)
    # the form from camunda:formData: select for the enum, number with bounds, required marked
    assert re.search(r'<select id="f-ket_qua" name="field-ket_qua" required', page)
    assert 'type="number"' in page and 'min="0"' in page and 'max="100000000"' in page
    assert 'maxlength="200"' in page
    bad = post(client, f"/steps/{examine.id}/complete",
               {"field-so_tien": "-5", "field-ly_do": "Thiếu chữ ký", "note": "Đã xem"}, page=f"/steps/{examine.id}")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "bắt buộc nhập" in text and "phải từ 0 trở lên" in text
    assert 'value="-5"' in text and "Thiếu chữ ký" in text and "Đã xem" in text
    assert engine.dossier(examine.dossier_code).open_steps[0].id == examine.id
    good = post(client, f"/steps/{examine.id}/complete",
                {"field-ket_qua": "dat", "field-so_tien": "1500000", "note": "Hồ sơ hợp lệ"},
                page=f"/steps/{examine.id}")
    assert good.status_code == 302 and good.headers["Location"].endswith("/inbox")
    after = engine.dossier(examine.dossier_code)
    assert {s.element_id for s in after.open_steps} == {"Opinion_police", "Opinion_div"}
    done = next(s for s in after.steps if s.id == examine.id)
    assert done.form_data["so_tien"] == 1500000 and done.note == "Hồ sơ hợp lệ"


def test_another_agencys_official_gets_403(client, engine, world, deployed):
    examine = _through_receive(engine, world, _start(engine, world, deployed))
    login(client, "police")
    assert client.get(f"/steps/{examine.id}").status_code == 403
    response = post(client, f"/steps/{examine.id}/claim")
    assert response.status_code == 403
    assert engine.dossier(examine.dossier_code).open_steps[0].state == "ready"


def test_leader_reassigns_and_holder_unclaims(client, engine, world, deployed):
    examine = _through_receive(engine, world, _start(engine, world, deployed))
    login(client, "lead_pcm")
    page = client.get(f"/steps/{examine.id}").get_data(as_text=True)
    assert 'name="to"' in page and "officer2" in page and "police" not in page
    post(client, f"/steps/{examine.id}/reassign", {"to": "officer2"}, page=f"/steps/{examine.id}")
    step = engine.dossier(examine.dossier_code).open_steps[0]
    assert step.state == "claimed" and step.assignee_name == "Officer2"
    # an officer cannot reassign
    client.post("/logout", data={"csrf_token": csrf(page)})
    login(client, "officer")
    assert 'name="to"' not in client.get(f"/steps/{examine.id}").get_data(as_text=True)
    assert post(client, f"/steps/{examine.id}/reassign", {"to": "officer"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client.get("/inbox").get_data(as_text=True))})
    login(client, "officer2")
    post(client, f"/steps/{examine.id}/unclaim", page=f"/steps/{examine.id}")
    assert engine.dossier(examine.dossier_code).open_steps[0].state == "ready"


def test_claiming_a_step_someone_holds_shows_a_message(client, engine, world, deployed):
    dossier = _start(engine, world, deployed)
    step = dossier.open_steps[0]
    engine.claim(world["clerk2"], step.id)
    login(client, "clerk")
    response = post(client, f"/steps/{step.id}/claim", follow_redirects=True)
    assert response.status_code == 200
    assert "đã có cán bộ khác nhận" in response.get_data(as_text=True)
