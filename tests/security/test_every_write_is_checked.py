"""Every state-changing route, page or API, walked as an official of another agency: each one that writes to
a dossier is refused (403, or 404 where the dossier's existence is hidden) and changes nothing. A new
route fails this test until it is classified here.

Two walkers hold every handling role (clerk, officer, leader) and designer: one of an agency taking no part
in the dossiers (KHAC), one of the division (PCM), which takes part but owns neither the desk's writes
(withdrawal, result collection, desk papers) nor another agency's steps. The dossiers: one finished, its
result ready at the desk; one just received, its first step at the desk.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from engine import accounts
from tests.conftest import DATA, PASSWORD
from tests.engine.test_documents import METADATA, PDF
from tests.security.conftest import snapshot
from tests.webui.helpers import login, post

#: Routes that write to no existing dossier, and why they are outside this walk.
NOT_DOSSIER_WRITES = {
    "auth.login": "signs in", "auth.logout": "signs out", "auth.set_language": "a preference",
    "desk.receive": "receives a new dossier at the caller's own desk",
    "documents.public_result": "a read behind the receipt's secret",
    "designer.upload": "a diagram, no dossier", "designer.publish": "a procedure, no dossier",
    "admin.add_agency": "administration", "admin.add_official": "administration",
    "admin.set_official_active": "administration", "admin.set_official_roles": "administration",
    "admin.add_override": "administration",
    "api.create_token": "signs in", "api.revoke_token": "signs out", "api.deploy": "a procedure, no dossier",
    "api.create_dossier": "receives a new dossier at the caller's own desk",
    "admin.remove_override": "administration", "calendar_admin.add_decision": "administration",
    "calendar_admin.confirm_decision": "administration", "notice_templates.save": "administration",
    "designer.submit": "a procedure, no dossier", "api_procedures.submit": "a procedure, no dossier",
    "modeler.save": "a draft diagram, no dossier", "modeler.submit": "a procedure, no dossier",
    "modeler.validate": "checks a diagram, writes nothing",
    "review.approve": "a procedure change (tests/engine/test_approval.py)",
    "review.send_back": "a procedure change (tests/engine/test_approval.py)",
    "api_procedures.approve": "a procedure change (tests/engine/test_approval.py)",
    "api_procedures.send_back": "a procedure change (tests/engine/test_approval.py)",
    "time_review.what_if": "a prediction, writes nothing", "time_review.report": "a report, writes nothing",
    "time_review_api.api_what_if": "a prediction, writes nothing",
    "survey.page": "the applicant's answer, behind the receipt's secret (tests/webui/test_survey.py)",
    "api.public_survey": "the applicant's answer, behind the receipt's secret (tests/webui/test_survey.py)",
    "feedback.send": "a citizen's feedback, a dossier proved by its secret (tests/webui/test_feedback_pages.py)",
    "feedback.follow": "a rating behind the feedback's own secret (tests/webui/test_feedback_pages.py)",
    "feedback.item": "a feedback's answer, Write.FEEDBACK (tests/webui/test_feedback_api.py)",
    "feedback.edit_contacts": "administration",
    "feedback_api.submit": "a citizen's feedback, a dossier proved by its secret (tests/webui/test_feedback_api.py)",
    "feedback_api.rate": "a rating behind the feedback's own secret (tests/webui/test_feedback_api.py)",
    "feedback_api.answer": "a feedback's answer, Write.FEEDBACK (tests/webui/test_feedback_api.py)",
    # Online applications: no dossier until accepted; another agency's clerk is refused every decision
    # (tests/engine/test_applications.py, tests/webui/test_applications_api.py and _pages.py).
    "applications.status": "a read behind the application's secret",
    "applications.resubmit": "the applicant's documents, behind the application's secret",
    "api_applications.submit": "a new online application, no dossier",
    "api_applications.resubmit": "the applicant's documents, behind the application's secret",
    "desk_applications.accept": "receives a new dossier at the receiving desk (Write.APPLICATION)",
    "desk_applications.supplement": "an online application, no dossier (Write.APPLICATION)",
    "desk_applications.refuse": "an online application, no dossier (Write.APPLICATION)",
    "api_applications.accept": "receives a new dossier at the receiving desk (Write.APPLICATION)",
    "api_applications.supplement_request": "an online application, no dossier (Write.APPLICATION)",
    "api_applications.refusal": "an online application, no dossier (Write.APPLICATION)",
}
#: Writes an agency taking part may make (the rules in engine/authorization.py).
PARTICIPANT_MAY = {"documents.attach", "api.attach_document"}
STEP_ROUTES = {"steps.claim", "steps.unclaim", "steps.reassign", "steps.complete", "api.claim", "api.unclaim",
               "api.complete"}


def _writing_rules(app: Any) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules() if (r.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}),
                  key=lambda r: r.rule)


@pytest.fixture
def dossiers(app, engine, world) -> dict[str, Any]:
    engine.deploy((DATA / "three_agencies.bpmn").read_bytes(), filename="t.bpmn", metadata=METADATA)
    finished = engine.start_dossier(world["clerk"], "T.000001", {"name": "Nguyễn Văn An"})
    for who, element, data in (("clerk", "Receive", {}), ("officer", "Examine", {"ket_qua": "dat"}),
                               ("police", "Opinion_police", {}), ("officer2", "Opinion_div", {}),
                               ("leader", "Sign", {"so_quyet_dinh": "1/QĐ"}), ("clerk2", "Return", {})):
        step = next(s for s in engine.inbox(world[who]) if s.element_id == element)
        engine.claim(world[who], step.id)
        engine.complete(world[who], step.id, data)
    fresh = engine.start_dossier(world["clerk"], "T.000001", {"name": "Trần Thị Bình"})
    with engine.transaction() as s:
        accounts.add_agency(s, "KHAC", "Sở Khác", now=engine.now())
        for username, agency in (("khac_all", "KHAC"), ("pcm_all", "PCM")):
            accounts.add_official(s, username, full_name=username, agency_code=agency,
                                  roles="clerk,officer,leader,designer", password=PASSWORD, now=engine.now())
    return {"finished": finished.code, "fresh": fresh.code, "desk_step": fresh.open_steps[0].id}


def _form(endpoint: str, walker: str, code: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(form fields, extra request arguments) that would succeed but for the agency."""
    bodies: dict[str, dict[str, Any]] = {
        "steps.complete": {"field-ket_qua": "dat"}, "steps.reassign": {"to": walker},
        "lifecycle.apology": {"reason": "Chậm do thiếu hồ sơ", "new_due": "2026-12-31"},
        "lifecycle.withdraw": {"reason": "Công dân rút"}, "lifecycle.collection": {"method": "desk"},
        "lifecycle.create_notice": {"kind": "refusal", "procedure": "T.000001", "applicant_name": "Trần Thị Bình",
                                    "reasons": "Không đủ điều kiện", "dossier_code": code},
        "documents.attach": {"kind": "scan", "file": (io.BytesIO(PDF), "a.pdf")},
    }
    extra = {"content_type": "multipart/form-data"} if endpoint == "documents.attach" else {}
    return bodies.get(endpoint, {}), extra


def _api(client: Any, rule: Any, path: str, token: str) -> Any:
    auth = {"Authorization": f"Bearer {token}"}
    if rule.endpoint == "api.attach_document":
        return client.post(path, headers=auth, data={"file": (io.BytesIO(PDF), "a.pdf")},
                           content_type="multipart/form-data")
    bodies: dict[str, dict[str, Any]] = {
        "api.complete": {"data": {"ket_qua": "dat"}},
        "api_lifecycle.apology": {"new_due_at": "2026-12-31T10:00:00+07:00", "reason": "Chậm do thiếu hồ sơ"},
        "api_lifecycle.withdrawal": {"reason": "Công dân rút"}, "api_lifecycle.result_collected": {"method": "desk"},
        "api_lifecycle.supplement_request": {"reason": "Thiếu giấy tờ"}, "api_lifecycle.reassign": {"to": "clerk"},
        "api_lifecycle.refusal": {"reason": "Không đủ điều kiện"},
        "api.public_survey": {"secret": "WRONG1", "answers": {}},
        "time_review_api.api_what_if": {"changes": [{"legal_working_days": 3}]},
        "api_procedures.approve": {"decision_number": "1/QĐ", "decision_date": "2026-03-01"},
        "api_procedures.send_back": {"reason": "Thiếu căn cứ"},
    }
    return client.post(path, headers=auth, json=bodies.get(rule.endpoint, {}))


def test_every_writing_route_is_classified(app):
    endpoints = {r.endpoint for r in _writing_rules(app)}
    dossier_routes = {r.endpoint for r in _writing_rules(app) if {"code", "step_id"} & set(r.arguments)}
    unclassified = endpoints - set(NOT_DOSSIER_WRITES) - dossier_routes - {"lifecycle.create_notice"}
    assert not unclassified, f"classify these routes in this test: {sorted(unclassified)}"
    assert "lifecycle.collection" in dossier_routes and "api.complete" in dossier_routes


@pytest.mark.parametrize("walker", ["khac_all", "pcm_all"])
@pytest.mark.parametrize("which", ["finished", "fresh"])
def test_another_agency_is_refused_every_dossier_write_and_nothing_changes(app, client, engine, dossiers, walker,
                                                                          which):
    code, step_id = dossiers[which], dossiers["desk_step"]
    login(client, walker)
    token = client.post("/api/v1/tokens", json={"username": walker, "password": PASSWORD}).get_json()["token"]
    before = {k: v for k, v in snapshot(engine).items() if k not in ("rate_limits", "api_tokens", "officials")}
    walked = []
    for rule in _writing_rules(app):
        if rule.endpoint in NOT_DOSSIER_WRITES:
            continue
        if walker == "pcm_all" and rule.endpoint in PARTICIPANT_MAY:
            continue
        with app.test_request_context():
            from flask import url_for

            values = {arg: (step_id if arg == "step_id" else 1 if arg == "version" else code) for arg in rule.arguments}
            path = url_for(rule.endpoint, **values)
        if rule.rule.startswith("/api/"):
            response = _api(client, rule, path, token)
        else:
            fields, extra = _form(rule.endpoint, walker, code)
            response = post(client, path, fields, page="/inbox", **extra)
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code,
                                                    response.get_data(as_text=True)[:300])
        walked.append(rule.endpoint)
    assert {"lifecycle.collection", "lifecycle.withdraw", "lifecycle.apology", "lifecycle.create_notice",
            "steps.claim", "steps.complete", "api.claim", "api.complete"} <= set(walked)
    after = {k: v for k, v in snapshot(engine).items() if k not in ("rate_limits", "api_tokens", "officials")}
    assert after == before


def test_the_receiving_desk_itself_records_the_collection(client, engine, dossiers):
    login(client, "clerk2")
    response = post(client, f"/dossiers/{dossiers['finished']}/collection", {"method": "desk"}, page="/inbox")
    assert response.status_code == 302
