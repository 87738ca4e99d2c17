"""The dossier lifecycle in the JSON API (/api/v1): supplement request and supplement received,
refusal, apology (Mẫu 04), withdrawal, result collection, and a leader's reassignment of a step.

A supplement request during processing, a refusal and the applicant's supplement are steps of the
procedure's diagram: the request completes the caller's open step whose decision field offers the
value ``bo_sung`` (docs/modelling.md), with that value and the reason as the handover note; a
refusal likewise with a refusal value (``khong_dat``, ``khong_dong_y``, ``tu_choi``), the reason also
filling the step's empty reason field (``ly_do…``), so the diagram routes the dossier to its refusal
branch (the signed refusal letter, then its return at the desk); the
supplement received completes the dossier's open step of kind ``supplement`` (its decision field
set to ``da_bo_sung`` when it has one). Both claim the step for the caller first when it is free.

Each endpoint calls the same engine operation as its page, with the same permissions, errors
(400 bad input, 403 not allowed, 404 unknown, 409 state; each ``{"error": ...}``) and events.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort
from flask_babel import gettext as _

from engine import InvalidInput, PermissionDenied, StateError, StepView, parse_datetime
from webui.api import _actor, _body, _dossier_json, _json, _single_step, token_required
from webui.extensions import get_engine

SUPPLEMENT_KIND = "supplement"
#: Decision values that mean "ask for a supplement" and "the supplement arrived" (docs/modelling.md).
ASK_VALUE, RECEIVED_VALUE = "bo_sung", "da_bo_sung"
#: Decision values that mean "refuse" (the appraisal's "not met", the leader's "do not agree").
REFUSAL_VALUES = ("khong_dat", "khong_dong_y", "tu_choi")

bp = Blueprint("api_lifecycle", __name__, url_prefix="/api/v1")


def _text(payload: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = payload.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        abort(400, _("Trường %(key)s phải là một chuỗi ký tự không rỗng", key=key))
    return value


def _new_due(payload: dict[str, Any]) -> date | datetime:
    """``new_due_at``: a local date (the end of that working day) or an ISO 8601 date-time."""
    raw = _text(payload, "new_due_at")
    try:
        return date.fromisoformat(raw) if len(raw.strip()) == 10 else parse_datetime(
            raw, get_engine().calendar().config.timezone)
    except (ValueError, InvalidInput):
        abort(400, _("new_due_at phải là ngày (YYYY-MM-DD) hoặc thời điểm ISO 8601"))


def _visible(code: str) -> None:
    """The dossier must be one the caller may see (else 403 or 404), as on the pages."""
    get_engine().dossier(code, _actor(), with_events=False)


@bp.post("/dossiers/<code>/apology")
@token_required
def apology(code: str) -> Response:
    payload = _body()
    reason, new_due = _text(payload, "reason"), _new_due(payload)
    _visible(code)
    return _json(_dossier_json(get_engine().issue_apology(_actor(), code, reason, new_due)))


@bp.post("/dossiers/<code>/withdrawal")
@token_required
def withdrawal(code: str) -> Response:
    reason = _text(_body(), "reason", required=False)
    _visible(code)
    return _json(_dossier_json(get_engine().withdraw(_actor(), code, reason)))


@bp.post("/dossiers/<code>/result-collected")
@token_required
def result_collected(code: str) -> Response:
    payload = _body()
    method, note = _text(payload, "method"), _text(payload, "note", required=False)
    _visible(code)
    engine = get_engine()
    info = engine.record_collection(_actor(), code, method, note)
    out = _dossier_json(engine.dossier(code, _actor(), with_events=False))
    out["collection"] = {"method": info.collection_method, "note": info.collection_note}
    return _json(out)


@bp.post("/steps/<int:step_id>/reassign")
@token_required
def reassign(step_id: int) -> Response:
    to = _text(_body(), "to")
    return _json(_single_step(get_engine().reassign(_actor(), step_id, to.strip().lower())))


def _data(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data", {})
    if not isinstance(data, dict):
        abort(400, _("Trường data phải là một đối tượng JSON"))
    return dict(data)


def _decision_field(step: StepView, values: tuple[str, ...]) -> tuple[str, str, list[str]] | None:
    """The step's enum field offering one of ``values``: (field, value, the step's reason fields)."""
    fields = get_engine().step_form(_actor(), step.id).fields
    reasons = [f.id for f in fields if f.id.startswith("ly_do") and not f.enum_values]
    for spec in fields:
        offered = [option for option, _label in spec.enum_values if option in values]
        if offered:
            return spec.id, offered[0], reasons
    return None


def _complete(step: StepView, data: dict[str, Any], note: str) -> Response:
    engine, actor = get_engine(), _actor()
    if step.state == "ready":
        engine.claim(actor, step.id)  # a step claimed by someone else stays theirs: 409 from complete
    return _json(_dossier_json(engine.complete(actor, step.id, data, note)))


def _decide(code: str, values: tuple[str, ...], refused: str) -> Response:
    """Complete the caller's open step whose decision offers one of ``values``, the reason as its note."""
    payload = _body()
    reason, data = _text(payload, "reason"), _data(payload)
    actor = _actor()
    dossier = get_engine().dossier(code, actor, with_events=False)
    mine = [s for s in dossier.open_steps if s.step_kind != SUPPLEMENT_KIND and s.agency_code == actor.agency_code
            and s.assignee_id in (None, actor.id)]
    for step in mine:
        found = _decision_field(step, values)
        if found is not None:
            field, value, reason_fields = found
            for name in reason_fields:
                if not str(data.get(name) or "").strip():
                    data[name] = reason
            return _complete(step, {**data, field: value}, reason)
    if not any(s.agency_code == actor.agency_code for s in dossier.open_steps):
        raise PermissionDenied(_("Cơ quan của bạn không giữ bước nào của hồ sơ này"))
    raise StateError(refused)


@bp.post("/dossiers/<code>/supplement-request")
@token_required
def supplement_request(code: str) -> Response:
    return _decide(code, (ASK_VALUE,), _("Không có bước nào của bạn trong hồ sơ này cho phép yêu cầu bổ sung"))


@bp.post("/dossiers/<code>/refusal")
@token_required
def refusal(code: str) -> Response:
    return _decide(code, REFUSAL_VALUES, _("Không có bước nào của bạn trong hồ sơ này cho phép từ chối giải quyết"))


@bp.post("/dossiers/<code>/supplement-received")
@token_required
def supplement_received(code: str) -> Response:
    payload = _body()
    data, note = _data(payload), _text(payload, "note", required=False)
    actor = _actor()
    dossier = get_engine().dossier(code, actor, with_events=False)
    if not any(s.agency_code == actor.agency_code for s in dossier.open_steps):
        raise PermissionDenied(_("Cơ quan của bạn không giữ bước nào của hồ sơ này"))
    waiting = [s for s in dossier.open_steps if s.step_kind == SUPPLEMENT_KIND]
    if not waiting:
        raise StateError(_("Hồ sơ không chờ bổ sung"))
    step = next((s for s in waiting if s.agency_code == actor.agency_code), None)
    if step is None:
        raise PermissionDenied(_("Việc nhận hồ sơ bổ sung thuộc cơ quan khác"))
    found = _decision_field(step, (RECEIVED_VALUE,))
    if found is not None:
        data.setdefault(found[0], RECEIVED_VALUE)
    return _complete(step, data, note)
