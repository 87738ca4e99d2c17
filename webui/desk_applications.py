"""The desk's queue of online applications ("Hồ sơ trực tuyến"): read each application and its
uploaded files, then accept it (the receipt page follows), ask for a supplement (Mẫu 02) or refuse
it (Mẫu 03, printed from the desk notices). Every action is a POST with its CSRF token."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import ApplicationStatus, Conflict, FormInvalid, InvalidInput, requirements
from webui.auth import actor, roles_required
from webui.documents import file_response_of, get_documents
from webui.extensions import get_engine

bp = Blueprint("desk_applications", __name__)
MAX_REFERENCE = 40
MAX_REASON = 2000
STATUSES = ("submitted", "supplement_requested", "accepted", "refused")


@bp.route("/desk/applications")
@roles_required("clerk")
def index() -> ResponseReturnValue:
    engine = get_engine()
    chosen = request.args.get("status", ApplicationStatus.SUBMITTED)
    if chosen not in STATUSES:
        chosen = ApplicationStatus.SUBMITTED
    apps = engine.applications(actor(), chosen)
    summaries = {code: engine.procedure(code) for code in {a.procedure_code for a in apps}}
    documents = {a.reference: requirements(summaries[a.procedure_code].metadata) for a in apps
                 if chosen == ApplicationStatus.SUBMITTED}
    fields = {code: {f.id: f for f in engine.definition(s.definition_id).start_fields}
              for code, s in summaries.items()}
    return render_template("desk/applications.html", applications=apps, chosen=chosen, statuses=STATUSES,
                           requirements=documents, fields=fields)


@bp.route("/desk/applications/<reference>/documents/<int:document_id>")
@roles_required("clerk")
def document(reference: str, document_id: int) -> ResponseReturnValue:
    info, data = get_engine().application_document(actor(), reference[:MAX_REFERENCE], document_id, get_documents())
    return file_response_of(info.filename, info.media_type, data)


def _refused(exc: Exception) -> ResponseReturnValue:
    flash(str(exc), "error")
    return redirect(url_for("desk_applications.index"))


@bp.route("/desk/applications/<reference>/accept", methods=["POST"])
@roles_required("clerk")
def accept(reference: str) -> ResponseReturnValue:
    try:
        dossier = get_engine().accept_application(actor(), reference[:MAX_REFERENCE])
    except (Conflict, FormInvalid, InvalidInput) as exc:
        return _refused(exc)
    flash(_("Đã tiếp nhận hồ sơ %(code)s.", code=dossier.code), "success")
    return redirect(url_for("desk.receipt", code=dossier.code))


def _reason() -> str:
    return request.form.get("reason", "")[:MAX_REASON]


@bp.route("/desk/applications/<reference>/supplement", methods=["POST"])
@roles_required("clerk")
def supplement(reference: str) -> ResponseReturnValue:
    keys = request.form.getlist("documents")[:30]
    try:
        app = get_engine().request_application_supplement(actor(), reference[:MAX_REFERENCE], _reason(), keys)
    except (Conflict, InvalidInput) as exc:
        return _refused(exc)
    flash(_("Đã yêu cầu bổ sung hồ sơ trực tuyến %(ref)s.", ref=app.reference), "success")
    return redirect(url_for("lifecycle.notice", notice_id=app.notice_id))


@bp.route("/desk/applications/<reference>/refuse", methods=["POST"])
@roles_required("clerk")
def refuse(reference: str) -> ResponseReturnValue:
    try:
        app = get_engine().refuse_application(actor(), reference[:MAX_REFERENCE], _reason())
    except (Conflict, InvalidInput) as exc:
        return _refused(exc)
    flash(_("Đã từ chối hồ sơ trực tuyến %(ref)s.", ref=app.reference), "success")
    return redirect(url_for("lifecycle.notice", notice_id=app.notice_id))
