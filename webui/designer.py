"""Procedure design: upload a BPMN file, read the validator's messages, preview, publish a version.

An upload the validator accepts waits between preview and publish in DATA_DIR/uploads/<sha256>.bpmn;
the form carries only the hash, so no path ever comes from the client. A refused upload (too large,
not XML, any validation error) is never written to disk.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import (
    AgencyRef,
    DefinitionError,
    LienThongError,
    Problem,
    approval,
    choose_process,
    definition_versions,
    flowchart,
    lane_refs,
    read_bpmn,
    steptable,
    validate_bpmn,
)
from webui.auth import actor, roles_required
from webui.diagram_view import plain_view
from webui.extensions import get_engine

bp = Blueprint("designer", __name__)

MAX_UPLOAD = 5 * 1024 * 1024
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _uploads() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store(data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    target = _uploads() / f"{sha}.bpmn"
    if not target.exists():
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return sha


def _stored(sha: str) -> bytes:
    """The uploaded file with this hash; 404 for anything that is not a known, intact upload."""
    if not _SHA.match(sha):
        abort(404)
    path = _uploads() / f"{sha}.bpmn"
    if not path.is_file():
        abort(404)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        abort(404)
    return data


def _agencies() -> tuple[list[AgencyRef], dict[str, str]]:
    """What a lane may name (agencies and agency kinds), and each one's name by code."""
    refs = lane_refs(get_engine().directory(fresh=True))
    return refs, {a.code: a.name for a in refs}


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    return re.sub(r"[^\w.\-]", "_", base)[:200] or "upload.bpmn"


def _preview(data: bytes, filename: str, problems: list[Problem], status: int = 200) -> tuple[str, int]:
    errors = [p for p in problems if p.is_error]
    sha = hashlib.sha256(data).hexdigest() if errors else _store(data)  # refused: nothing on disk
    rows, total, title = [], None, ""
    if not errors:
        try:
            process = choose_process(read_bpmn(data))
            _, names = _agencies()
            rows = steptable.step_rows(process, dict(names.items()))
            total = steptable.total_days(rows)
            title = process.name
        except LienThongError:
            rows = []
    return render_template("designer/preview.html", problems=problems, errors=errors, sha=sha, filename=filename,
                           rows=rows, total=total, title=title, view=plain_view(data) if not errors else None), status


@bp.route("/designer")
@roles_required("designer", "admin")
def index() -> ResponseReturnValue:
    engine = get_engine()
    return render_template("designer/index.html", versions=definition_versions(engine), drafts=approval.drafts(engine))


@bp.route("/designer/upload", methods=["POST"])
@roles_required("designer", "admin")
def upload() -> ResponseReturnValue:
    file = request.files.get("bpmn")
    if file is None or not file.filename:
        flash(_("Hãy chọn một tệp BPMN."), "error")
        return redirect(url_for("designer.index"))
    data = file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        flash(_("Tệp quá lớn (tối đa 5 MB)."), "error")
        return redirect(url_for("designer.index"))
    filename = _safe_name(file.filename)
    agencies, _names = _agencies()
    problems = validate_bpmn(data, agencies, file=filename)
    return _preview(data, filename, problems, 422 if any(p.is_error for p in problems) else 200)


@bp.route("/designer/preview/<sha>.svg")
@roles_required("designer", "admin")
def preview_svg(sha: str) -> ResponseReturnValue:
    data = _stored(sha)
    _refs, names = _agencies()
    try:
        svg = flowchart.render_bytes(data, "svg", agency_names=names)
    except LienThongError as exc:
        return Response(str(exc), status=422, mimetype="text/plain")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=600"})


@bp.route("/designer/submit", methods=["POST"])
@roles_required("designer")
def submit() -> ResponseReturnValue:
    """A designer sends the checked upload for approval by the owning agency's leader (engine.approval)."""
    sha = request.form.get("sha", "")
    data = _stored(sha)
    filename = _safe_name(request.form.get("filename", ""))
    try:
        result = approval.submit(get_engine(), data, actor=actor(), filename=filename)
    except DefinitionError as exc:
        return _preview(data, filename, exc.problems, 422)
    flash(_("Đã gửi duyệt thủ tục %(code)s, phiên bản %(version)s.", code=result.code, version=result.version),
          "success")
    return redirect(url_for("designer.index"))


@bp.route("/designer/publish", methods=["POST"])
@roles_required("admin")
def publish() -> ResponseReturnValue:
    """An administrator publishes at once with the approving decision (as `lienthong deploy --decision`)."""
    sha = request.form.get("sha", "")
    data = _stored(sha)
    filename = _safe_name(request.form.get("filename", ""))
    number = " ".join(request.form.get("decision_number", "").split())[:128]
    try:
        decided = date.fromisoformat(request.form.get("decision_date", ""))
    except ValueError:
        decided = None
    if not number or decided is None:
        flash(_("Hãy nhập số và ngày của quyết định phê duyệt quy trình."), "error")
        agencies, _names = _agencies()
        return _preview(data, filename, validate_bpmn(data, agencies, file=filename), 400)
    try:
        result = get_engine().deploy(data, filename=filename, actor=actor(), decision_number=number,
                                     decision_date=decided)
    except DefinitionError as exc:
        return _preview(data, filename, exc.problems, 422)
    if result.created:
        flash(_("Đã công bố thủ tục %(code)s, phiên bản %(version)s.", code=result.code, version=result.version),
              "success")
    else:
        flash(_("Tệp này đã được công bố: thủ tục %(code)s, phiên bản %(version)s.", code=result.code,
                version=result.version), "success")
    return redirect(url_for("designer.index"))


@bp.route("/designer/procedures/<code>/<int:version>.svg")
@roles_required("designer", "admin")
def version_svg(code: str, version: int) -> ResponseReturnValue:
    engine = get_engine()
    summary = engine.procedure(code, version)
    _refs, names = _agencies()
    svg = flowchart.render_bytes(engine.definition(summary.definition_id).bpmn, "svg", agency_names=names)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})
