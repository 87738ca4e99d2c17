"""The JSON API of a procedure change: a designer submits, a leader of the owning agency approves or
sends back (engine.approval). ``lienthong deploy --decision NUMBER`` stays the administrator's direct way.

- ``POST /api/v1/procedures`` (designer; multipart ``file``, optional ``metadata``) → 201
  ``{"code", "version", "status": "submitted"}``; nothing is received on that version yet.
- ``GET /api/v1/procedures/<code>/versions/<version>/changes`` → what it changes against the version in force.
- ``POST /api/v1/procedures/<code>/versions/<version>/approve`` ``{"decision_number", "decision_date"}`` → 200
  ``{"status": "published"}``.
- ``POST /api/v1/procedures/<code>/versions/<version>/send-back`` ``{"reason"}`` → 200 ``{"status": "sent_back"}``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from engine import approval
from webui.api import MAX_BPMN_BYTES, _actor, _body, _uploaded_metadata, token_required
from webui.extensions import get_engine

bp = Blueprint("api_procedures", __name__, url_prefix="/api/v1")


def _days(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def change_json(summary: approval.ChangeSummary) -> dict[str, Any]:
    def totals(t: approval.Totals | None) -> dict[str, Any] | None:
        if t is None:
            return None
        return {"main_path": _days(t.main_path), "longest_path": _days(t.longest_path), "legal": _days(t.legal),
                "reduced": _days(t.reduced), "over_limit": t.over_limit}

    return {"code": summary.code, "version": summary.version, "status": summary.status, "name": summary.name,
            "owner_agency": summary.owner_agency, "submitted_by": summary.submitted_by,
            "base_version": summary.base_version, "totals": {"new": totals(summary.new), "old": totals(summary.old)},
            "steps": [{"element": s.element_id, "name": s.name, "change": s.change, "old_agency": s.old_agency,
                       "new_agency": s.new_agency, "old_days": _days(s.old_days), "new_days": _days(s.new_days)}
                      for s in summary.steps]}


@bp.post("/procedures")
@token_required
def submit() -> tuple[Response, int]:
    actor = _actor()
    if not actor.has("designer"):
        abort(403, _("Chỉ cán bộ thiết kế quy trình được gửi duyệt quy trình"))
    upload = request.files.get("file")
    if upload is None:
        abort(400, _("Thiếu tệp sơ đồ BPMN (trường 'file')"))
    data = upload.read(MAX_BPMN_BYTES + 1)
    if not data:
        abort(400, _("Tệp sơ đồ rỗng"))
    if len(data) > MAX_BPMN_BYTES:
        abort(413, _("Tệp sơ đồ quá lớn"))
    metadata = _uploaded_metadata(data)
    result = approval.submit(get_engine(), data, actor=actor, metadata=metadata,
                             filename=secure_filename(upload.filename or "") or "upload.bpmn")
    return jsonify(code=result.code, version=result.version, status=approval.SUBMITTED), 201


@bp.get("/procedures/<code>/versions/<int:version>/changes")
@token_required
def changes(code: str, version: int) -> Response:
    actor = _actor()
    if not actor.has("leader", "designer", "admin"):
        abort(403, _("Chỉ lãnh đạo, cán bộ thiết kế quy trình hoặc quản trị xem được thay đổi của quy trình"))
    return jsonify(change_json(approval.change_summary(get_engine(), code, version)))


@bp.post("/procedures/<code>/versions/<int:version>/approve")
@token_required
def approve(code: str, version: int) -> Response:
    body = _body()
    number = body.get("decision_number")
    try:
        decided = date.fromisoformat(str(body.get("decision_date") or ""))
    except ValueError:
        abort(400, _("Ngày quyết định phê duyệt phải có dạng yyyy-mm-dd"))
    if not isinstance(number, str):
        abort(400, _("Số quyết định phê duyệt là bắt buộc"))
    approval.approve(get_engine(), _actor(), code, version, decision_number=number, decision_date=decided)
    return jsonify(code=code, version=version, status=approval.PUBLISHED)


@bp.post("/procedures/<code>/versions/<int:version>/send-back")
@token_required
def send_back(code: str, version: int) -> Response:
    reason = _body().get("reason")
    if not isinstance(reason, str):
        abort(400, _("Lý do trả lại là bắt buộc"))
    approval.send_back(get_engine(), _actor(), code, version, reason=reason)
    return jsonify(code=code, version=version, status=approval.SENT_BACK)
