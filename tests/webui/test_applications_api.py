"""Online applications through the JSON API: the citizen's multipart submission (201 reference and
secret), the public status with the secret, re-submission after a supplement request; the desk's queue,
accept (as POST /api/v1/dossiers answers), supplement request and refusal; limits and errors."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from engine import accounts, models
from engine.application_models import Application, ApplicationDocument
from tests.conftest import DATA, PASSWORD, vn
from tests.engine.test_applications import APPLICANT, METADATA, PDF, PNG
from tests.webui.test_api import Api, Tokens


@pytest.fixture
def procedure(engine, world) -> str:
    with engine.transaction() as s:
        accounts.add_official(s, "clerk_pcm", full_name="Clerk PCM", agency_code="PCM", roles="clerk",
                              password=PASSWORD, now=engine.now())
    return engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=METADATA).code


@pytest.fixture
def api(client, procedure) -> Api:
    return Api(client, Tokens(client))


def form(files: dict[str, bytes] | None = None, **fields) -> dict:
    body = {"procedure": "T.000001", "applicant": json.dumps(APPLICANT), "data": json.dumps({"so_ban_sao": 2})}
    body.update(fields)
    chosen = {"to-khai-de-nghi": PDF, "giay-chung-tu": PNG} if files is None else files
    for key, data in chosen.items():
        body[key] = (io.BytesIO(data), f"{key}.bin")
    return body


def apply(client, files=None, **fields):
    return client.post("/api/v1/public/applications", data=form(files, **fields), content_type="multipart/form-data")


def stored(engine) -> tuple[int, int]:
    with engine.Session() as s:
        return (s.scalar(select(func.count()).select_from(Application)) or 0,
                s.scalar(select(func.count()).select_from(ApplicationDocument)) or 0)


def test_submit_follow_and_accept(api: Api, client, engine, clock):
    r = apply(client)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert set(body) == {"reference", "secret"}
    reference, secret = body["reference"], body["secret"]
    assert r.headers["Location"].endswith(f"/api/v1/public/applications/{reference}")

    r = client.get(f"/api/v1/public/applications/{reference}?secret={secret}")
    assert r.status_code == 200
    seen = r.get_json()
    assert seen["status"] == "submitted" and seen["agency"] == "000.00.15.H12" and seen["dossier"] is None
    assert [d["requirement"] for d in seen["documents"]] == ["to-khai-de-nghi", "giay-chung-tu"]

    queue = api("GET", "/applications", "clerk").get_json()
    assert [a["reference"] for a in queue] == [reference]
    assert api("GET", "/applications", "clerk_pcm").get_json() == []
    assert api("GET", "/applications", "officer").status_code == 403
    doc = seen["documents"][0]["id"]
    r = api("GET", f"/applications/{reference}/documents/{doc}", "clerk")
    assert r.status_code == 200 and r.data == PDF and r.headers["Content-Disposition"].startswith("attachment")
    assert api("GET", f"/applications/{reference}/documents/{doc}", "clerk_pcm").status_code == 403

    assert api("POST", f"/applications/{reference}/accept", "clerk_pcm").status_code == 403
    clock.set(vn(2026, 3, 2, 14, 0))  # submitted at 08:00, accepted at 14:00: counted from 14:00
    r = api("POST", f"/applications/{reference}/accept", "clerk")
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created == {"code": "000.00.15.H12-260302-0001", "status": "received",
                       "received_at": "2026-03-02T14:00:00+07:00", "due_at": "2026-03-09T14:00:00+07:00"}
    assert r.headers["Location"].endswith(f"/api/v1/dossiers/{created['code']}")
    r = api("POST", f"/applications/{reference}/accept", "clerk2")
    assert r.status_code == 409 and r.get_json()["error"]
    docs = api("GET", f"/dossiers/{created['code']}/documents", "clerk").get_json()
    assert docs["missing"] == [] and all(d["at_reception"] for d in docs["documents"])
    seen = client.get(f"/api/v1/public/applications/{reference}?secret={secret}").get_json()
    assert seen["status"] == "accepted" and seen["dossier"] == created["code"] and seen["dossier_secret"]
    assert client.get(f"/api/v1/public/dossiers/{created['code']}").status_code == 200


def test_wrong_secret_is_a_404_like_an_unknown_reference(api: Api, client):
    reference = apply(client).get_json()["reference"]
    wrong = client.get(f"/api/v1/public/applications/{reference}?secret=doan-mo")
    unknown = client.get("/api/v1/public/applications/TT-AAAAA-AAAAA?secret=doan-mo")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json() == unknown.get_json()
    assert client.get(f"/api/v1/public/applications/{reference}").status_code == 404


@pytest.mark.parametrize(("files", "fields", "status", "key"), [
    (None, {"procedure": "X.404"}, 404, None),
    (None, {"applicant": "{not json"}, 400, "applicant"),
    (None, {"data": "[1, 2]"}, 400, "data"),
    (None, {"data": json.dumps({"so_ban_sao": "hai"})}, 400, "so_ban_sao"),
    ({"to-khai-de-nghi": PDF}, {}, 400, "documents.giay-chung-tu"),
    ({"to-khai-de-nghi": PDF, "giay-chung-tu": b"MZ\x90\x00 an executable"}, {}, 400, "documents.giay-chung-tu"),
    ({"to-khai-de-nghi": PDF, "giay-chung-tu": PNG, "a": PDF, "b": PDF}, {}, 400, None),
    ({"to-khai-de-nghi": PDF, "giay-chung-tu": b"%PDF-" + b"0" * 5000 + b"%%EOF"}, {}, 413, None),
    (None, {"procedure": ""}, 400, "procedure"),
])
def test_bad_submissions_are_clear_and_store_nothing(api: Api, app, client, engine, files, fields, status, key):
    app.extensions["lienthong_documents"].max_bytes = 4096  # the limit is configurable (default 20 MB)
    r = apply(client, files, **fields)
    assert r.status_code == status, r.get_json()
    assert r.get_json()["error"]
    if key:
        assert key in r.get_json()["errors"]
    assert stored(engine) == (0, 0)


def test_supplement_request_then_resubmission_then_refusal(api: Api, client):
    done = apply(client).get_json()
    reference, secret = done["reference"], done["secret"]
    r = api("POST", f"/applications/{reference}/supplement-request", "clerk", json={})
    assert r.status_code == 400 and "reason" in r.get_json()["errors"]
    r = api("POST", f"/applications/{reference}/supplement-request", "clerk",
            json={"reason": "Giấy chứng tử bị mờ", "documents": ["giay-chung-tu"]})
    assert r.status_code == 200 and r.get_json()["status"] == "supplement_requested"
    seen = client.get(f"/api/v1/public/applications/{reference}?secret={secret}").get_json()
    assert seen["reason"] == "Giấy chứng tử bị mờ" and seen["requested"] == ["Giấy chứng tử"]
    assert api("GET", "/applications", "clerk").get_json() == []

    r = client.post(f"/api/v1/public/applications/{reference}/documents", content_type="multipart/form-data",
                    data={"secret": "sai", "giay-chung-tu": (io.BytesIO(PDF), "moi.pdf")})
    assert r.status_code == 404
    r = client.post(f"/api/v1/public/applications/{reference}/documents", content_type="multipart/form-data",
                    data={"secret": secret, "giay-chung-tu": (io.BytesIO(PDF), "moi.pdf")})
    assert r.status_code == 200 and r.get_json()["status"] == "submitted"
    assert [a["reference"] for a in api("GET", "/applications", "clerk").get_json()] == [reference]

    r = api("POST", f"/applications/{reference}/refusal", "clerk", json={"reason": "Không thuộc thẩm quyền"})
    assert r.status_code == 200 and r.get_json()["status"] == "refused"
    assert api("POST", f"/applications/{reference}/accept", "clerk").status_code == 409
    assert api("POST", f"/applications/{reference}/refusal", "clerk", json={"reason": "lại"}).status_code == 409
    seen = client.get(f"/api/v1/public/applications/{reference}?secret={secret}").get_json()
    assert seen["status"] == "refused" and seen["reason"] == "Không thuộc thẩm quyền"


def test_submissions_are_rate_limited_per_address(api: Api, client, app, engine):
    app.config["APPLICATION_RATE_LIMIT"] = (2, 3600)
    assert apply(client).status_code == 201
    assert apply(client, {"to-khai-de-nghi": PDF}).status_code == 400  # a refused one counts too
    r = apply(client)
    assert r.status_code == 429 and r.get_json()["error"]
    assert stored(engine)[0] == 1


def test_stats_show_the_online_share(api: Api, client):
    for _ in range(3):
        assert api("POST", "/dossiers", "clerk", json={"procedure": "T.000001", "applicant": APPLICANT,
                                                        "data": {"so_ban_sao": 1}}).status_code == 201
    reference = apply(client).get_json()["reference"]
    assert api("POST", f"/applications/{reference}/accept", "clerk").status_code == 201
    stats = api("GET", "/stats?from=2026-03-01&to=2026-03-31", "leader").get_json()
    assert [(r["received"], r["online"], r["online_share"]) for r in stats["digitisation"]["by_agency"]] == [
        (4, 1, 25.0)]
    assert "online_share" in stats["formulas"]


def test_the_dossier_received_online_is_marked_so(api: Api, client, engine):
    reference = apply(client).get_json()["reference"]
    code = api("POST", f"/applications/{reference}/accept", "clerk").get_json()["code"]
    with engine.Session() as s:
        assert s.scalar(select(models.Dossier.channel).where(models.Dossier.code == code)) == "online"
