"""The JSON API under /api/v1: bearer tokens, procedures, dossiers (search, documents), inbox, steps,
public lookup, stats.

The contract is public and described by webui/openapi.py (served at /api/v1/openapi.json).
Times are ISO 8601 with the calendar's offset (Asia/Ho_Chi_Minh: +07:00); working-day figures
are JSON numbers; every error is ``{"error": "..."}`` (field errors add ``"errors"``).
"""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any, Literal, ParamSpec

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import (
    FORMULAS,
    Actor,
    DefinitionError,
    DigitisationStats,
    DocumentCorrupted,
    DocumentInfo,
    DossierView,
    EventView,
    FormInvalid,
    SearchQuery,
    StepView,
    check_metadata,
    citizen,
    dossier_facts,
    error,
    feedback_stats,
    issue_token,
    reception,
    report,
    satisfaction_dict,
    token_actor,
)
from engine import (
    revoke_token as end_token,
)
from engine import (
    search_dossiers as find_dossiers,
)
from engine import (
    statistics as compute_statistics,
)
from webui.auth import check_credentials
from webui.dates import optional_period, period_args
from webui.documents import file_response, get_documents, read_upload
from webui.extensions import get_engine
from webui.openapi import document
from webui.ratelimit import check_public_lookup
from webui.survey import api_answer

bp = Blueprint("api", __name__, url_prefix="/api/v1")

P = ParamSpec("P")
MAX_BPMN_BYTES = 5 * 1024 * 1024
MAX_METADATA_BYTES = 256 * 1024


# --------------------------------------------------------------------------- helpers


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return get_engine().calendar().localize(value).isoformat(timespec="seconds")


class _Times:
    """``_iso`` for the many times of one response, with the calendar looked up once."""

    __slots__ = ("_localize",)

    def __init__(self) -> None:
        self._localize = get_engine().calendar().localize

    def __call__(self, value: datetime | None) -> str | None:
        return None if value is None else self._localize(value).isoformat(timespec="seconds")


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _json(payload: Any) -> Response:
    return jsonify(payload)


def _error(status: int, message: str, **headers: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers)
    return response


def _body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}``, anything else not an object is 400."""
    if not request.get_data(cache=True):
        return {}
    payload = request.get_json(silent=True, force=True)
    if not isinstance(payload, dict):
        abort(400, _("Nội dung yêu cầu phải là một đối tượng JSON hợp lệ"))
    return payload


def _object(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FormInvalid({key: _("phải là một đối tượng JSON")})
    return value


def _bearer_token() -> str:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _bearer_actor() -> Actor | None:
    return token_actor(get_engine(), _bearer_token())


def token_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Allow the view only with a valid ``Authorization: Bearer <token>``; the official is in g.api_actor."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        actor = _bearer_actor()
        if actor is None:
            return _error(401, _("Thiếu mã truy cập hoặc mã đã hết hạn"),
                          **{"WWW-Authenticate": 'Bearer realm="lienthong"'})
        g.api_actor = actor
        return view(*args, **kwargs)

    return wrapped


def _actor() -> Actor:
    actor: Actor = g.api_actor
    return actor


def _step_json(step: StepView, iso: Callable[[datetime | None], str | None]) -> dict[str, Any]:
    return {"id": step.id, "name": step.name, "agency": step.agency_code, "state": step.state,
            "assignee": step.assignee_username if step.assignee_id else None,
            "ready_at": iso(step.ready_at), "due_at": iso(step.due_at), "completed_at": iso(step.completed_at),
            "timeliness": step.timeliness, "role": step.role,
            "completed_by": step.completed_by_username if step.completed_by else None,
            "data": step.form_data if step.state == "completed" else None, "note": step.note or None}


def _event_json(event: EventView, iso: Callable[[datetime | None], str | None]
                ) -> dict[str, Any]:
    return {"id": event.id, "action": event.action, "at": iso(event.at),
            "actor": event.actor_username if event.actor_id else None,
            "step": event.step_id, "details": event.details}


#: The lists a dossier carries in the API, each one left out when ``?include=`` does not name it.
DOSSIER_LISTS = ("steps", "events")
#: Also accepted by ``?include=``: the steps open now (what to do next), never part of the default.
INCLUDABLE = (*DOSSIER_LISTS, "open_steps")


def _include() -> frozenset[str]:
    """The dossier's lists the caller asked for with ``?include=steps,events,open_steps`` (absent:
    steps and events, as always)."""
    raw = request.args.get("include")
    if raw is None:
        return frozenset(DOSSIER_LISTS)
    wanted = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if not wanted <= frozenset(INCLUDABLE):
        abort(400, _("Tham số include chỉ nhận steps, events, open_steps (phân cách bằng dấu phẩy)"))
    return wanted


def _steps_wanted(include: frozenset[str]) -> bool | Literal["open"]:
    """What the engine should answer with: every step (it reads the events only along with them),
    only the open ones, or none."""
    if "steps" in include or "events" in include:
        return True
    return "open" if "open_steps" in include else False


def _dossier_json(d: DossierView, include: frozenset[str] = frozenset(DOSSIER_LISTS)) -> dict[str, Any]:
    steps = d.steps if "steps" in include else []
    open_steps = d.open_steps if "open_steps" in include else []
    events = d.events if "events" in include else []
    iso = _Times()
    out: dict[str, Any] = {"code": d.code, "procedure": d.procedure_code, "status": d.status,
                           "received_at": iso(d.received_at), "due_at": iso(d.due_at), "data": d.data}
    if d.commune_code:
        out["commune"] = d.commune_code
    if "steps" in include:
        out["steps"] = [_step_json(s, iso) for s in steps]
    if "open_steps" in include:
        out["open_steps"] = [_step_json(s, iso) for s in open_steps]
    if "events" in include:
        out["events"] = [_event_json(e, iso) for e in events]
    return out


def _single_step(step: StepView) -> dict[str, Any]:
    return _step_json(step, _Times())


# --------------------------------------------------------------------------- tokens


@bp.post("/tokens")
def create_token() -> tuple[Response, int]:
    payload = _body()
    username, password = payload.get("username"), payload.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        abort(400, _("Cần tên đăng nhập và mật khẩu"))
    if len(username) > 64 or len(password) > 256:
        abort(401, _("Sai tên đăng nhập hoặc mật khẩu."))
    actor = check_credentials(username, password)
    if actor is None:
        abort(401, _("Sai tên đăng nhập hoặc mật khẩu."))
    return jsonify(token=issue_token(get_engine(), actor).token), 201


@bp.post("/tokens/revoke")
@token_required
def revoke_token() -> tuple[str, int]:
    """Sign out: the token of this request stops working at once, in every web process."""
    end_token(get_engine(), _bearer_token())
    return "", 204


# --------------------------------------------------------------------------- procedures


@bp.get("/procedures")
@token_required
def procedures() -> Response:
    return jsonify([{"code": p.code, "name": p.name, "version": p.version,
                     "legal_working_days": _number(p.legal_working_days),
                     "reduced_working_days": _number(p.reduced_working_days)}
                    for p in get_engine().procedures()])


def _uploaded_metadata(bpmn: bytes) -> dict[str, Any]:
    """The optional ``metadata`` TOML file, checked like workflows/<name>.toml beside its diagram."""
    upload = request.files.get("metadata")
    if upload is None:
        return {}
    raw = upload.read(MAX_METADATA_BYTES + 1)
    if len(raw) > MAX_METADATA_BYTES:
        abort(413, _("Tệp thông tin thủ tục quá lớn"))
    with tempfile.TemporaryDirectory() as tmp:
        toml_path = Path(tmp) / "procedure.toml"
        toml_path.write_bytes(raw)
        toml_path.with_suffix(".bpmn").write_bytes(bpmn)
        lines = check_metadata(toml_path)
        if lines:
            raise DefinitionError([error(line.replace(f"{tmp}/", "")) for line in lines])
        with toml_path.open("rb") as fh:
            return tomllib.load(fh)


# --------------------------------------------------------------------------- dossiers


@bp.post("/dossiers")
@token_required
def create_dossier() -> tuple[Response, int, dict[str, str]]:
    actor = _actor()
    if not actor.has("clerk"):
        abort(403, _("Chỉ cán bộ một cửa được tiếp nhận hồ sơ"))
    payload = _body()
    procedure = payload.get("procedure")
    if not isinstance(procedure, str) or not procedure.strip():
        raise FormInvalid({"procedure": _("bắt buộc nhập mã thủ tục")})
    applicant = _object(payload, "applicant")
    data = _object(payload, "data")
    commune = payload.get("commune")
    if commune is not None and (not isinstance(commune, str) or len(commune) > 64):
        raise FormInvalid({"commune": _("mã đơn vị hành chính (xã, phường) phải là chuỗi, tối đa 64 ký tự")})
    # ``first_step``: the values of the desk's own first step, completed with the reception.
    first = _object(payload, "first_step") if "first_step" in payload else None
    # The answer names the code and dates; ``?include=open_steps`` adds the first steps.
    include = _include() if "include" in request.args else frozenset()
    if not include <= {"open_steps"}:
        abort(400, _("Khi tiếp nhận, tham số include chỉ nhận open_steps"))
    wants_open = bool(include)
    d = reception.receive(get_engine(), actor, procedure.strip(), applicant, data, first,
                          with_history="open" if wants_open else False, commune=commune)
    location = url_for("api.dossier", code=d.code)
    body = {"code": d.code, "status": d.status, "received_at": _iso(d.received_at), "due_at": _iso(d.due_at)}
    if wants_open:
        body = _dossier_json(d, frozenset({"open_steps"}))
    return _json(body), 201, {"Location": location}


@bp.get("/dossiers/<code>")
@token_required
def dossier(code: str) -> Response:
    include = _include()
    return _json(_dossier_json(get_engine().dossier(code, _actor(), with_events="events" in include), include))


@bp.get("/dossiers")
@token_required
def search_dossiers() -> Response:
    engine = get_engine()
    page, per_page = _int_arg("page", 1), _int_arg("per_page", 20)
    date_from, date_to = optional_period()
    query = SearchQuery(text=request.args.get("q", "")[:255], procedure=request.args.get("procedure", ""),
                        status=request.args.get("status", ""), date_from=date_from,
                        date_to=date_to, page=page, per_page=per_page)
    result = find_dossiers(engine, _actor(), query)
    return jsonify(items=[{"code": h.code, "procedure": h.procedure_code, "procedure_name": h.procedure_name,
                           "applicant": h.applicant_name, "status": h.status, "received_at": _iso(h.received_at),
                           "due_at": _iso(h.due_at), "finished_at": _iso(h.finished_at)} for h in result.hits],
                   page=result.page, per_page=query.per_page, has_next=result.has_next)


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 6:
        abort(400, _("Số không hợp lệ: %(name)s", name=name))
    return int(raw)


# --------------------------------------------------------------------------- documents


def _document_json(info: DocumentInfo) -> dict[str, Any]:
    return {"id": info.id, "dossier": info.dossier_code, "step": info.step_id, "kind": info.kind,
            "requirement": info.requirement_key or None, "requirement_name": info.requirement_name or None,
            "filename": info.filename, "size": info.size, "media_type": info.media_type, "sha256": info.sha256,
            "uploaded_by": info.uploaded_by, "uploaded_at": _iso(info.uploaded_at),
            "at_reception": info.at_reception, "url": url_for("api.download_document", document_id=info.id)}


@bp.post("/dossiers/<code>/documents")
@token_required
def attach_document(code: str) -> tuple[Response, int, dict[str, str]]:
    upload = request.files.get("file")
    if upload is None:
        abort(400, _("Thiếu tệp (trường 'file')"))
    documents = get_documents()
    data = read_upload(upload)
    if len(data) > documents.max_bytes:
        abort(413, _("Tệp quá lớn: tối đa %(mb)s MB", mb=documents.max_bytes // (1024 * 1024)))
    step = request.form.get("step", "").strip()
    if step and not step.isdigit():
        raise FormInvalid({"step": _("phải là mã số bước")})
    info = documents.attach(_actor(), code, upload.filename or "", data, kind=request.form.get("kind", "scan"),
                            step_id=int(step) if step else None,
                            requirement=request.form.get("requirement", "").strip())
    return jsonify(_document_json(info)), 201, {"Location": url_for("api.download_document", document_id=info.id)}


@bp.get("/dossiers/<code>/documents")
@token_required
def dossier_documents(code: str) -> Response:
    found = get_documents().of_dossier(_actor(), code)
    return jsonify(documents=[_document_json(d) for d in found.documents],
                   checklist=[{"key": line.requirement.key, "name": line.requirement.name,
                               "required": line.requirement.required,
                               "documents": [d.id for d in line.documents]} for line in found.checklist],
                   missing=[r.key for r in found.missing_required])


@bp.get("/documents/<int:document_id>")
@token_required
def download_document(document_id: int) -> Response:
    try:
        info, data = get_documents().read(_actor(), document_id)
    except DocumentCorrupted as exc:
        current_app.logger.error("document store integrity failure: %s", exc)
        return _error(500, str(exc))
    return file_response(info, data)


# --------------------------------------------------------------------------- inbox and steps


@bp.get("/inbox")
@token_required
def inbox() -> Response:
    steps = get_engine().inbox(_actor())
    iso = _Times()
    return _json([{"id": s.id, "dossier": s.dossier_code, "name": s.name, "agency": s.agency_code,
                   "state": s.state, "assignee": s.assignee_username if s.assignee_id else None,
                   "due_at": iso(s.due_at), "role": s.role} for s in steps])


@bp.post("/steps/<int:step_id>/claim")
@token_required
def claim(step_id: int) -> Response:
    return _json(_single_step(get_engine().claim(_actor(), step_id)))


@bp.post("/steps/<int:step_id>/unclaim")
@token_required
def unclaim(step_id: int) -> Response:
    return _json(_single_step(get_engine().unclaim(_actor(), step_id)))


@bp.post("/steps/<int:step_id>/complete")
@token_required
def complete(step_id: int) -> Response:
    payload = _body()
    data = _object(payload, "data")
    note = payload.get("note") or ""
    if not isinstance(note, str):
        raise FormInvalid({"note": _("phải là một chuỗi")})
    include = _include()
    # The engine reads the events only along with the steps.
    d = get_engine().complete(_actor(), step_id, data, note=note, with_steps=_steps_wanted(include),
                              with_events="events" in include)
    return _json({"dossier": _dossier_json(d, include)})


# --------------------------------------------------------------------------- public and statistics


@bp.get("/public/dossiers/<code>")
def public_dossier(code: str) -> Response:
    check_public_lookup()
    found = get_engine().public_lookup(code)
    return jsonify(code=found["code"], status=found["status"], current_agencies=found["current_agencies"],
                   due_at=_iso(found["due_at"]), applicant=found["applicant"], has_result=found["has_result"])


@bp.post("/public/dossiers/<code>/survey")
def public_survey(code: str) -> tuple[Response, int]:
    return api_answer(code)


@bp.get("/stats")
@token_required
def statistics() -> Response:
    date_from, date_to = period_args()
    engine = get_engine()
    result = compute_statistics(engine, date_from, date_to)
    facts = dossier_facts(engine, date_from, date_to)
    rates = {by: {row[by]: row["on_time_rate"] for row in report(facts, by)} for by in ("agency", "procedure")}
    satisfaction = satisfaction_dict(citizen.satisfaction(engine, date_from, date_to))
    return jsonify(
        satisfaction=satisfaction,
        pakn=feedback_stats.as_dict(feedback_stats.figures(engine, date_from, date_to)),
        by_agency=[{"agency": a.code, "name": a.name, "completed": a.completed, "early": a.early,
                    "on_time": a.on_time, "late": a.late, "open": a.open, "overdue": a.overdue,
                    "on_time_rate": rates["agency"].get(a.code)}
                   for a in result.by_agency],
        by_procedure=[{"procedure": p.code, "name": p.name, "received": p.received, "finished": p.finished,
                       "early": p.early, "on_time": p.on_time, "late": p.late, "open": p.open,
                       "overdue": p.overdue, "average_working_days": _number(p.average_working_days),
                       "on_time_rate": rates["procedure"].get(p.code)}
                      for p in result.by_procedure],
        formulas=FORMULAS,
        digitisation={"by_agency": [_digitisation_json("agency", r) for r in result.digitisation_by_agency],
                      "by_procedure": [_digitisation_json("procedure", r)
                                       for r in result.digitisation_by_procedure]})


def _digitisation_json(key: str, row: DigitisationStats) -> dict[str, Any]:
    return {key: row.code, "name": row.name, "received": row.received, "with_list": row.with_list,
            "digitised": row.digitised, "share": row.share, "online": row.online, "online_share": row.online_share}


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())
