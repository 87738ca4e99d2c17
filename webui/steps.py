"""The step page: dossier summary, history, the step's form; claim, unclaim, complete, reassign."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from engine import (
    RESULT_STEP_KINDS,
    Actor,
    Conflict,
    DocumentRejected,
    FormInvalid,
    InvalidInput,
    PermissionDenied,
    StepForm,
    case_entries,
    case_values,
    may_handle,
    officials,
    prefill,
)
from webui import forms_render
from webui.auth import actor
from webui.documents import get_documents, read_upload
from webui.extensions import get_engine

bp = Blueprint("steps", __name__)


def _load(step_id: int) -> StepForm:
    """The step with its form, for an official of the step's own agency (or an admin, read only)."""
    me = actor()
    form = get_engine().step_form(me, step_id)
    if form.step.agency_id != me.agency_id and not me.has("admin"):
        raise PermissionDenied(_("Bước này thuộc cơ quan khác."))
    return form


def _colleagues(form: StepForm) -> list[Actor]:
    me = actor()
    if not (me.has("leader") and form.step.agency_id == me.agency_id and form.step.is_open()):
        return []
    return [a for a in officials(get_engine(), form.step.agency_code) if may_handle(a, form.step.role)]


def _render(form: StepForm, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
            note: str = "", status: int = 200) -> tuple[str, int]:
    engine = get_engine()
    step = form.step
    dossier = engine.dossier(step.dossier_code, actor())
    if values is not None:
        stored = values
    elif step.is_open():  # a figure entered earlier is offered, never typed again
        stored = prefill(form.fields, case_values(dossier))
    else:
        stored = step.form_data or {}
    widgets = forms_render.widgets(form.fields, stored, errors)
    return render_template(
        "steps/show.html", form=form, step=step, dossier=dossier, widgets=widgets, errors=errors or {},
        case=case_entries(engine.definition(dossier.definition_id), dossier),
        note=note if values is not None else step.note, now=engine.now(), colleagues=_colleagues(form),
        mine=step.state == "claimed" and step.assignee_id == actor().id,
        docs=get_documents().of_dossier(actor(), dossier.code),
    ), status


@bp.route("/steps/<int:step_id>")
@login_required
def show(step_id: int) -> ResponseReturnValue:
    return _render(_load(step_id))


@bp.route("/steps/<int:step_id>/claim", methods=["POST"])
@login_required
def claim(step_id: int) -> ResponseReturnValue:
    try:
        get_engine().claim(actor(), step_id)
        flash(_("Bạn đã nhận xử lý bước này."), "success")
    except Conflict as exc:
        flash(str(exc), "error")
    return redirect(url_for("steps.show", step_id=step_id))


@bp.route("/steps/<int:step_id>/unclaim", methods=["POST"])
@login_required
def unclaim(step_id: int) -> ResponseReturnValue:
    try:
        get_engine().unclaim(actor(), step_id)
        flash(_("Đã trả bước về hàng chờ của cơ quan."), "success")
    except Conflict as exc:
        flash(str(exc), "error")
    return redirect(url_for("steps.show", step_id=step_id))


@bp.route("/steps/<int:step_id>/reassign", methods=["POST"])
@login_required
def reassign(step_id: int) -> ResponseReturnValue:
    target = request.form.get("to", "").strip()
    try:
        view = get_engine().reassign(actor(), step_id, target)
        flash(_("Đã giao bước cho %(name)s.", name=view.assignee_name or target), "success")
    except Conflict as exc:
        flash(str(exc), "error")
    return redirect(url_for("steps.show", step_id=step_id))


def _attach_uploads(form: StepForm, values: dict[str, Any]) -> dict[str, str]:
    """Attach each file field's upload to the dossier (the signed result at a signing or returning
    step) and put the document's id in ``values``; the errors of refused files, by field."""
    errors: dict[str, str] = {}
    for spec in form.fields:
        if spec.type != "file":
            continue
        upload = request.files.get(forms_render.PREFIX + spec.id + "-upload")
        data = read_upload(upload)
        if upload is None or not data:
            continue
        kind = spec.constraints.get("kind") or ("signed_result" if form.step.step_kind in RESULT_STEP_KINDS
                                                else "other")
        try:
            info = get_documents().attach(actor(), form.step.dossier_code, upload.filename or "", data,
                                          kind=kind, step_id=form.step.id)
        except (DocumentRejected, InvalidInput) as exc:
            errors[spec.id] = str(exc)
            continue
        values[spec.id] = str(info.id)
    return errors


@bp.route("/steps/<int:step_id>/complete", methods=["POST"])
@login_required
def complete(step_id: int) -> ResponseReturnValue:
    form = _load(step_id)
    values = forms_render.read_values(form.fields, request.form)
    note = request.form.get("note", "")
    upload_errors = _attach_uploads(form, values)
    if upload_errors:
        flash(_("Biểu mẫu còn lỗi; hãy sửa các trường được đánh dấu."), "error")
        return _render(form, values, upload_errors, note, 400)
    try:
        dossier = get_engine().complete(actor(), step_id, values, note=note, with_steps=False)  # only its code is shown
    except FormInvalid as exc:
        flash(_("Biểu mẫu còn lỗi; hãy sửa các trường được đánh dấu."), "error")
        return _render(form, values, exc.errors, note, 400)
    except InvalidInput as exc:
        return _render(form, values, {"note": str(exc)}, note, 400)
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("steps.show", step_id=step_id))
    flash(_("Đã hoàn thành bước “%(step)s” của hồ sơ %(code)s.", step=form.step.name, code=dossier.code),
          "success")
    return redirect(url_for("inbox.index"))
