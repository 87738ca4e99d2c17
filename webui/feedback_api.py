"""Feedback and petitions (PAKN) in the JSON API under /api/v1.

Public (no token): ``POST /public/feedback`` → 201 ``{"reference", "secret", "due_at", "agency"}``;
``GET /public/feedback/<reference>?secret=`` → status and answer; ``POST /public/feedback/<reference>/rating``
``{"secret", "rating"}`` → 201 once, 409 after; ``GET /public/feedback?procedure=`` → published answers.
Officials (bearer token): ``GET /feedback?status=`` (their agency's queue), ``GET /feedback/<reference>``,
``POST /feedback/<reference>/answer`` ``{"answer", "publish"}`` (403 outside the responsible agency).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _

from engine import InvalidInput, feedback
from webui.api import _actor, _body, _iso, token_required
from webui.extensions import get_engine
from webui.ratelimit import check_feedback_submission, check_result_secret, right_secret

bp = Blueprint("feedback_api", __name__, url_prefix="/api/v1")


@bp.after_request
def _no_store(response: Response) -> Response:
    """The secret (on sending) and the senders' personal data are never kept by a cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response

MAX_REFERENCE = 32


def _view_json(item: feedback.FeedbackView) -> dict[str, Any]:
    return {"reference": item.reference, "procedure": item.procedure_code, "dossier": item.dossier_code or None,
            "agency": item.agency_code, "agency_name": item.agency_name, "name": item.name,
            "contact": item.contact, "text": item.text, "status": item.status, "received_at": _iso(item.received_at),
            "due_at": _iso(item.due_at), "answer": item.answer or None, "answered_by": item.answered_by or None,
            "answered_at": _iso(item.answered_at), "on_time": item.on_time, "published": item.published,
            "rating": item.rating}


@bp.post("/public/feedback")
def submit() -> tuple[Response, int]:
    check_feedback_submission()
    payload = _body()
    dossier = payload.get("dossier")
    if isinstance(dossier, str) and dossier.strip():
        check_result_secret(dossier)
    receipt = feedback.submit(get_engine(), payload)
    if isinstance(dossier, str) and dossier.strip():
        right_secret(dossier)
    return jsonify(reference=receipt.reference, secret=receipt.secret, due_at=_iso(receipt.due_at),
                   agency=receipt.agency_name), 201


def _secret(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("Cần mã bí mật (secret)"))
    return value[:64]


@bp.get("/public/feedback/<reference>")
def public_status(reference: str) -> Response:
    reference = reference[:MAX_REFERENCE]
    secret = _secret(request.args.get("secret"))
    check_result_secret(reference)
    found = feedback.public_status(get_engine(), reference, secret)
    right_secret(reference)
    return jsonify(reference=found.reference, status=found.status, procedure=found.procedure_code,
                   dossier=found.dossier_code or None, agency=found.agency_name,
                   received_at=_iso(found.received_at), due_at=_iso(found.due_at), answer=found.answer or None,
                   answered_at=_iso(found.answered_at), published=found.published, rating=found.rating)


@bp.post("/public/feedback/<reference>/rating")
def rate(reference: str) -> tuple[Response, int]:
    reference = reference[:MAX_REFERENCE]
    payload = _body()
    secret = _secret(payload.get("secret"))
    check_result_secret(reference)
    feedback.rate(get_engine(), reference, secret, payload.get("rating"))
    right_secret(reference)
    return jsonify(reference=reference, rating=int(payload["rating"]), status="closed"), 201


@bp.get("/public/feedback")
def published() -> Response:
    procedure = (request.args.get("procedure") or "").strip()[:64]
    return jsonify([{"reference": a.reference, "procedure": a.procedure_code, "agency": a.agency_name,
                     "received_at": _iso(a.received_at), "answered_at": _iso(a.answered_at), "text": a.text,
                     "answer": a.answer} for a in feedback.published(get_engine(), procedure)])


@bp.get("/feedback")
@token_required
def queue() -> Response:
    items = feedback.queue(get_engine(), _actor(), (request.args.get("status") or "").strip()[:16])
    return jsonify([_view_json(i) for i in items])


@bp.get("/feedback/<reference>")
@token_required
def item(reference: str) -> Response:
    return jsonify(_view_json(feedback.get(get_engine(), _actor(), reference[:MAX_REFERENCE])))


@bp.post("/feedback/<reference>/answer")
@token_required
def answer(reference: str) -> Response:
    payload = _body()
    found = feedback.answer(get_engine(), _actor(), reference[:MAX_REFERENCE], payload.get("answer"),
                            payload.get("publish", False))
    return jsonify(_view_json(found))
