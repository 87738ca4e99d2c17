"""The satisfaction survey: one answer per finished dossier with the receipt's secret (201, then 409),
403 for a wrong secret, 400 for answers that do not fit the questionnaire; the index in /api/v1/stats;
the public page with CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import models, survey
from tests.webui.helpers import csrf
from tests.webui.test_api import Api, Tokens, receive

GOOD = {"tiep_can": 5, "thu_tuc": 4, "cong_chuc": 5, "ket_qua": 3, "gop_y": 2}


@pytest.fixture
def api(client, deployed):
    return Api(client, Tokens(client))


def finish(api: Api) -> str:
    code = receive(api)
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ", {"du_giay_to": True})
    api.handle("officer", "Thẩm định hồ sơ", {"ket_qua": "dat", "so_tien": 1500000})
    api.handle("police", "Công an cho ý kiến", {"y_kien_ca": "Thống nhất"})
    api.handle("officer2", "Phòng tổng hợp ý kiến")
    api.handle("leader", "Ký quyết định", {"so_quyet_dinh": "123/QĐ-UBND", "ngay_quyet_dinh": "2026-03-03"})
    assert api.handle("clerk2", "Trả kết quả")["status"] == "returned"
    return code


def secret_of(engine, code: str) -> str:
    with engine.Session() as s:
        return s.scalar(select(models.Dossier.lookup_secret).where(models.Dossier.code == code))


def responses(engine) -> int:
    with engine.Session() as s:
        return s.scalar(select(func.count()).select_from(models.SurveyResponse))


def test_one_answer_per_finished_dossier(api: Api, engine):
    code = finish(api)
    secret = secret_of(engine, code)
    path = f"/public/dossiers/{code}/survey"
    r = api("POST", path, json={"secret": "WRONG1", "answers": GOOD})
    assert r.status_code == 403 and responses(engine) == 0
    for bad in ({**GOOD, "tiep_can": 6}, {**GOOD, "tiep_can": True}, {"tiep_can": 5}, {**GOOD, "khac": 3},
                {**GOOD, "comment": "x" * 1001}, ["not", "an", "object"]):
        r = api("POST", path, json={"secret": secret, "answers": bad})
        assert r.status_code == 400, bad
        assert r.get_json()["error"]
    assert api("POST", path, json={"answers": GOOD}).status_code == 400
    assert responses(engine) == 0
    r = api("POST", path, json={"secret": secret.lower(), "answers": {**GOOD, "comment": "Nhanh, gọn"}})
    assert r.status_code == 201, r.get_json()
    r = api("POST", path, json={"secret": secret, "answers": GOOD})
    assert r.status_code == 409
    assert responses(engine) == 1
    assert api("POST", "/public/dossiers/000.00.15.H12-260302-9999/survey",
               json={"secret": secret, "answers": GOOD}).status_code == 404


def test_an_open_dossier_cannot_be_rated(api: Api, engine):
    code = receive(api)
    r = api("POST", f"/public/dossiers/{code}/survey", json={"secret": secret_of(engine, code), "answers": GOOD})
    assert r.status_code == 409 and responses(engine) == 0


def test_wrong_secrets_are_rate_limited(api: Api, app, engine):
    app.config["PUBLIC_LOOKUP_RATE_LIMIT"] = (3, 60)
    app.extensions.pop("lienthong_lookup_limiter", None)
    code = receive(api)
    codes = [api("POST", f"/public/dossiers/{code}/survey", json={"secret": "WRONG1", "answers": GOOD}).status_code
             for _ in range(4)]
    assert codes == [403, 403, 403, 429]


def test_the_index_per_agency_and_procedure_in_the_stats(api: Api, engine):
    first, second = finish(api), finish(api)
    api("POST", f"/public/dossiers/{first}/survey", json={"secret": secret_of(engine, first), "answers": GOOD})
    low = dict.fromkeys(GOOD, 1) | {"cong_chuc": 4}
    api("POST", f"/public/dossiers/{second}/survey", json={"secret": secret_of(engine, second), "answers": low})
    body = api("GET", "/stats?from=2026-03-01&to=2026-03-31", "leader").get_json()
    # 3 of 5 satisfied (4 or 5) in the first answer, 1 of 5 in the second: 4 of 10.
    assert body["satisfaction"]["overall"] == {"responses": 2, "rated": 10, "satisfied": 4, "index": 40.0}
    assert body["satisfaction"]["by_agency"] == [{"agency": "000.00.15.H12", "name": "Bộ phận Một cửa",
                                                  "responses": 2, "rated": 10, "satisfied": 4, "index": 40.0}]
    assert body["satisfaction"]["by_procedure"][0]["procedure"] == "T.000001"
    assert body["satisfaction"]["version"] == survey.questionnaire().version
    april = api("GET", "/stats?from=2026-04-01&to=2026-04-30", "leader").get_json()["satisfaction"]
    assert april["overall"]["index"] is None and april["by_agency"] == []


def test_index_rounds_half_up_to_one_decimal():
    assert survey.Satisfaction("x", "x", 1, 3, 2).index == 66.7
    assert survey.Satisfaction("x", "x", 1, 8, 1).index == 12.5
    assert survey.Satisfaction("x", "x", 0, 0, 0).index is None


def test_the_public_page_takes_one_answer_with_csrf(api: Api, client, engine):
    code = finish(api)
    page = client.get(f"/lookup/{code}/survey")
    assert page.status_code == 200 and "Đánh giá sự hài lòng" in page.get_data(as_text=True)
    form = {**{k: str(v) for k, v in GOOD.items()}, "secret": secret_of(engine, code)}
    assert client.post(f"/lookup/{code}/survey", data=form).status_code == 400  # no CSRF token
    token = csrf(page.get_data(as_text=True))
    r = client.post(f"/lookup/{code}/survey", data={**form, "secret": "WRONG1", "csrf_token": token})
    assert r.status_code == 403 and responses(engine) == 0
    r = client.post(f"/lookup/{code}/survey", data={**form, "csrf_token": token})
    assert r.status_code == 201 and "Cảm ơn" in r.get_data(as_text=True)
    assert responses(engine) == 1
    fresh = finish(api)
    english = client.get(f"/lookup/{fresh}/survey?lang=en").get_data(as_text=True)
    assert survey.questionnaire().questions[0].en in english and "Send rating" in english
    lookup = client.get(f"/tra-cuu?code={code}").get_data(as_text=True)
    assert f"/lookup/{code}/survey" in lookup
