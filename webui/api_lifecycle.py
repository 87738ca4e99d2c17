"""The dossier lifecycle in the JSON API (/api/v1): apology (Mẫu 04), withdrawal, result collection,
and a leader's reassignment of a step.

Each endpoint calls the same engine operation as its page, with the same permissions, errors
(400 bad input, 403 not allowed, 404 unknown, 409 state; each ``{"error": ...}``) and events.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort
from flask_babel import gettext as _

from engine.calendar import parse_datetime
from engine.errors import InvalidInput
from webui.api import _actor, _body, _dossier_json, _json, _single_step, token_required
from webui.extensions import get_engine

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
