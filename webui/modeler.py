"""The designer's modeller (bpmn-js with the Camunda 7 properties panel, bundled in static/modeler/):
open a new or a published procedure, draw, save drafts, see the validator's messages on the canvas,
submit for approval. The page talks to the JSON endpoints below (same session, CSRF header).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import DefinitionError, LienThongError, approval, lane_refs, validate_bpmn
from engine import agencies as registry
from webui.auth import actor, roles_required
from webui.errors import status_of
from webui.extensions import get_engine

bp = Blueprint("modeler", __name__)

MAX_DIAGRAM = approval.MAX_DRAFT


def _engine_error(exc: LienThongError) -> tuple[Response, int]:
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, DefinitionError):
        body = {"error": _("Sơ đồ không hợp lệ"), "problems": [p.as_dict() for p in exc.problems]}
    return jsonify(body), status_of(exc)


def _page(xml: str, *, draft_id: int | None, filename: str, title: str) -> str:
    config = {"xml": xml, "draft_id": draft_id, "filename": filename,
              "urls": {"agencies": url_for("modeler.agencies"), "validate": url_for("modeler.validate"),
                       "save": url_for("modeler.save"), "submit": url_for("modeler.submit")}}
    return render_template("designer/modeler.html", config=config, title=title)


@bp.route("/designer/modeler")
@roles_required("designer", "admin")
def new() -> ResponseReturnValue:
    draft_id = request.args.get("draft", type=int)
    if draft_id is not None:
        found = approval.draft(get_engine(), draft_id)
        return _page(found.bpmn.decode("utf-8", "replace"), draft_id=found.id,
                     filename=found.procedure_code or f"ban_nhap_{found.id}", title=found.name or _("Bản nháp"))
    suffix = secrets.token_hex(3)
    xml = render_template("designer/new.bpmn", suffix=suffix)
    return _page(xml, draft_id=None, filename="quy_trinh_moi", title=_("Quy trình mới"))


@bp.route("/designer/modeler/<code>")
@roles_required("designer", "admin")
def published(code: str) -> ResponseReturnValue:
    engine = get_engine()
    summary = engine.procedure(code)
    xml = engine.definition(summary.definition_id).bpmn.decode("utf-8")
    return _page(xml, draft_id=None, filename=code, title=f"{summary.name} ({_('phiên bản')} {summary.version})")


@bp.route("/designer/api/agencies")
@roles_required("designer", "admin")
def agencies() -> ResponseReturnValue:
    """What a lane may name, for the lane picker: agency kinds (the lane resolves, per dossier, to the
    agency of that kind serving the dossier's commune) and agencies; the picker's own words."""
    engine = get_engine()
    found = registry(engine)
    kinds = sorted(engine.directory(fresh=True).kinds.values(), key=lambda k: k.name)
    return jsonify(
        agencies=[{"code": a.code, "name": a.name, "level": a.level} for a in found],
        kinds=[{"code": k.code, "name": k.name, "level": k.level, "public_name": k.public_name,
                "label": _("Loại cơ quan: %(name)s", name=k.name)} for k in kinds],
        labels={"lane": _("Cơ quan hoặc loại cơ quan của làn"),
                "choose": _("(chọn cơ quan hoặc loại cơ quan)"),
                "kinds": _("Loại cơ quan: cơ quan loại này của xã, phường nơi nộp từng hồ sơ"),
                "agencies": _("Cơ quan trong danh mục"),
                "help": _("Tên làn là tên một loại cơ quan hoặc một cơ quan trong danh mục; "
                          "làn mang tên loại cơ quan được giao cho cơ quan loại đó của xã, phường của hồ sơ.")})


def _diagram_bytes() -> bytes:
    data = request.get_data(cache=False)
    if len(data) > MAX_DIAGRAM:
        abort(413, _("Sơ đồ quá lớn (tối đa 5 MB)."))
    return data


def _json_diagram() -> tuple[bytes, int | None]:
    if (request.content_length or 0) > MAX_DIAGRAM + 4096:
        abort(413, _("Sơ đồ quá lớn (tối đa 5 MB)."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        abort(400, _("Thiếu nội dung sơ đồ."))
    draft_id = body.get("draft_id")
    if draft_id is not None and not isinstance(draft_id, int):
        abort(400, _("Mã bản nháp không hợp lệ."))
    return body["xml"].encode("utf-8"), draft_id


@bp.route("/designer/api/validate", methods=["POST"])
@roles_required("designer", "admin")
def validate() -> ResponseReturnValue:
    data = _diagram_bytes()
    refs = lane_refs(get_engine().directory(fresh=True))  # a lane may name an agency kind too
    return jsonify(problems=[p.as_dict() for p in validate_bpmn(data, refs)])


@bp.route("/designer/api/drafts", methods=["POST"])
@roles_required("designer")
def save() -> ResponseReturnValue:
    data, draft_id = _json_diagram()
    try:
        saved = approval.save_draft(get_engine(), actor(), data, draft_id)
    except LienThongError as exc:
        return _engine_error(exc)
    return jsonify(draft_id=saved.id, url=url_for("modeler.new", draft=saved.id))


@bp.route("/designer/api/submit", methods=["POST"])
@roles_required("designer")
def submit() -> ResponseReturnValue:
    data, draft_id = _json_diagram()
    try:
        result = approval.submit(get_engine(), data, actor=actor(),
                                 filename=f"ban_nhap_{draft_id}.bpmn" if draft_id else "modeller.bpmn")
    except LienThongError as exc:
        return _engine_error(exc)
    return jsonify(code=result.code, version=result.version, status=approval.SUBMITTED), 201

