"""The JSON API under /api/v1: bearer tokens, procedures, dossiers (search, documents), inbox, steps,
public lookup, stats.

The contract is public and described by webui/openapi.py (served at /api/v1/openapi.json).
Times are ISO 8601 with the calendar's offset (Asia/Ho_Chi_Minh: +07:00); working-day figures
are JSON numbers; every error is ``{"error": "..."}`` (field errors add ``"errors"``).
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson
from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.utils import secure_filename

from engine import catalog, models, revocation, search, stats, survey, tokens
from engine.accounts import Actor
from engine.documents import DocumentCorrupted, DocumentInfo
from engine.errors import DefinitionError, FormInvalid
from engine.problems import error
from engine.runtime import Engine
from engine.search import SearchQuery
from engine.views import DossierView, EventView, StepView
from webui.auth import check_credentials
from webui.documents import file_response, get_documents, read_upload
from webui.extensions import get_engine
from webui.openapi import document
from webui.ratelimit import check_public_lookup
from webui.survey import api_answer

bp = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])
MAX_BPMN_BYTES = 5 * 1024 * 1024
MAX_METADATA_BYTES = 256 * 1024


# --------------------------------------------------------------------------- helpers


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return get_engine().calendar().localize(value).isoformat(timespec="seconds")


#: UTC instants already written, by calendar zone: a step's times come back in its claim, its completion and
#: every read of its dossier, and a completion is the next step's ready time. Forgotten all at once when full.
ISO_CACHE_SIZE = 20_000
_iso_texts: dict[tzinfo, dict[datetime, str]] = {}


class _Times:
    """``_iso`` for the many times of one response: the calendar is looked up once, and each distinct
    instant formatted once per web process. Only UTC datetimes (what the engine returns) are remembered:
    for them the text depends on nothing but the instant and the zone."""

    __slots__ = ("_localize", "_seen")

    def __init__(self) -> None:
        calendar = get_engine().calendar()
        self._localize = calendar.localize
        seen = _iso_texts.get(calendar.zone)
        if seen is None or len(seen) >= ISO_CACHE_SIZE:
            seen = _iso_texts[calendar.zone] = {}
        self._seen = seen

    def __call__(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        text = self._seen.get(value)
        if text is None:
            text = self._localize(value).isoformat(timespec="seconds")
            if value.tzinfo is UTC:
                self._seen[value] = text
        return text


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


#: orjson writing Flask's compact JSON (sorted keys, non-ASCII as is): every type orjson would write
#: differently from Flask (dates, dataclasses, str subclasses; non-string keys and integers beyond 64 bits
#: it refuses anyway) is refused, and the answer is left to jsonify.
_ORJSON = (orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME
           | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _json(payload: Any) -> Response:
    """``jsonify(payload)`` for the answers of the step loop (dossiers, steps, inbox), byte for byte, in a
    tenth of the time for a dossier with its history. They hold strings, integers, booleans and nulls
    only (times are already text; form data are cleaned to text, whole numbers and booleans), which
    orjson writes exactly as Flask does. Flask's indented debug output goes through jsonify too."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    provider = app.json
    if not (isinstance(provider, DefaultJSONProvider) and provider.sort_keys and not provider.ensure_ascii
            and (provider.compact or (provider.compact is None and not app.debug))):
        return jsonify(payload)
    try:
        body = orjson.dumps(payload, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError is one
        return jsonify(payload)
    response: Response = app.response_class(body, mimetype=provider.mimetype)
    return response


def _error(status: int, message: str, **headers: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers)
    return response


#: A run of digits that may be an integer beyond 64 bits, which orjson would read as a float.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def _body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}``, anything else not an object is 400.

    Read by orjson when it reads it as Flask would (UTF-8, no integer past 64 bits: values identical);
    anything else it refuses (NaN, lone surrogates, a byte-order mark, other encodings, invalid JSON)
    or might read differently (long digit runs) goes to Flask's parser, which decides as always."""
    data = request.get_data(cache=True)
    if not data:
        return {}
    payload: Any = None
    if _LONG_DIGITS.search(data) is None and type(current_app.json).loads is DefaultJSONProvider.loads:
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            payload = None
    if payload is None:
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


def _token_cache(extensions: dict[str, Any]) -> tokens.TokenCache:
    cache: tokens.TokenCache | None = extensions.get("lienthong_token_cache")
    if cache is None:
        engine: Engine = extensions["lienthong_engine"]
        cache = extensions.setdefault("lienthong_token_cache",
                                      tokens.TokenCache(watch=revocation.watch_for(engine.db.url)))
    return cache


def _bearer_actor() -> Actor | None:
    header = request.environ.get("HTTP_AUTHORIZATION", "")  # request.headers.get("Authorization", ""), directly
    scheme, _sep, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        return None
    extensions = current_app.extensions  # the engine and the token cache from one look-up of the app
    engine: Engine = extensions["lienthong_engine"]
    now = engine.now()
    token_hash = tokens.hash_token(token)
    cache = _token_cache(extensions)
    actor = cache.get(token_hash, now)
    if actor is not None:
        return actor
    generation = cache.seen  # what a revocation committed after this moment will have moved
    with engine.Session() as session:
        found = tokens.lookup(session, token_hash, now)
    if found is None:
        return None
    cache.put(token_hash, *found, generation)
    return found[0]


def token_required(view: F) -> F:
    """Allow the view only with a valid ``Authorization: Bearer <token>``; the official is in g.api_actor."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        actor = _bearer_actor()
        if actor is None:
            return _error(401, _("Thiếu mã truy cập hoặc mã đã hết hạn (missing or expired bearer token)"),
                          **{"WWW-Authenticate": 'Bearer realm="lienthong"'})
        g.api_actor = actor
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _actor() -> Actor:
    actor: Actor = g.api_actor
    return actor


USERNAME_CACHE_SIZE = 10_000


def _usernames(ids: Iterable[int | None]) -> dict[int, str]:
    """Usernames by official id; cached per app, since a username never changes once created
    (this saved a query on every claim, completion and inbox read)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    known: dict[int, str] = current_app.extensions.setdefault("lienthong_usernames", {})
    out = {i: known[i] for i in wanted if i in known}
    missing = wanted - out.keys()
    if missing:
        with get_engine().Session() as session:
            rows = session.execute(select(models.Official.id, models.Official.username)
                                   .where(models.Official.id.in_(missing)))
            found = {row.id: row.username for row in rows}
        if len(known) + len(found) > USERNAME_CACHE_SIZE:
            known.clear()
        known.update(found)
        out.update(found)
    return out


def _step_json(step: StepView, usernames: dict[int, str], iso: Callable[[datetime | None], str | None]
               ) -> dict[str, Any]:
    return {"id": step.id, "name": step.name, "agency": step.agency_code, "state": step.state,
            "assignee": usernames.get(step.assignee_id) if step.assignee_id else None,
            "ready_at": iso(step.ready_at), "due_at": iso(step.due_at), "completed_at": iso(step.completed_at),
            "timeliness": step.timeliness}


def _event_json(event: EventView, usernames: dict[int, str], iso: Callable[[datetime | None], str | None]
                ) -> dict[str, Any]:
    return {"id": event.id, "action": event.action, "at": iso(event.at),
            "actor": usernames.get(event.actor_id) if event.actor_id else None,
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
    usernames = _usernames([s.assignee_id for s in steps or open_steps] + [e.actor_id for e in events])
    iso = _Times()
    out: dict[str, Any] = {"code": d.code, "procedure": d.procedure_code, "status": d.status,
                           "received_at": iso(d.received_at), "due_at": iso(d.due_at)}
    if "steps" in include:
        out["steps"] = [_step_json(s, usernames, iso) for s in steps]
    if "open_steps" in include:
        out["open_steps"] = [_step_json(s, usernames, iso) for s in open_steps]
    if "events" in include:
        out["events"] = [_event_json(e, usernames, iso) for e in events]
    return out


def _single_step(step: StepView) -> dict[str, Any]:
    return _step_json(step, _usernames([step.assignee_id]), _Times())


# --------------------------------------------------------------------------- tokens


@bp.post("/tokens")
def create_token() -> tuple[Response, int]:
    payload = _body()
    username, password = payload.get("username"), payload.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        abort(400, _("Cần tên đăng nhập và mật khẩu (username, password)"))
    if len(username) > 64 or len(password) > 256:
        abort(401, _("Sai tên đăng nhập hoặc mật khẩu."))
    actor = check_credentials(username, password)
    if actor is None:
        abort(401, _("Sai tên đăng nhập hoặc mật khẩu."))
    engine = get_engine()
    with engine.transaction() as session:
        grant = tokens.issue(session, actor.id, engine.now())
    return jsonify(token=grant.token), 201


@bp.post("/tokens/revoke")
@token_required
def revoke_token() -> tuple[str, int]:
    """Sign out: the token of this request stops working at once, in every web process
    (engine.revocation)."""
    token = request.environ.get("HTTP_AUTHORIZATION", "").partition(" ")[2].strip()
    engine = get_engine()
    with engine.transaction() as session:
        tokens.revoke(session, token)
    _token_cache(current_app.extensions).discard(tokens.hash_token(token))
    return "", 204


# --------------------------------------------------------------------------- procedures


@bp.get("/procedures")
@token_required
def procedures() -> Response:
    return jsonify([{"code": p.code, "name": p.name, "version": p.version,
                     "legal_working_days": _number(p.legal_working_days),
                     "reduced_working_days": _number(p.reduced_working_days)}
                    for p in get_engine().procedures()])


@bp.post("/procedures")
@token_required
def deploy() -> tuple[Response, int]:
    actor = _actor()
    if not actor.has("designer", "admin"):
        abort(403, _("Chỉ cán bộ thiết kế quy trình hoặc quản trị được công bố quy trình"))
    upload = request.files.get("file")
    if upload is None:
        abort(400, _("Thiếu tệp sơ đồ BPMN (trường 'file')"))
    data = upload.read(MAX_BPMN_BYTES + 1)
    if not data:
        abort(400, _("Tệp sơ đồ rỗng"))
    if len(data) > MAX_BPMN_BYTES:
        abort(413, _("Tệp sơ đồ quá lớn"))
    metadata = _uploaded_metadata(data)
    decision = (request.form.get("decision_number") or "").strip()[:128]
    result = get_engine().deploy(data, filename=secure_filename(upload.filename or "") or "upload.bpmn",
                                 actor=actor, decision_number=decision, metadata=metadata)
    return jsonify(code=result.code, version=result.version), 201


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
        lines = catalog.check_metadata(toml_path)
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
    # The answer names the code and dates; ``?include=open_steps`` adds the first steps.
    include = _include() if "include" in request.args else frozenset()
    if not include <= {"open_steps"}:
        abort(400, _("Khi tiếp nhận, tham số include chỉ nhận open_steps"))
    wants_open = bool(include)
    d = get_engine().start_dossier(actor, procedure.strip(), applicant, data,
                                   with_history="open" if wants_open else False)
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
    query = SearchQuery(text=request.args.get("q", "")[:255], procedure=request.args.get("procedure", ""),
                        status=request.args.get("status", ""), date_from=_date_arg("from", None),
                        date_to=_date_arg("to", None), page=page, per_page=per_page)
    with engine.Session() as session:
        result = search.search(session, _actor(), query, engine.calendar())
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
    usernames = _usernames(s.assignee_id for s in steps)
    iso = _Times()
    return _json([{"id": s.id, "dossier": s.dossier_code, "name": s.name, "agency": s.agency_code,
                   "state": s.state, "assignee": usernames.get(s.assignee_id) if s.assignee_id else None,
                   "due_at": iso(s.due_at)} for s in steps])


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
                   due_at=_iso(found["due_at"]), applicant=found["applicant"])


@bp.post("/public/dossiers/<code>/survey")
def public_survey(code: str) -> tuple[Response, int]:
    return api_answer(code)


def _date_arg(name: str, default: date | None) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, _("Ngày không hợp lệ (YYYY-MM-DD): %(name)s", name=name))


@bp.get("/stats")
@token_required
def statistics() -> Response:
    engine = get_engine()
    calendar = engine.calendar()
    today = calendar.localize(engine.now()).date()
    date_to = _date_arg("to", today)
    assert date_to is not None
    date_from = _date_arg("from", date_to.replace(day=1))
    assert date_from is not None
    with engine.Session() as session:
        result = stats.compute(session, calendar, date_from, date_to, engine.now())
        satisfaction = survey.as_dict(survey.index(session, calendar, date_from, date_to))
    return jsonify(
        satisfaction=satisfaction,
        by_agency=[{"agency": a.code, "name": a.name, "completed": a.completed, "early": a.early,
                    "on_time": a.on_time, "late": a.late, "open": a.open, "overdue": a.overdue}
                   for a in result.by_agency],
        by_procedure=[{"procedure": p.code, "name": p.name, "received": p.received, "finished": p.finished,
                       "early": p.early, "on_time": p.on_time, "late": p.late, "open": p.open,
                       "overdue": p.overdue, "average_working_days": _number(p.average_working_days)}
                      for p in result.by_procedure],
        digitisation={"by_agency": [_digitisation_json("agency", r) for r in result.digitisation_by_agency],
                      "by_procedure": [_digitisation_json("procedure", r)
                                       for r in result.digitisation_by_procedure]})


def _digitisation_json(key: str, row: stats.DigitisationStats) -> dict[str, Any]:
    return {key: row.code, "name": row.name, "received": row.received, "with_list": row.with_list,
            "digitised": row.digitised, "share": row.share}


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())
