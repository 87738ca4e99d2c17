"""Every state-changing form POST needs a valid CSRF token; the JSON API takes bearer tokens, never cookies.

The POST routes are read from ``app.url_map``, so a route added later is covered (or fails here)
without anyone remembering to list it.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import url_for

from tests.conftest import PASSWORD
from tests.security.conftest import snapshot
from tests.webui.helpers import csrf, login, token_of

#: A body that would change something on every route if the token were not checked.
BODY = {
    "username": "boss", "password": PASSWORD, "code": "MOI", "name": "Cơ quan mới", "full_name": "Người Mới",
    "agency": "PCM", "roles": "officer", "day": "2026-03-10", "working": "0", "note": "ghi chú",
    "procedure": "T.000001", "applicant_name": "Người Nộp", "to": "clerk2", "field-du_giay_to": "on",
    "next": "/inbox", "decision_number": "1/QĐ", "decision_date": "2026-03-01", "secret": "ABCDEF", "kind": "scan",
}


def form_post_rules(app: Any) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules()
                   if "POST" in (r.methods or ()) and not r.rule.startswith("/api/")), key=lambda r: r.rule)


def url_of(app: Any, rule: Any, dossier_code: str, step_id: int) -> str:
    values: dict[str, Any] = {}
    for arg in rule.arguments:
        if arg in ("step_id", "document_id", "version", "notice_id"):
            values[arg] = step_id if arg == "step_id" else 1
        elif arg == "code":
            values[arg] = "en" if rule.endpoint == "auth.set_language" else dossier_code
        elif arg == "sha":
            values[arg] = "0" * 64
        else:
            values[arg] = "x"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


@pytest.fixture
def scene(engine, world, boss, deployed):
    """A dossier whose first step belongs to boss's agency: claiming it would change the database."""
    d = engine.start_dossier(world["clerk"], deployed, {"name": "Lê Thị Hoa"})
    return d.code, d.open_steps[0].id


def test_the_enumeration_sees_every_known_form(app):
    endpoints = {r.endpoint for r in form_post_rules(app)}
    assert {"auth.login", "auth.logout", "auth.set_language", "steps.claim", "steps.unclaim", "steps.complete",
            "steps.reassign", "desk.receive", "designer.upload", "designer.publish", "designer.submit",
            "admin.add_agency", "admin.add_official", "admin.add_override"} <= endpoints


@pytest.mark.parametrize("variant", ["missing", "empty", "garbage", "another_session"])
def test_every_form_post_without_a_valid_token_is_400_and_changes_nothing(app, client, engine, scene, variant):
    code, step_id = scene
    stranger = app.test_client()
    foreign = token_of(stranger)  # a well-formed token, signed for another session
    login(client, "boss")
    rules = form_post_rules(app)
    assert rules
    for rule in rules:
        before = snapshot(engine)
        body = dict(BODY)
        if variant != "missing":
            body["csrf_token"] = {"empty": "", "garbage": "not-a-token", "another_session": foreign}[variant]
        path = url_of(app, rule, code, step_id)
        response = client.post(path, data=body)
        assert response.status_code == 400, (path, response.status_code)
        assert "CSRF" in response.get_data(as_text=True), path
        assert snapshot(engine) == before, path
    # still logged in (logout was refused), still in Vietnamese (the language switch was refused)
    page = client.get("/inbox")
    assert page.status_code == 200 and "Hộp việc" in page.get_data(as_text=True)


def test_the_same_post_with_the_token_does_change_things(client, engine, scene):
    """The harness above would notice a change: with a valid token the claim goes through."""
    _code, step_id = scene
    login(client, "boss")
    before = snapshot(engine)
    page = client.get(f"/steps/{step_id}").get_data(as_text=True)
    assert client.post(f"/steps/{step_id}/claim", data={"csrf_token": csrf(page)}).status_code == 302
    assert snapshot(engine) != before


def test_only_the_api_blueprints_are_exempt(app):
    """Only the bearer-token API (/api/v1) is exempt; every route of it is under /api/v1."""
    from webui.security import csrf as protector

    api = {"api", "api_lifecycle", "api_procedures", "time_review_api", "feedback_api", "api_applications"}
    assert {bp.name for bp in protector._exempt_blueprints} == api
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in api:
            assert rule.rule.startswith("/api/v1/"), rule.rule
    assert not protector._exempt_views


def api_rules(app: Any) -> list[Any]:
    open_to_all = {"api.create_token", "api.public_dossier", "api.openapi", "api.public_survey",
                   # a citizen's feedback: public, behind its own secret (tests/webui/test_feedback_api.py)
                   "feedback_api.submit", "feedback_api.public_status", "feedback_api.rate", "feedback_api.published",
                   "guides.api_guides",
                   "api_applications.submit", "api_applications.public_status", "api_applications.resubmit"}
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/") and r.endpoint not in open_to_all]


def test_the_api_refuses_cookie_sessions_without_a_bearer_token(app, client, engine, scene):
    code, step_id = scene
    login(client, "boss")  # the client now carries a valid session cookie
    assert client.get("/inbox").status_code == 200
    token = token_of(client, "/inbox")
    rules = api_rules(app)
    assert {"api.inbox", "api.claim", "api.complete", "api_procedures.submit", "api.create_dossier",
            "api_procedures.approve"} <= {r.endpoint for r in rules}
    for rule in rules:
        path = url_of(app, rule, code, step_id)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            before = snapshot(engine)
            response = client.open(path, method=method, json={"procedure": "T.000001", "applicant": {"name": "A"}},
                                   headers={"X-CSRFToken": token})
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert snapshot(engine) == before, (method, path)
