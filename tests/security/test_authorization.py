"""Who may read and act on what (the rules written in docs/security.md), on the web pages and the API.

The scene: a dossier received at the desk (000.00.15.H12), its first step done, its second step
(Examine) ready at the division (PCM). The police (CA) and the leaders' office (LD) take no part yet;
the agency KHAC never does.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import DATA, PASSWORD
from tests.engine.test_runtime import do
from tests.security.conftest import snapshot
from tests.security.test_csrf import url_of
from tests.webui.helpers import login, post, token_of

APPLICANT = {"name": "Đoàn Thị Riêng Tư", "id_number": "079300000001", "phone": "0977000001",
             "address": "99 Đường Bí Mật"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def scene(app, engine, world, outsiders, tmp_path) -> dict[str, Any]:
    d = engine.start_dossier(world["clerk"], "T.000001", APPLICANT)
    receive = d.open_steps[0].id
    after = do(engine, world["clerk"], "Receive")
    examine = after.open_steps[0].id
    out = {"code": d.code, "receive": receive, "examine": examine, "document": None}
    documents = app.extensions.get("lienthong_documents")
    if documents is not None:  # documents of a dossier, where the app has them
        from engine.documents import Documents

        documents = app.extensions["lienthong_documents"] = Documents(engine, tmp_path / "documents")
        out["document"] = documents.attach(world["clerk"], d.code, "giay-to.pdf", PDF).id
    return out


@pytest.fixture
def scene_deployed(deployed, scene):
    return scene


def _pages_for_reading(s: dict[str, Any]) -> list[str]:
    code = s["code"]
    pages = [f"/steps/{s['examine']}", f"/steps/{s['receive']}", f"/dossiers/{code}", f"/dossiers/{code}/diagram.svg",
             f"/desk/receipt/{code}", f"/desk/receipt/{code}/qr.svg"]
    if s["document"] is not None:
        pages.append(f"/documents/{s['document']}")
    return pages


@pytest.mark.parametrize("username", ["out_clerk", "out_officer", "out_leader", "police", "leader"])
def test_agencies_taking_no_part_read_nothing_on_the_web(client, scene_deployed, username):
    s = scene_deployed
    login(client, username)
    for path in _pages_for_reading(s):
        response = client.get(path)
        assert response.status_code == 403, (path, response.status_code)  # role guard or agency check: 403
        body = response.get_data(as_text=True)
        assert APPLICANT["name"] not in body and APPLICANT["id_number"] not in body, path
    # Lists and searches: the page may echo what was typed, never what was found.
    secrets = (s["code"], APPLICANT["name"], APPLICANT["id_number"], APPLICANT["address"])
    searches = [(f"/dossiers?{key}={value}", value)
                for key, value in (("code", s["code"]), ("q", s["code"]), ("q", APPLICANT["name"]),
                                   ("q", APPLICANT["id_number"]))]
    for path, typed in [("/inbox", ""), ("/dashboard", ""), *searches]:
        response = client.get(path)
        assert response.status_code in (200, 403), path
        assert not response.headers.get("Location", "").endswith(s["code"]), path
        body = response.get_data(as_text=True)
        for secret in secrets:
            if secret != typed:  # the page may echo what was typed, never what was found
                assert secret not in body, (path, secret)


@pytest.mark.parametrize("username", ["out_officer", "out_leader", "police", "leader", "clerk", "designer", "admin"])
def test_nobody_outside_the_steps_agency_claims_completes_unclaims_or_reassigns_it(client, engine, scene_deployed,
                                                                                    admin, username):
    s = scene_deployed
    login(client, username)
    before = snapshot(engine)
    for action, data in (("claim", {}), ("unclaim", {}), ("complete", {"field-ket_qua": "dat"}),
                         ("reassign", {"to": "officer"})):
        response = post(client, f"/steps/{s['examine']}/{action}", data, page="/inbox")
        assert response.status_code == 403, (username, action, response.status_code)
    assert {k: v for k, v in snapshot(engine).items() if k != "rate_limits"} == \
           {k: v for k, v in before.items() if k != "rate_limits"}


def test_taking_part_shows_the_dossier_but_not_another_agencys_step(client, scene_deployed):
    s = scene_deployed
    login(client, "officer")  # PCM holds Examine
    assert client.get(f"/dossiers/{s['code']}").status_code == 200
    assert client.get(f"/steps/{s['examine']}").status_code == 200
    assert client.get(f"/steps/{s['receive']}").status_code == 403  # the desk's step
    client.post("/logout", data={"csrf_token": token_of(client, "/inbox")})
    login(client, "clerk")
    assert client.get(f"/dossiers/{s['code']}").status_code == 200
    assert client.get(f"/steps/{s['examine']}").status_code == 403


def test_an_admin_reads_everything_but_handles_no_step(client, engine, scene_deployed, admin):
    s = scene_deployed
    login(client, "admin")
    for path in (f"/dossiers/{s['code']}", f"/steps/{s['examine']}", f"/desk/receipt/{s['code']}"):
        assert client.get(path).status_code == 200, path
    assert post(client, f"/steps/{s['examine']}/claim", page="/admin").status_code == 403


def test_a_leader_reassigns_only_within_their_agency(client, engine, scene_deployed, world):
    s = scene_deployed
    login(client, "officer")
    assert post(client, f"/steps/{s['examine']}/reassign", {"to": "officer2"}).status_code == 403  # not a leader
    client.post("/logout", data={"csrf_token": token_of(client, "/inbox")})
    login(client, "lead_pcm")
    before = snapshot(engine)
    for outsider in ("police", "clerk", "out_officer"):
        assert post(client, f"/steps/{s['examine']}/reassign", {"to": outsider}).status_code == 403, outsider
    assert snapshot(engine) == before
    assert post(client, f"/steps/{s['examine']}/reassign", {"to": "officer2"}).status_code == 302
    step = next(x for x in engine.dossier(s["code"]).open_steps if x.id == s["examine"])
    assert (step.state, step.assignee_id) == ("claimed", world["officer2"].id)


def test_only_the_holder_completes_and_only_holder_or_leader_unclaims(client, engine, scene_deployed, world):
    s = scene_deployed
    engine.claim(world["officer"], s["examine"])
    login(client, "officer2")  # same agency, not the holder
    before = snapshot(engine)
    post(client, f"/steps/{s['examine']}/complete", {"field-ket_qua": "dat"})
    post(client, f"/steps/{s['examine']}/unclaim")
    after = {k: v for k, v in snapshot(engine).items() if k != "rate_limits"}
    assert after == {k: v for k, v in before.items() if k != "rate_limits"}
    client.post("/logout", data={"csrf_token": token_of(client, "/inbox")})
    login(client, "lead_pcm")
    assert post(client, f"/steps/{s['examine']}/unclaim").status_code == 302
    assert next(x for x in engine.dossier(s["code"]).open_steps if x.id == s["examine"]).state == "ready"


@pytest.mark.parametrize(("username", "path", "data", "allowed"), [
    ("officer", "/desk", {"procedure": "T.000001", "applicant_name": "A"}, False),
    ("lead_pcm", "/desk", {"procedure": "T.000001", "applicant_name": "A"}, False),
    ("designer", "/desk", {"procedure": "T.000001", "applicant_name": "A"}, False),
    ("clerk", "/desk", {"procedure": "T.000001", "applicant_name": "A"}, True),
    ("clerk", "/designer/upload", {}, False), ("officer", "/designer/upload", {}, False),
    ("leader", "/designer/publish", {"sha": "0" * 64}, False), ("designer", "/designer/upload", {}, True),
    ("designer", "/designer/publish", {"sha": "0" * 64}, False),
    ("leader", "/designer/submit", {"sha": "0" * 64}, False),
    ("designer", "/admin/agencies", {"code": "X", "name": "X"}, False),
    ("leader", "/admin/officials", {"username": "x"}, False),
    ("clerk", "/admin/calendar", {"day": "2026-03-10"}, False),
])
def test_role_rules_for_receiving_publishing_and_administering(client, engine, scene_deployed, username, path, data,
                                                               allowed):
    login(client, username)
    before = {k: v for k, v in snapshot(engine).items() if k != "rate_limits"}
    response = post(client, path, data)
    if allowed:
        assert response.status_code != 403
    else:
        assert response.status_code == 403
        assert {k: v for k, v in snapshot(engine).items() if k != "rate_limits"} == before


# --------------------------------------------------------------------------- the API


def _token(client, username: str) -> dict[str, str]:
    r = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


@pytest.mark.parametrize("username", ["out_officer", "out_leader", "out_clerk", "police", "leader"])
def test_agencies_taking_no_part_get_nothing_from_the_api(client, engine, scene_deployed, username):
    s = scene_deployed
    auth = _token(client, username)
    before = snapshot(engine)
    assert client.get(f"/api/v1/dossiers/{s['code']}", headers=auth).status_code == 403
    for action, body in (("claim", None), ("unclaim", None), ("complete", {"data": {"ket_qua": "dat"}})):
        r = client.post(f"/api/v1/steps/{s['examine']}/{action}", headers=auth, json=body)
        assert r.status_code == 403, (action, r.status_code)
    listing = client.get("/api/v1/inbox", headers=auth).get_data(as_text=True)
    assert s["code"] not in listing
    for query in (APPLICANT["name"], s["code"], APPLICANT["id_number"]):
        r = client.get("/api/v1/dossiers", query_string={"q": query}, headers=auth)
        if r.status_code != 405:  # the search, where the API has one
            assert s["code"] not in r.get_data(as_text=True) and APPLICANT["name"] not in r.get_data(as_text=True)
    if s["document"] is not None:
        assert client.get(f"/api/v1/dossiers/{s['code']}/documents", headers=auth).status_code == 403
        assert client.get(f"/api/v1/documents/{s['document']}", headers=auth).status_code == 403
    assert {k: v for k, v in snapshot(engine).items() if k not in ("rate_limits", "api_tokens")} == \
           {k: v for k, v in before.items() if k not in ("rate_limits", "api_tokens")}


def test_api_role_rules(client, engine, scene_deployed):
    good = (DATA / "three_agencies.bpmn").read_bytes()
    for username in ("officer", "lead_pcm", "designer"):
        r = client.post("/api/v1/dossiers", headers=_token(client, username),
                        json={"procedure": "T.000001", "applicant": {"name": "A"}})
        assert r.status_code == 403, username
    for username in ("clerk", "officer", "leader"):
        r = client.post("/api/v1/procedures", headers=_token(client, username),
                        data={"file": (io.BytesIO(good), "t.bpmn")}, content_type="multipart/form-data")
        assert r.status_code == 403, username


# --------------------------------------------------------------------------- every page has a guard

#: Pages anyone may open without logging in.
PUBLIC = {"portal.index", "portal.procedure", "portal.flowchart_svg", "portal.favicon", "portal.lookup", "auth.login",
          "static", "api.public_dossier", "api.openapi", "api.create_token", "documents.public_result", "survey.page",
          "api.public_survey",
          # feedback and petitions, filling guides (docs/citizens.md): no account needed
          "feedback.contacts", "feedback.send", "feedback.follow", "feedback.answers", "feedback_api.submit",
          "feedback_api.public_status", "feedback_api.rate", "feedback_api.published", "guides.index",
          "guides.form_page", "guides.blank_pdf", "guides.sample_pdf", "guides.api_guides",
          "applications.new", "applications.status_form", "api_applications.public_status"}


def test_every_page_but_the_public_ones_needs_a_login(app, client, scene_deployed):
    s = scene_deployed
    seen_public = set()
    for rule in app.url_map.iter_rules():
        path = url_of(app, rule, s["code"], s["examine"])
        if rule.endpoint == "static":
            path = "/static/app.js"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method != "GET":
                continue  # POST routes are refused without a CSRF token first (test_csrf)
            response = client.open(path, method=method)
            if rule.rule.startswith("/api/"):
                anonymous_refused = response.status_code == 401
            else:
                anonymous_refused = (response.status_code == 302
                                     and "/login" in response.headers.get("Location", ""))
            if not anonymous_refused:
                seen_public.add(rule.endpoint)
                assert rule.endpoint in PUBLIC, (rule.rule, response.status_code)
            body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) \
                else ""
            response.close()
            assert APPLICANT["name"] not in body and APPLICANT["id_number"] not in body, rule.rule
    assert seen_public == {e for e in PUBLIC if e in app.view_functions} - {"api.create_token",
                                                                            "documents.public_result",
                                                                            "api.public_survey",
                                                                            "feedback_api.submit",
                                                                            "feedback_api.rate"}
