"""Feedback and petitions (PAKN) through the JSON API: a citizen sends one on a procedure or a proved dossier,
gets a reference and a secret, follows it; the responsible agency's officials answer it (403 for others),
optionally publish it with personal data removed; the citizen rates the answer once; the figures land in
/api/v1/stats."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import models
from tests.conftest import vn
from tests.webui.test_api import Api, Tokens, receive

GOOD = {"procedure": "T.000001", "name": "Nguyễn Văn An", "contact": "an@example.vn",
        "text": "Tôi chờ đã lâu mà chưa thấy hồ sơ được chuyển; số điện thoại của tôi là 0901 234 567."}


@pytest.fixture
def api(client, deployed):
    return Api(client, Tokens(client))


def stored(engine) -> int:
    with engine.Session() as s:
        return s.scalar(select(func.count()).select_from(models.Feedback))


def send(api: Api, **changes) -> dict:
    r = api("POST", "/public/feedback", json={**GOOD, **changes})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_send_then_follow_with_the_secret(api: Api, engine):
    r = api("POST", "/public/feedback", json=GOOD)
    assert r.status_code == 201 and r.headers["Cache-Control"] == "private, no-store"
    sent = r.get_json()
    assert set(sent) == {"reference", "secret", "due_at", "agency"}
    assert sent["agency"] == "Bộ phận Một cửa"  # the procedure's first responsible agency
    # Monday 2 March 2026 08:00 + 10 working days (Settings.feedback_working_days)
    assert sent["due_at"] == "2026-03-16T08:00:00+07:00"
    r = api("GET", f"/public/feedback/{sent['reference']}?secret={sent['secret'].lower()}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "received" and body["answer"] is None and body["procedure"] == "T.000001"
    assert "name" not in body and "contact" not in body and "text" not in body
    with engine.Session() as s:
        row = s.scalar(select(models.Feedback))
        assert row.secret_hash != sent["secret"] and sent["secret"] not in row.secret_hash


def test_a_feedback_received_after_the_cutoff_counts_from_the_next_working_day(api: Api, clock):
    clock.set(vn(2026, 3, 6, 16, 0))  # Friday after 15:00
    # counted from Monday 9 March 07:00: the end of the tenth working day, Friday 20 March
    assert send(api)["due_at"] == "2026-03-20T17:00:00+07:00"


def test_wrong_secret_and_unknown_reference_look_the_same(api: Api):
    sent = send(api)
    wrong = api("GET", f"/public/feedback/{sent['reference']}?secret=WRONG234")
    unknown = api("GET", f"/public/feedback/PA260302-ZZZZZZ?secret={sent['secret']}")
    assert wrong.status_code == unknown.status_code == 403
    assert wrong.get_json() == unknown.get_json()
    assert api("GET", f"/public/feedback/{sent['reference']}").status_code == 400


@pytest.mark.parametrize("bad", [
    {"procedure": ""}, {"procedure": "T.000001", "dossier": "X"}, {"name": ""}, {"name": "x" * 121},
    {"text": "ngắn"}, {"text": "x" * 4001}, {"contact": "không phải"}, {"contact": "x" * 121},
    {"procedure": "NOPE"}, {"agency": "KHAC"}, {"name": 5}, {"text": ["list"]},
])
def test_bad_input_is_refused_and_nothing_stored(api: Api, engine, bad):
    r = api("POST", "/public/feedback", json={**GOOD, **bad})
    assert r.status_code in (400, 404), r.get_json()
    assert r.get_json()["error"]
    assert stored(engine) == 0


def test_not_json_is_400(api: Api, engine):
    assert api("POST", "/public/feedback", data="text", content_type="application/json").status_code == 400
    assert stored(engine) == 0


def test_dossier_feedback_needs_the_dossiers_secret_and_goes_to_the_agency_holding_it(api: Api, engine):
    code = receive(api)
    with engine.Session() as s:
        secret = s.scalar(select(models.Dossier.lookup_secret).where(models.Dossier.code == code))
    payload = {**GOOD, "procedure": None, "dossier": code}
    wrong = api("POST", "/public/feedback", json={**payload, "secret": "WRONG1"})
    unknown = api("POST", "/public/feedback", json={**payload, "dossier": "000.00.15.H12-260302-9999",
                                                    "secret": secret})
    assert wrong.status_code == unknown.status_code == 403
    assert wrong.get_json() == unknown.get_json()  # whether the dossier exists is not told
    assert api("POST", "/public/feedback", json=payload).status_code == 400  # no secret at all
    assert stored(engine) == 0
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ", {"du_giay_to": True})  # now at the division (PCM)
    sent = send(api, procedure=None, dossier=code, secret=secret)
    assert sent["agency"] == "Phòng chuyên môn"
    body = api("GET", f"/public/feedback/{sent['reference']}?secret={sent['secret']}").get_json()
    assert body["dossier"] == code and body["procedure"] == "T.000001"


def test_the_queue_is_the_agencys_and_only_it_answers(api: Api, engine):
    to_desk = send(api)
    to_division = send(api, agency="PCM")
    desk = api("GET", "/feedback", "clerk").get_json()
    assert [f["reference"] for f in desk] == [to_desk["reference"]]
    assert desk[0]["name"] == GOOD["name"] and desk[0]["contact"] == GOOD["contact"]
    assert [f["reference"] for f in api("GET", "/feedback", "officer").get_json()] == [to_division["reference"]]
    assert api("GET", "/feedback").status_code == 401
    assert api("GET", "/feedback", "designer").status_code == 403  # not a handling role: no personal data
    assert api("GET", f"/feedback/{to_desk['reference']}", "officer").status_code == 403
    r = api("POST", f"/feedback/{to_desk['reference']}/answer", "officer", json={"answer": "Trả lời", "publish": True})
    assert r.status_code == 403
    assert api("POST", f"/feedback/{to_desk['reference']}/answer", "leader", json={"answer": "x"}).status_code == 403
    assert api("GET", "/feedback?status=received", "clerk").get_json()[0]["status"] == "received"
    assert api("GET", "/feedback?status=nope", "clerk").status_code == 400
    with engine.Session() as s:
        assert s.scalar(select(func.count()).select_from(models.Feedback)
                        .where(models.Feedback.status != "received")) == 0


def test_answer_publish_with_personal_data_removed_and_rate_once(api: Api, engine, clock):
    sent = send(api)
    ref, secret = sent["reference"], sent["secret"]
    path = f"/feedback/{ref}/answer"
    assert api("POST", path, "clerk", json={"answer": "", "publish": True}).status_code == 400
    assert api("POST", path, "clerk", json={"answer": "x" * 8001}).status_code == 400
    assert api("POST", path, "clerk", json={"answer": "Đã xử lý", "publish": "yes"}).status_code == 400
    early = api("POST", f"/public/feedback/{ref}/rating", json={"secret": secret, "rating": 5})
    assert early.status_code == 409  # nothing to rate before the answer
    clock.advance(hours=2)
    r = api("POST", path, "clerk", json={"answer": "Ông Nguyễn Văn An vui lòng gọi 0263 3822 111 hoặc "
                                                   "an@example.vn để được hướng dẫn.", "publish": True})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "answered" and r.get_json()["on_time"] is True
    assert api("POST", path, "clerk2", json={"answer": "Lần hai"}).status_code == 409
    public = api("GET", "/public/feedback").get_json()
    assert len(public) == 1
    text, answer = public[0]["text"], public[0]["answer"]
    for secret_bit in ("Nguyễn Văn An", "0901 234 567", "an@example.vn", "0263 3822 111"):
        assert secret_bit not in text + answer
    assert "[số điện thoại]" in text and "[họ tên]" in answer and "[thư điện tử]" in answer
    status = api("GET", f"/public/feedback/{ref}?secret={secret}").get_json()
    assert status["status"] == "answered" and status["answer"].startswith("Ông Nguyễn Văn An")  # the sender's own
    assert api("POST", f"/public/feedback/{ref}/rating", json={"secret": secret, "rating": 6}).status_code == 400
    assert api("POST", f"/public/feedback/{ref}/rating", json={"secret": "WRONG234", "rating": 4}).status_code == 403
    assert api("POST", f"/public/feedback/{ref}/rating", json={"secret": secret, "rating": 4}).status_code == 201
    assert api("POST", f"/public/feedback/{ref}/rating", json={"secret": secret, "rating": 1}).status_code == 409
    status = api("GET", f"/public/feedback/{ref}?secret={secret}").get_json()
    assert status["rating"] == 4 and status["status"] == "closed"


def test_unpublished_answers_stay_private(api: Api):
    sent = send(api)
    api("POST", f"/feedback/{sent['reference']}/answer", "clerk", json={"answer": "Riêng"})
    assert api("GET", "/public/feedback").get_json() == []


def test_pakn_figures_per_agency_in_the_stats(api: Api, clock):
    first, second, third = send(api), send(api), send(api)
    late = send(api, agency="PCM")
    clock.advance(hours=2)
    api("POST", f"/feedback/{first['reference']}/answer", "clerk", json={"answer": "Đúng hạn"})
    api("POST", f"/public/feedback/{first['reference']}/rating", json={"secret": first["secret"], "rating": 5})
    clock.set(vn(2026, 3, 20))  # past the deadline of 16 March
    api.refresh()
    api("POST", f"/feedback/{second['reference']}/answer", "clerk", json={"answer": "Trễ"})
    api("POST", f"/public/feedback/{second['reference']}/rating", json={"secret": second["secret"], "rating": 2})
    body = api("GET", "/stats?from=2026-03-01&to=2026-03-31", "leader").get_json()["pakn"]
    desk = body["by_agency"][0]
    # Three received at the desk, two answered (one on time), the third open past its deadline:
    # one on time of the three whose handling is done or due.
    assert desk == {"agency": "000.00.15.H12", "name": "Bộ phận Một cửa", "received": 3, "answered": 2,
                    "answered_on_time": 1, "overdue_open": 1, "on_time_share": 33.3, "rated": 2,
                    "satisfied": 1, "satisfied_share": 50.0}
    assert third["reference"] and late["reference"]
    assert body["overall"]["received"] == 4 and body["overall"]["overdue_open"] == 2
    assert body["overall"]["on_time_share"] == 25.0
    assert "on_time_share" in body["formulas"]
    april = api("GET", "/stats?from=2026-04-01&to=2026-04-30", "leader").get_json()["pakn"]
    assert april["overall"]["received"] == 0 and april["overall"]["on_time_share"] is None


def test_before_the_deadline_an_open_feedback_does_not_count_against_the_share(api: Api, clock):
    first, _second, _third = send(api), send(api), send(api)
    api("POST", f"/feedback/{first['reference']}/answer", "clerk", json={"answer": "Đúng hạn"})
    clock.set(vn(2026, 3, 20))
    api.refresh()
    api("POST", f"/feedback/{_second['reference']}/answer", "clerk", json={"answer": "Trễ"})
    clock.set(vn(2026, 3, 10))  # looking back before the deadline: the third is open but not late
    api.refresh()
    desk = api("GET", "/stats?from=2026-03-01&to=2026-03-31", "leader").get_json()["pakn"]["by_agency"][0]
    assert (desk["received"], desk["answered"], desk["answered_on_time"], desk["overdue_open"]) == (3, 2, 1, 0)
    assert desk["on_time_share"] == 50.0  # 1 on time of 2 answered


def test_sending_is_rate_limited_per_address(api: Api, app, engine):
    app.config["FEEDBACK_RATE_LIMIT"] = (2, 3600)
    codes = [api("POST", "/public/feedback", json=GOOD).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert stored(engine) == 2


def test_an_administrator_reads_every_queue_and_answers_none(api: Api, admin):
    first, second = send(api), send(api, agency="PCM")
    listed = {f["reference"] for f in api("GET", "/feedback", "admin").get_json()}
    assert listed == {first["reference"], second["reference"]}
    r = api("POST", f"/feedback/{first['reference']}/answer", "admin", json={"answer": "Quản trị trả lời"})
    assert r.status_code == 403


def test_wrong_secrets_are_rate_limited(api: Api, app):
    app.config["RESULT_SECRET_RATE_LIMIT"] = (2, 300)
    sent = send(api)
    codes = [api("GET", f"/public/feedback/{sent['reference']}?secret=WRONG234").status_code for _ in range(3)]
    assert codes == [403, 403, 429]


def test_two_officials_answering_at_once_one_wins(api: Api, engine, world):
    from concurrent.futures import ThreadPoolExecutor

    from engine import Conflict, feedback
    from engine.errors import RetryableConflict

    sent = send(api)

    def answer(who: str) -> str:
        try:
            feedback.answer(engine, world[who], sent["reference"], f"Trả lời của {who}")
        except (Conflict, RetryableConflict):
            return "refused"
        return "answered"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(answer, ["clerk", "clerk2"]))
    assert outcomes == ["answered", "refused"]
    with engine.Session() as s:
        assert s.scalar(select(func.count()).select_from(models.Event)
                        .where(models.Event.action == "feedback.answered")) == 1
