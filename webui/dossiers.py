"""The dossier page (live diagram, documents, control form Mẫu 05, history) and the dossier search."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from engine import (
    STATUSES,
    DossierView,
    InvalidInput,
    NotFound,
    SearchQuery,
    case_entries,
    citizen,
    flowchart,
    lanes,
    paperwork,
    receiving_agency_id,
    search_dossiers,
)
from webui.auth import actor, roles_required
from webui.dates import optional_period
from webui.diagram_view import dossier_view
from webui.documents import get_documents
from webui.extensions import get_engine

bp = Blueprint("dossiers", __name__)


def overlay(dossier: DossierView, now: datetime) -> dict[str, str]:
    """Element id → live state for the flowchart; an open step outranks earlier passes."""
    rank = {"cancelled": 0, "completed": 1, "late_completed": 1, "current": 2, "late": 2}
    out: dict[str, str] = {}
    for step in dossier.steps:
        if step.is_open():
            state = "late" if step.is_overdue(now) else "current"
        elif step.state == "completed":
            state = "late_completed" if step.timeliness == "late" else "completed"
        else:
            state = "cancelled"
        if rank[state] >= rank.get(out.get(step.element_id, ""), -1):
            out[step.element_id] = state
    return out


@bp.route("/dossiers")
@roles_required("clerk", "leader", "admin")
def search() -> ResponseReturnValue:
    engine = get_engine()
    code = request.args.get("code", "").strip()
    message = ""
    if code:
        try:
            found = engine.dossier(code, actor())
            return redirect(url_for("dossiers.show", code=found.code))
        except NotFound:
            message = _("Không tìm thấy hồ sơ có mã %(code)s.", code=code)
    page = request.args.get("page", "1")
    args = {k: request.args.get(k, "").strip()[:255] for k in ("q", "status", "procedure", "from", "to")}
    result = None
    status = 200
    try:
        date_from, date_to = optional_period()
        query = SearchQuery(text=args["q"], procedure=args["procedure"], status=args["status"],
                            date_from=date_from, date_to=date_to,
                            page=max(1, min(int(page) if page.isdigit() else 1, 10_000)))
        if any(args.values()):
            result = search_dossiers(engine, actor(), query)
    except InvalidInput as exc:
        message, status = str(exc), 400
    return render_template("dossiers/search.html", code=code, message=message, args=args, result=result,
                           procedures=engine.procedures(), statuses=STATUSES), status


def render_show(code: str, status: int = 200, values: dict[str, str] | None = None) -> tuple[str, int]:
    """The dossier page; ``values`` refill the lifecycle forms after a refused action."""
    engine = get_engine()
    dossier = engine.dossier(code, actor())
    diagram = dossier_view(dossier, engine.definition(dossier.definition_id).bpmn, engine.now(),
                           engine.calendar().localize)
    case = case_entries(engine.definition(dossier.definition_id), dossier)
    return render_template("dossiers/show.html", dossier=dossier, rows=paperwork.handovers(dossier), diagram=diagram,
                           case=case, notices=citizen.dossier_notices(engine, dossier.id),
                           now=engine.now(), docs=get_documents().of_dossier(actor(), dossier.code),
                           lifecycle=engine.dossier_lifecycle(dossier.code), values=values or {},
                           own_desk=actor().agency_id == receiving_agency_id(engine, dossier.code)), status


@bp.route("/dossiers/<code>")
@login_required
def show(code: str) -> ResponseReturnValue:
    return render_show(code)


@bp.route("/dossiers/<code>/diagram.svg")
@login_required
def diagram(code: str) -> ResponseReturnValue:
    engine = get_engine()
    dossier = engine.dossier(code, actor())
    definition = engine.definition(dossier.definition_id)
    names = lanes.lane_labels(engine.directory(), definition.lanes, dossier.commune_code)
    svg = flowchart.render_bytes(definition.bpmn, "svg", overlay=overlay(dossier, engine.now()), agency_names=names)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-cache"})
