"""The JSON API under /api/v1: the whole journey, permissions, errors, public lookup, stats, OpenAPI."""

from __future__ import annotations

import io
import re

import pytest

from engine import accounts
from tests.conftest import DATA, PASSWORD

APPLICANT = {"name": "Nguyễn Văn An", "id_number": "079123456789", "phone": "0901234567",
             "address": "12 Trần Hưng Đạo, Phan Thiết"}
OFFICIALS = ("clerk", "clerk2", "officer", "officer2", "lead_pcm", "police", "leader", "designer")


def sign_in(client, usernames=OFFICIALS) -> dict[str, str]:
    out = {}
    for username in usernames:
        r = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
        assert r.status_code == 201, r.get_json()
        assert set(r.get_json()) == {"token"}
        out[username] = r.get_json()["token"]
    return out


class Tokens(dict):
    """Signs an official in on first use (each sign-in verifies an Argon2 hash: keep them few)."""

    def __init__(self, client) -> None:
        super().__init__()
        self.client = client

    def __missing__(self, username: str) -> str:
        self[username] = sign_in(self.client, [username])[username]
        return self[username]


@pytest.fixture
def tokens(client, deployed):
    return Tokens(client)


class Api:
    def __init__(self, client, tokens):
        self.client = client
        self.tokens = tokens

    def refresh(self) -> None:
        """Tokens last 12 hours: sign in again after travelling in time."""
        self.tokens = Tokens(self.client)

    def __call__(self, method: str, path: str, who: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if who:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def step(self, who: str, name: str) -> dict:
        r = self("GET", "/inbox", who)
        assert r.status_code == 200
        found = [s for s in r.get_json() if s["name"] == name]
        assert found, f"{name} not in {who}'s inbox: {r.get_json()}"
        return found[0]

    def handle(self, who: str, name: str, data=None, note: str = "") -> dict:
        step = self.step(who, name)
        r = self("POST", f"/steps/{step['id']}/claim", who)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["assignee"] == who and r.get_json()["state"] == "claimed"
        r = self("POST", f"/steps/{step['id']}/complete", who, json={"data": data or {}, "note": note})
        assert r.status_code == 200, r.get_json()
        return r.get_json()["dossier"]


@pytest.fixture
def api(client, tokens):
    return Api(client, tokens)


def receive(api: Api) -> str:
    r = api("POST", "/dossiers", "clerk", json={"procedure": "T.000001", "applicant": APPLICANT,
                                                 "data": {"so_ban_sao": 2}})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["code"]


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")


def test_the_whole_journey_through_the_api(api: Api):
    r = api("GET", "/procedures", "clerk")
    assert r.get_json() == [{"code": "T.000001", "name": "Thủ tục thử nghiệm ba cơ quan", "version": 1,
                             "legal_working_days": 5, "reduced_working_days": None}]

    r = api("POST", "/dossiers", "clerk", json={"procedure": "T.000001", "applicant": APPLICANT,
                                                 "data": {"so_ban_sao": 2}})
    assert r.status_code == 201
    created = r.get_json()
    assert created == {"code": "000.00.15.H12-260302-0001", "status": "received",
                       "received_at": "2026-03-02T08:00:00+07:00", "due_at": "2026-03-09T08:00:00+07:00"}
    assert r.headers["Location"].endswith("/api/v1/dossiers/000.00.15.H12-260302-0001")
    code = created["code"]

    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ", {"du_giay_to": True})
    d = api.handle("officer", "Thẩm định hồ sơ", {"ket_qua": "dat", "so_tien": 1500000}, note="Đủ điều kiện")
    assert d["status"] == "processing"
    open_now = sorted((s["name"], s["agency"]) for s in d["steps"] if s["state"] == "ready")
    assert open_now == [("Công an cho ý kiến", "CA"), ("Phòng tổng hợp ý kiến", "PCM")]
    api.handle("police", "Công an cho ý kiến", {"y_kien_ca": "Thống nhất"})
    api.handle("officer2", "Phòng tổng hợp ý kiến")
    api.handle("leader", "Ký quyết định", {"so_quyet_dinh": "123/QĐ-UBND", "ngay_quyet_dinh": "2026-03-03"})
    d = api.handle("clerk2", "Trả kết quả")
    assert d["status"] == "returned" and d["code"] == code and d["procedure"] == "T.000001"

    r = api("GET", f"/dossiers/{code}", "police")
    assert r.status_code == 200
    full = r.get_json()
    assert full == d
    assert set(full) == {"code", "procedure", "status", "received_at", "due_at", "data", "steps", "events"}
    for step in full["steps"]:
        assert set(step) == {"id", "name", "agency", "state", "assignee", "ready_at", "due_at", "completed_at",
                             "timeliness", "role", "completed_by", "data", "note"}
        assert step["state"] == "completed" and step["timeliness"] in ("early", "on_time")
        assert ISO.match(step["ready_at"]) and ISO.match(step["completed_at"])
    examine = next(s for s in full["steps"] if s["name"] == "Thẩm định hồ sơ")
    assert examine["assignee"] == "officer" and examine["agency"] == "PCM"
    # The case travels with the dossier: the reception's values and each step's, with who entered them.
    assert full["data"] == {"so_ban_sao": 2}
    decision = next(s for s in full["steps"] if s["name"] == "Ký quyết định")
    assert decision["data"]["so_quyet_dinh"] == "123/QĐ-UBND" and decision["completed_by"] == "leader"
    events = full["events"]
    assert set(events[0]) == {"id", "action", "at", "actor", "step", "details"}
    assert events[0]["action"] == "dossier.received" and events[0]["actor"] == "clerk"
    assert events[-1]["action"] == "dossier.finished"
    completed = [e for e in events if e["action"] == "step.completed"]
    assert len(completed) == 6 and completed[1]["details"]["note"] == "Đủ điều kiện"
    assert all(api("GET", "/inbox", who).get_json() == [] for who in ("clerk", "officer", "police", "leader"))


def test_include_leaves_out_the_lists_a_client_does_not_read(api: Api):
    """``?include=steps`` (the step loop's choice): the dossier without its history; absent: both, as always."""
    code = receive(api)
    step = api.step("clerk", "Tiếp nhận, chuyển hồ sơ")
    api("POST", f"/steps/{step['id']}/claim", "clerk")
    for bad in ("history", "steps,history", "STEPS"):
        r = api("POST", f"/steps/{step['id']}/complete?include={bad}", "clerk", json={"data": {"du_giay_to": True}})
        assert r.status_code == 400 and r.get_json()["error"], bad
        assert api("GET", f"/dossiers/{code}?include={bad}", "clerk").status_code == 400
    assert api.step("clerk", "Tiếp nhận, chuyển hồ sơ")["state"] == "claimed"  # nothing was completed

    r = api("POST", f"/steps/{step['id']}/complete?include=steps", "clerk", json={"data": {"du_giay_to": True}})
    assert r.status_code == 200
    lean = r.get_json()["dossier"]
    full = api("GET", f"/dossiers/{code}", "clerk").get_json()
    assert set(full) == {"code", "procedure", "status", "received_at", "due_at", "data", "steps", "events"}
    assert lean == {k: v for k, v in full.items() if k != "events"}
    assert api("GET", f"/dossiers/{code}?include=steps,events", "clerk").get_json() == full
    assert api("GET", f"/dossiers/{code}?include=events", "clerk").get_json() == {
        k: v for k, v in full.items() if k != "steps"}
    assert api("GET", f"/dossiers/{code}?include=", "clerk").get_json() == {
        k: v for k, v in full.items() if k not in ("steps", "events")}

    step = api.step("officer", "Thẩm định hồ sơ")
    api("POST", f"/steps/{step['id']}/claim", "officer")
    r = api("POST", f"/steps/{step['id']}/complete?include=events", "officer",
            json={"data": {"ket_qua": "dat", "so_tien": 1500000}})
    assert r.status_code == 200
    only_events = r.get_json()["dossier"]
    assert "steps" not in only_events and only_events["events"][-1]["action"] == "step.ready"
    assert only_events["events"] == api("GET", f"/dossiers/{code}", "officer").get_json()["events"]

    from jsonschema import Draft202012Validator

    doc = api("GET", "/openapi.json").get_json()
    completed = Draft202012Validator({"$ref": "#/components/schemas/Completed", "components": doc["components"]})
    for answer in ({"dossier": lean}, {"dossier": full}, {"dossier": only_events}):
        completed.validate(answer)
    params = {p["name"]: p for p in doc["paths"]["/api/v1/steps/{step_id}/complete"]["post"]["parameters"]}
    assert params["include"]["schema"]["items"]["enum"] == ["steps", "events", "open_steps"]


def test_include_open_steps_answers_with_what_to_do_next(api: Api):
    """``?include=open_steps`` on receive and complete: only the steps open after the action, the
    same as the open ones of a full read; a wrong include on receive is refused and receives nothing."""
    from jsonschema import Draft202012Validator

    doc = api("GET", "/openapi.json").get_json()

    def valid(schema: str, answer: dict) -> None:
        Draft202012Validator({"$ref": f"#/components/schemas/{schema}", "components": doc["components"]}
                             ).validate(answer)

    def open_in(code: str, who: str) -> list[dict]:
        full = api("GET", f"/dossiers/{code}", who).get_json()
        return [s for s in full["steps"] if s["state"] in ("ready", "claimed")]

    before = len(api("GET", "/dossiers?per_page=100", "clerk").get_json()["items"])
    for bad in ("steps", "open_steps,events", "OPEN_STEPS"):
        r = api("POST", f"/dossiers?include={bad}", "clerk",
                json={"procedure": "T.000001", "applicant": APPLICANT, "data": {"so_ban_sao": 2}})
        assert r.status_code == 400 and r.get_json()["error"], bad
    r = api("POST", "/dossiers?include=steps&lang=en", "clerk",
            json={"procedure": "T.000001", "applicant": APPLICANT, "data": {"so_ban_sao": 2}})
    assert r.status_code == 400 and r.get_json()["error"] == "On receiving a dossier, include takes open_steps only"
    assert len(api("GET", "/dossiers?per_page=100", "clerk").get_json()["items"]) == before

    r = api("POST", "/dossiers?include=open_steps", "clerk",
            json={"procedure": "T.000001", "applicant": APPLICANT, "data": {"so_ban_sao": 2}})
    assert r.status_code == 201
    created = r.get_json()
    valid("DossierCreated", created)
    code = created["code"]
    assert [s["name"] for s in created["open_steps"]] == ["Tiếp nhận, chuyển hồ sơ"]
    assert created["open_steps"] == open_in(code, "clerk")

    step = created["open_steps"][0]
    api("POST", f"/steps/{step['id']}/claim", "clerk")
    r = api("POST", f"/steps/{step['id']}/complete?include=open_steps", "clerk", json={"data": {"du_giay_to": True}})
    assert r.status_code == 200
    answer = r.get_json()["dossier"]
    valid("Completed", r.get_json())
    assert set(answer) == {"code", "procedure", "status", "received_at", "due_at", "data", "open_steps"}
    assert [s["name"] for s in answer["open_steps"]] == ["Thẩm định hồ sơ"]
    assert answer["open_steps"] == open_in(code, "clerk")

    examine = answer["open_steps"][0]
    api("POST", f"/steps/{examine['id']}/claim", "officer")
    r = api("POST", f"/steps/{examine['id']}/complete?include=open_steps,events", "officer",
            json={"data": {"ket_qua": "dat", "so_tien": 1500000}})
    answer = r.get_json()["dossier"]
    # The parallel split: both branches, as a read lists them, and the history when asked for.
    assert sorted(s["name"] for s in answer["open_steps"]) == ["Công an cho ý kiến", "Phòng tổng hợp ý kiến"]
    assert answer["open_steps"] == open_in(code, "officer")
    assert answer["events"] == api("GET", f"/dossiers/{code}", "officer").get_json()["events"]

    police = next(s for s in answer["open_steps"] if s["agency"] == "CA")
    api("POST", f"/steps/{police['id']}/claim", "police")
    r = api("POST", f"/steps/{police['id']}/complete?include=open_steps", "police",
            json={"data": {"y_kien_ca": "Thống nhất"}})
    # The other branch stays open, still as a read shows it.
    assert [s["name"] for s in r.get_json()["dossier"]["open_steps"]] == ["Phòng tổng hợp ý kiến"]
    assert r.get_json()["dossier"]["open_steps"] == open_in(code, "police")
    full = api("GET", f"/dossiers/{code}?include=open_steps", "police").get_json()
    assert set(full) == {"code", "procedure", "status", "received_at", "due_at", "data", "open_steps"}
    assert full["open_steps"] == open_in(code, "police")


def test_step_loop_answers_are_flasks_json_byte_for_byte(app):
    """The per-step answers are written by orjson: the same bytes and headers as jsonify, and anything
    orjson would write differently (here a date, a str subclass, a non-string key) is left to jsonify."""
    from datetime import date

    from flask import jsonify
    from markupsafe import Markup

    from webui.api import _json

    payloads = [{"dossier": {"code": "X-1", "steps": [{"id": 1, "assignee": None, "state": "ready"}],
                             "events": [{"details": {"data": {"ok": True, "n": 10**15}, "note": "Đủ\n\"x\"\u2028"}}]}},
                [{"b": 1, "a": 2}], {"when": date(2026, 3, 2)}, {"html": Markup("<b>")}, {1: "one"}]
    with app.test_request_context("/api/v1/inbox"):
        for payload in payloads:
            ours, flasks = _json(payload), jsonify(payload)
            assert ours.get_data() == flasks.get_data(), payload
            assert ours.headers == flasks.headers and ours.status_code == flasks.status_code


def test_claim_race_unclaim_and_completing_without_claim(api: Api):
    receive(api)
    step = api.step("clerk", "Tiếp nhận, chuyển hồ sơ")
    assert step["state"] == "ready" and step["assignee"] is None and ISO.match(step["due_at"])
    assert api("POST", f"/steps/{step['id']}/claim", "clerk").status_code == 200
    r = api("POST", f"/steps/{step['id']}/claim", "clerk2")
    assert r.status_code == 409 and r.get_json()["error"]
    assert api("POST", f"/steps/{step['id']}/complete", "clerk2", json={"data": {}}).status_code == 409
    assert api("POST", f"/steps/{step['id']}/unclaim", "clerk2").status_code == 409
    assert api.step("clerk2", "Tiếp nhận, chuyển hồ sơ")["assignee"] == "clerk"
    r = api("POST", f"/steps/{step['id']}/unclaim", "clerk")
    assert r.status_code == 200 and r.get_json()["state"] == "ready" and r.get_json()["assignee"] is None
    assert api("POST", f"/steps/{step['id']}/unclaim", "clerk").status_code == 409
    assert api("POST", f"/steps/{step['id']}/claim", "clerk2").status_code == 200
    assert api("POST", "/steps/999999/claim", "clerk").status_code == 404


def test_other_agencies_are_refused(api: Api):
    code = receive(api)
    step = api.step("clerk", "Tiếp nhận, chuyển hồ sơ")
    for path in ("claim", "unclaim", "complete"):
        r = api("POST", f"/steps/{step['id']}/{path}", "police", json={})
        assert r.status_code == 403 and r.get_json()["error"]
    assert api("GET", f"/dossiers/{code}", "police").status_code == 403
    assert api("GET", "/dossiers/000.00.15.H12-260302-9999", "clerk").status_code == 404
    assert api("GET", "/inbox", "police").get_json() == []
    r = api("POST", "/dossiers", "officer", json={"procedure": "T.000001", "applicant": APPLICANT})
    assert r.status_code == 403
    diagram = io.BytesIO((DATA / "three_agencies.bpmn").read_bytes())
    r = api("POST", "/procedures", "clerk", data={"file": (diagram, "a.bpmn")})
    assert r.status_code == 403


def test_field_errors_change_nothing(api: Api):
    code = receive(api)
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ")
    step = api.step("officer", "Thẩm định hồ sơ")
    api("POST", f"/steps/{step['id']}/claim", "officer")
    before = api("GET", f"/dossiers/{code}", "officer").get_json()
    r = api("POST", f"/steps/{step['id']}/complete", "officer",
            json={"data": {"ket_qua": "khong_co", "so_tien": "-5"}, "note": ""})
    assert r.status_code == 400
    assert set(r.get_json()["errors"]) == {"ket_qua", "so_tien"}
    r = api("POST", f"/steps/{step['id']}/complete", "officer", json={"data": {}})
    assert r.status_code == 400 and "ket_qua" in r.get_json()["errors"]
    assert api("GET", f"/dossiers/{code}", "officer").get_json() == before

    r = api("POST", "/dossiers", "clerk", json={"procedure": "T.000001", "applicant": {"id_number": "12a"}})
    assert r.status_code == 400
    assert set(r.get_json()["errors"]) == {"applicant.name", "applicant.id_number"}
    r = api("POST", "/dossiers", "clerk", json={"applicant": APPLICANT})
    assert r.status_code == 400 and "procedure" in r.get_json()["errors"]


def test_bad_json_bodies_are_400(api: Api):
    receive(api)
    step = api.step("clerk", "Tiếp nhận, chuyển hồ sơ")
    api("POST", f"/steps/{step['id']}/claim", "clerk")
    for body in ("{not json", "[1, 2]", '"text"'):
        r = api("POST", f"/steps/{step['id']}/complete", "clerk", data=body, content_type="application/json")
        assert r.status_code == 400 and r.get_json()["error"], body
    r = api("POST", f"/steps/{step['id']}/complete", "clerk", json={"data": [1]})
    assert r.status_code == 400 and "data" in r.get_json()["errors"]
    r = api("POST", "/dossiers", "clerk", data="{", content_type="application/json")
    assert r.status_code == 400
    assert api("POST", "/tokens", data="nope", content_type="application/json").status_code == 400
    assert api("POST", "/tokens", json={"username": "clerk"}).status_code == 400
    r = api("GET", "/stats?from=2026-13-01", "leader")
    assert r.status_code == 400 and r.get_json()["error"]
    assert api("GET", "/stats?from=2026-03-31&to=2026-03-01", "leader").status_code == 400


def test_tokens_are_required_and_checked(api: Api, client, clock):
    for method, path in (("GET", "/procedures"), ("GET", "/inbox"), ("POST", "/dossiers"), ("GET", "/stats"),
                         ("POST", "/steps/1/claim"), ("GET", "/dossiers/x")):
        r = api(method, path)
        assert r.status_code == 401 and r.get_json()["error"], path
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert api("GET", "/inbox", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api("GET", "/inbox", headers={"Authorization": f"Basic {api.tokens['clerk']}"}).status_code == 401
    assert api("GET", "/inbox", "clerk").status_code == 200
    clock.advance(hours=13)
    assert api("GET", "/inbox", "clerk").status_code == 401


def test_signing_out_revokes_the_token_at_once_and_only_that_one(api: Api, app, engine):
    from sqlalchemy import select

    from engine import models
    from engine import tokens as token_store

    first = api.tokens["clerk"]
    second = api.client.post("/api/v1/tokens", json={"username": "clerk", "password": PASSWORD}).get_json()["token"]
    assert api("GET", "/inbox", "clerk").status_code == 200  # checked once: now in the process's cache
    r = api("POST", "/tokens/revoke", "clerk")
    assert r.status_code == 204 and r.data == b""
    assert api("GET", "/inbox", "clerk").status_code == 401  # at once, though it was cached
    assert api("POST", "/tokens/revoke", "clerk").status_code == 401
    assert api("GET", "/inbox", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    with engine.Session() as session:
        hashes = set(session.scalars(select(models.ApiToken.token_hash)))
    assert token_store.hash_token(first) not in hashes and token_store.hash_token(second) in hashes
    assert api("POST", "/tokens/revoke").status_code == 401


def test_signing_out_in_one_web_process_is_honoured_at_once_by_every_other(api: Api, app, engine, tmp_path):
    """Two apps on one database stand for two gunicorn workers."""
    from webui import create_app

    other = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True,
                        "DOCUMENT_DIR": str(tmp_path / "documents-2"),
                        "DATABASE_URL": str(engine.db.url.render_as_string(hide_password=False))}).test_client()
    token = api.tokens["clerk"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert other.get("/api/v1/inbox", headers=bearer).status_code == 200
    assert api("POST", "/tokens/revoke", "clerk").status_code == 204
    assert other.get("/api/v1/inbox", headers=bearer).status_code == 401  # at once: every request looks it up


def test_bad_credentials_are_401_then_rate_limited(app, client):
    app.config["LOGIN_RATE_LIMIT"] = (3, 300)
    for _ in range(3):
        r = client.post("/api/v1/tokens", json={"username": "nobody", "password": "wrong-password"})
        assert r.status_code == 401 and r.get_json()["error"]
    r = client.post("/api/v1/tokens", json={"username": "nobody", "password": "wrong-password"})
    assert r.status_code == 429 and r.get_json()["error"]


OWNED = (DATA / "three_agencies.bpmn").read_bytes().replace(
    b'<camunda:property name="legal_working_days" value="5" />',
    b'<camunda:property name="legal_working_days" value="5" /><camunda:property name="owner_agency" value="PCM" />')
#: A change of the deployed procedure: examination takes one working day instead of two.
CHANGED = OWNED.replace(b'<camunda:property name="working_days" value="2" /><camunda:property name="step_kind" '
                        b'value="examine" />', b'<camunda:property name="working_days" value="1" />'
                        b'<camunda:property name="step_kind" value="examine" />')


def test_a_submitted_change_runs_only_once_the_owning_agencys_leader_approves_it(api: Api):
    r = api("POST", "/procedures", "designer", data={"file": (io.BytesIO(CHANGED), "t.bpmn")},
            content_type="multipart/form-data")
    assert r.status_code == 201 and r.get_json() == {"code": "T.000001", "version": 2, "status": "submitted"}
    assert [p["version"] for p in api("GET", "/procedures", "clerk").get_json()] == [1]
    changes = api("GET", "/procedures/T.000001/versions/2/changes", "lead_pcm").get_json()
    examine = next(s for s in changes["steps"] if s["element"] == "Examine")
    assert (changes["base_version"], examine["change"], examine["old_days"], examine["new_days"]) == (1, "budget", 2, 1)
    assert changes["totals"]["new"]["main_path"] == changes["totals"]["old"]["main_path"] - 1
    decision = {"decision_number": "21/QĐ-UBND", "decision_date": "2026-03-02"}
    assert api("POST", "/procedures/T.000001/versions/2/approve", "leader", json=decision).status_code == 403
    assert api("POST", "/procedures/T.000001/versions/2/approve", "lead_pcm",
               json={"decision_number": "21/QĐ-UBND", "decision_date": "2 tháng 3"}).status_code == 400
    r = api("POST", "/procedures/T.000001/versions/2/approve", "lead_pcm", json=decision)
    assert r.status_code == 200 and r.get_json()["status"] == "published"
    assert [p["version"] for p in api("GET", "/procedures", "clerk").get_json()] == [2]
    assert api("POST", "/procedures/T.000001/versions/2/approve", "lead_pcm", json=decision).status_code == 409


def test_a_leader_sends_a_change_back_with_a_reason(api: Api):
    api("POST", "/procedures", "designer", data={"file": (io.BytesIO(CHANGED), "t.bpmn")},
        content_type="multipart/form-data")
    assert api("POST", "/procedures/T.000001/versions/2/send-back", "lead_pcm", json={}).status_code == 400
    r = api("POST", "/procedures/T.000001/versions/2/send-back", "lead_pcm", json={"reason": "Thiếu căn cứ"})
    assert r.status_code == 200 and r.get_json()["status"] == "sent_back"
    assert [p["version"] for p in api("GET", "/procedures", "clerk").get_json()] == [1]


def test_submitting_refuses_invalid_diagrams_and_diagrams_without_an_owner(api: Api):
    broken = CHANGED.replace(b'<bpmn:sequenceFlow id="F2" sourceRef="Receive" targetRef="Examine" />',
                             b'<bpmn:sequenceFlow id="F2" sourceRef="Receive" targetRef="Nowhere" />')
    r = api("POST", "/procedures", "designer", data={"file": (io.BytesIO(broken), "t.bpmn")},
            content_type="multipart/form-data")
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert errors and set(errors[0]) == {"line", "element", "message"}
    good = (DATA / "three_agencies.bpmn").read_bytes()
    r = api("POST", "/procedures", "designer", data={"file": (io.BytesIO(good), "t.bpmn")},
            content_type="multipart/form-data")
    assert r.status_code == 422 and "owner_agency" in r.get_json()["errors"][-1]["message"]
    r = api("POST", "/procedures", "designer", data={}, content_type="multipart/form-data")
    assert r.status_code == 400
    assert [p["version"] for p in api("GET", "/procedures", "designer").get_json()] == [1]


def test_public_lookup_masks_everything_personal(api: Api):
    code = receive(api)
    r = api("GET", f"/public/dossiers/{code}")
    assert r.status_code == 200
    assert r.get_json() == {"code": code, "status": "received", "current_agencies": ["Bộ phận Một cửa"],
                            "due_at": "2026-03-09T08:00:00+07:00", "applicant": "N***** V** A*",
                            "has_result": False}
    text = r.get_data(as_text=True)
    for secret in (APPLICANT["id_number"], APPLICANT["phone"], "Trần Hưng Đạo", "Nguyễn"):
        assert secret not in text
    r = api("GET", "/public/dossiers/000.00.15.H12-260302-9999")
    assert r.status_code == 404 and r.get_json()["error"]


def test_stats_after_a_journey_with_one_late_step(api: Api, clock):
    receive(api)
    api.handle("clerk", "Tiếp nhận, chuyển hồ sơ")
    clock.advance(days=3)  # Thu 5 March 08:00: the examination was due Wed 4 March 08:00
    api.refresh()
    api.handle("officer", "Thẩm định hồ sơ", {"ket_qua": "dat"})
    api.handle("police", "Công an cho ý kiến")
    api.handle("officer2", "Phòng tổng hợp ý kiến")
    api.handle("leader", "Ký quyết định", {"so_quyet_dinh": "12/QĐ-UBND"})
    api.handle("clerk2", "Trả kết quả")
    receive(api)  # a second dossier, still open
    clock.advance(days=10)  # its first step is now overdue
    api.refresh()

    r = api("GET", "/stats?from=2026-03-01&to=2026-03-31", "leader")
    assert r.status_code == 200
    body = r.get_json()
    agencies = {a["agency"]: a for a in body["by_agency"]}
    assert agencies["PCM"] == {"agency": "PCM", "name": "Phòng chuyên môn", "completed": 2, "early": 1,
                               "on_time": 0, "late": 1, "open": 0, "overdue": 0, "on_time_rate": 0.0}
    desk = agencies["000.00.15.H12"]
    assert (desk["completed"], desk["late"], desk["open"], desk["overdue"]) == (2, 0, 1, 1)
    assert agencies["CA"]["early"] == 1 and agencies["LD"]["early"] == 1
    assert body["by_procedure"] == [{
        "procedure": "T.000001", "name": "Thủ tục thử nghiệm ba cơ quan", "received": 2, "finished": 1,
        "early": 1, "on_time": 0, "late": 0, "open": 1, "overdue": 1, "average_working_days": 3,
        "on_time_rate": 50.0}]  # QĐ 766: the open overdue dossier counts against the rate
    r = api("GET", "/stats?from=2026-04-01&to=2026-04-30", "leader")
    assert r.get_json()["by_procedure"][0]["received"] == 0
    default = api("GET", "/stats", "officer").get_json()  # the current month (March 2026)
    assert default["by_procedure"][0]["received"] == 2


def _api_routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            out |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_openapi_document_matches_the_routes(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == _api_routes(app)
    refs = set(re.findall(r'"#/components/(\w+)/(\w+)"', r.get_data(as_text=True)))
    for kind, name in refs:
        assert name in doc["components"][kind], name
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (path, method)
            if op.get("security") != []:
                assert "401" in op["responses"], (path, method)


def test_unknown_api_paths_are_json(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.get_json()["error"]
    r = client.delete("/api/v1/inbox")
    assert r.status_code == 405 and r.get_json()["error"]


def test_deploying_with_metadata_feeds_the_portal(api: Api, client):
    from engine.demo import load_registry

    workflows = DATA.parent.parent / "workflows"
    bpmn = (workflows / "mai_tang_phi.bpmn").read_bytes().replace(
        b'<camunda:property name="legal_working_days" value="5" />',
        b'<camunda:property name="legal_working_days" value="5" /><camunda:property name="owner_agency" '
        b'value="SYT" />')
    toml = (workflows / "mai_tang_phi.toml").read_bytes()
    engine = client.application.extensions["lienthong_engine"]
    with engine.transaction() as s:  # the diagram's lanes bind to the registry's kinds and agencies
        load_registry(s, workflows, engine.now())
    wrong = toml.replace(b'code = "1.001731"', b'code = "9.999999"')
    r = api("POST", "/procedures", "designer", content_type="multipart/form-data",
            data={"file": (io.BytesIO(bpmn), "m.bpmn"), "metadata": (io.BytesIO(wrong), "m.toml")})
    assert r.status_code == 422
    assert any("9.999999" in e["message"] for e in r.get_json()["errors"])
    assert "/tmp" not in r.get_data(as_text=True)
    r = api("POST", "/procedures", "designer", content_type="multipart/form-data",
            data={"file": (io.BytesIO(bpmn), "m.bpmn"), "metadata": (io.BytesIO(toml), "m.toml")})
    assert r.status_code == 201 and r.get_json()["code"] == "1.001731"
    assert client.get("/thu-tuc/1.001731").status_code == 404  # not in force before its approval
    with engine.transaction() as s:
        accounts.add_official(s, "lead_syt", full_name="Lãnh đạo Sở Y tế", agency_code="SYT", roles="leader",
                              password=PASSWORD, now=engine.now())
    r = api("POST", "/procedures/1.001731/versions/1/approve", "lead_syt",
            json={"decision_number": "15/QĐ-UBND", "decision_date": "2026-03-02"})
    assert r.status_code == 200
    page = client.get("/thu-tuc/1.001731").get_data(as_text=True)
    assert "Hướng dẫn kê khai" in page and "15/QĐ-UBND" in page and "02/03/2026" in page


def test_a_retryable_conflict_says_so(api: Api, app):
    """A concurrent writer won: 409 like every conflict, but marked retryable, and nothing stored."""
    from sqlalchemy import text

    from webui.extensions import get_engine

    code = receive(api)
    step = api.step("clerk", "Tiếp nhận, chuyển hồ sơ")
    assert api("POST", f"/steps/{step['id']}/claim", "clerk").status_code == 200
    with app.app_context():
        engine = get_engine()
    with engine.db.begin() as conn:  # another process saved a newer state of this dossier meanwhile
        conn.execute(text("UPDATE workflow_states SET version = version + 1"))
    r = api("POST", f"/steps/{step['id']}/complete", "clerk", json={"data": {}})
    assert r.status_code == 409
    assert r.get_json()["retryable"] is True and r.headers["Retry-After"] == "1"
    assert api.step("clerk", "Tiếp nhận, chuyển hồ sơ")["state"] == "claimed"
    plain = api("POST", f"/steps/{step['id']}/claim", "clerk2")
    assert plain.status_code == 409 and "retryable" not in plain.get_json()
    assert api("GET", f"/dossiers/{code}", "clerk").get_json()["status"] == "received"
