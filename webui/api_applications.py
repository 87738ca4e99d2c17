"""Online applications in the JSON API (/api/v1): the citizen's submission, status and re-submission
(``/public/applications``, no account, rate-limited), and the desk's queue and decisions
(``/applications``, a clerk's bearer token).

The submission is multipart: ``procedure``, ``applicant`` (a JSON object), ``data`` (a JSON object:
the procedure's reception form), ``commune`` (a unit code, optional) and one file per required
document, the part named by the requirement key. Errors as everywhere in the API: 400 bad input
(field errors under ``errors``), 403, 404, 409 a decision already taken, 413 a file too large, 429
too many attempts.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_babel import gettext as _

from engine import ApplicationView, FormInvalid, RateLimit, TooManyAttempts, Upload, count_attempt
from webui.api import _actor, _body, _iso, token_required
from webui.documents import file_response_of, get_documents, read_upload
from webui.extensions import get_engine
from webui.ratelimit import check_result_secret, client_address, right_secret

bp = Blueprint("api_applications", __name__, url_prefix="/api/v1")

#: Longest JSON part (applicant, data) and text field of the multipart submission.
MAX_JSON = 64 * 1024
MAX_FIELD = 300
#: File parts one request may carry (the engine allows one per required document).
MAX_PARTS = 30


def check_submission_rate() -> None:
    """429 when this client address has submitted too many applications lately (pages and API)."""
    attempts, seconds = current_app.config["APPLICATION_RATE_LIMIT"]
    try:
        count_attempt(get_engine(), {f"apply:{client_address()}": RateLimit(int(attempts), int(seconds))})
    except TooManyAttempts:
        abort(429, _("Nộp quá nhiều hồ sơ trong thời gian ngắn; hãy thử lại sau."))


def uploads(skip: tuple[str, ...] = ()) -> list[Upload]:
    """The file parts of the request, each named by its requirement key; 413 for a file too large."""
    parts = [(key, f) for key, f in request.files.items(multi=True) if key not in skip]
    if len(parts) > MAX_PARTS:
        raise FormInvalid({"documents": _("Quá nhiều tệp: tối đa %(n)s", n=MAX_PARTS)})
    limit = get_documents().max_bytes
    out = []
    for key, upload in parts:
        data = read_upload(upload)
        if len(data) > limit:
            abort(413, _("Tệp quá lớn: tối đa %(mb)s MB", mb=limit // (1024 * 1024)))
        if data:
            out.append(Upload(key[:64], upload.filename or "", data))
    return out


def _json_part(name: str) -> dict[str, Any]:
    raw = request.form.get(name, "")
    if not raw:
        return {}
    if len(raw) > MAX_JSON:
        raise FormInvalid({name: _("quá dài")})
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise FormInvalid({name: _("phải là một đối tượng JSON")})
    return value


def application_json(app: ApplicationView, *, public: bool) -> dict[str, Any]:
    """An application as the API answers it; the public view adds the dossier's receipt secret."""
    out: dict[str, Any] = {
        "reference": app.reference, "status": app.status, "procedure": app.procedure_code,
        "procedure_name": app.procedure_name, "applicant": app.applicant, "commune": app.commune_code or None,
        "data": app.data, "agency": app.receiving_agency_code, "agency_name": app.receiving_agency_name,
        "reason": app.reason or None, "requested": list(app.requested),
        "documents": [{"id": d.id, "requirement": d.requirement_key, "requirement_name": d.requirement_name,
                       "filename": d.filename, "size": d.size, "media_type": d.media_type,
                       "uploaded_at": _iso(d.uploaded_at)} for d in app.documents],
        "submitted_at": _iso(app.submitted_at), "updated_at": _iso(app.updated_at),
        "dossier": app.dossier_code or None}
    if public and app.dossier_code:
        out["dossier_secret"] = app.dossier_secret
    return out


# --------------------------------------------------------------------------- the citizen


@bp.post("/public/applications")
def submit() -> tuple[Response, int, dict[str, str]]:
    check_submission_rate()
    procedure = request.form.get("procedure", "").strip()
    if not procedure or len(procedure) > 64:
        raise FormInvalid({"procedure": _("bắt buộc nhập mã thủ tục")})
    applicant, data = _json_part("applicant"), _json_part("data")
    commune = request.form.get("commune", "")[:MAX_FIELD]
    done = get_engine().submit_application(procedure, applicant, data, uploads(), get_documents(), commune=commune)
    location = url_for("api_applications.public_status", reference=done.reference)
    return jsonify(reference=done.reference, secret=done.secret), 201, {"Location": location}


@bp.get("/public/applications/<reference>")
def public_status(reference: str) -> Response:
    reference = reference[:40]
    check_result_secret(reference)
    app = get_engine().public_application(reference, request.args.get("secret", "")[:128])
    right_secret(reference)
    return jsonify(application_json(app, public=True))


@bp.post("/public/applications/<reference>/documents")
def resubmit(reference: str) -> Response:
    reference = reference[:40]
    check_result_secret(reference)
    secret = request.form.get("secret", "")[:128]
    engine = get_engine()
    engine.public_application(reference, secret)  # a wrong secret is a 404 before the files are read
    right_secret(reference)
    app = engine.resubmit_application(reference, secret, uploads(), get_documents())
    return jsonify(application_json(app, public=True))


# --------------------------------------------------------------------------- the desk


@bp.get("/applications")
@token_required
def queue() -> Response:
    status: str | None = request.args.get("status", "submitted")[:40]
    apps = get_engine().applications(_actor(), None if status == "all" else status)
    return jsonify([application_json(a, public=False) for a in apps])


@bp.get("/applications/<reference>")
@token_required
def application(reference: str) -> Response:
    return jsonify(application_json(get_engine().application(_actor(), reference[:40]), public=False))


@bp.get("/applications/<reference>/documents/<int:document_id>")
@token_required
def document(reference: str, document_id: int) -> Response:
    info, data = get_engine().application_document(_actor(), reference[:40], document_id, get_documents())
    return file_response_of(info.filename, info.media_type, data)


@bp.post("/applications/<reference>/accept")
@token_required
def accept(reference: str) -> tuple[Response, int, dict[str, str]]:
    d = get_engine().accept_application(_actor(), reference[:40])
    body = {"code": d.code, "status": d.status, "received_at": _iso(d.received_at), "due_at": _iso(d.due_at)}
    return jsonify(body), 201, {"Location": url_for("api.dossier", code=d.code)}


def _reason(payload: dict[str, Any]) -> str:
    reason = payload.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise FormInvalid({"reason": _("bắt buộc nêu rõ lý do")})
    return reason


@bp.post("/applications/<reference>/supplement-request")
@token_required
def supplement_request(reference: str) -> Response:
    payload = _body()
    documents = payload.get("documents") or []
    if not isinstance(documents, list) or not all(isinstance(k, str) for k in documents):
        raise FormInvalid({"documents": _("phải là danh sách mã giấy tờ")})
    app = get_engine().request_application_supplement(_actor(), reference[:40], _reason(payload), documents)
    return jsonify(application_json(app, public=False))


@bp.post("/applications/<reference>/refusal")
@token_required
def refusal(reference: str) -> Response:
    app = get_engine().refuse_application(_actor(), reference[:40], _reason(_body()))
    return jsonify(application_json(app, public=False))
