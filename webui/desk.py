"""The reception desk: choose a procedure, enter the applicant and documents, issue the receipt (Mẫu 01)."""

from __future__ import annotations

import io
from typing import Any

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import (
    DocumentRejected,
    FormInvalid,
    InvalidInput,
    NotFound,
    ProcedureSummary,
    ReceivedDocument,
    StepSpec,
    commune_units,
    documents_of,
    receiving_agency_id,
    reception,
    record_documents,
    requirements,
)
from webui import forms_render
from webui.auth import actor, roles_required
from webui.documents import get_documents, read_upload
from webui.extensions import get_engine

bp = Blueprint("desk", __name__)

APPLICANT_FIELDS = ("name", "id_number", "phone", "email", "address")


def _count(value: Any) -> int:
    try:
        return max(0, min(99, int(value)))
    except (TypeError, ValueError):
        return 0


def checklist(summary: ProcedureSummary) -> list[dict[str, Any]]:
    """The procedure's required documents from its metadata, whatever shape the entries take."""
    raw = summary.metadata.get("documents") or summary.metadata.get("required_documents") or []
    out = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not str(item.get("name", "")).strip():
            continue
        out.append({"name": str(item["name"]).strip(), "originals": _count(item.get("originals", 1)),
                    "copies": _count(item.get("copies", 0)), "required": item.get("required", True) is not False,
                    "note": str(item.get("note", ""))})
    return out


def _chosen(code: str) -> ProcedureSummary | None:
    if not code:
        return None
    try:
        return get_engine().procedure(code)
    except NotFound:
        return None


#: Prefix of the inputs of the first step's fields on the desk form.
FIRST_PREFIX = "first-"


def _first_step(summary: ProcedureSummary | None, commune: str | None = None) -> StepSpec | None:
    """The procedure's first step when this desk does it for the dossier's commune: its fields join
    the reception form."""
    if summary is None:
        return None
    engine = get_engine()
    return reception.desk_first_step(engine, actor(), engine.definition(summary.definition_id), commune)


def _render(summary: ProcedureSummary | None, applicant: dict[str, str] | None = None,
            values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
            checked: list[int] | None = None, first: dict[str, Any] | None = None,
            status: int = 200, commune: str | None = None) -> tuple[str, int]:
    engine = get_engine()
    fields = engine.definition(summary.definition_id).start_fields if summary else ()
    docs = checklist(summary) if summary else []
    errors = errors or {}
    spec = _first_step(summary)
    first_errors = {k.removeprefix(reception.PREFIX): v for k, v in errors.items() if k.startswith(reception.PREFIX)}
    today = engine.today()
    communes = commune_units(engine)
    desk = engine.directory().agencies.get(actor().agency_id)
    chosen = commune if commune is not None else ((desk.admin_unit if desk else None) or "")
    shown = next((f"{u.code} — {u.name}" for u in communes if u.code == chosen), chosen)
    return render_template(
        "desk/index.html", procedures=engine.procedures(), summary=summary,
        widgets=forms_render.widgets(fields, values, errors, today), applicant=applicant or {}, errors=errors,
        first_step=spec, first_widgets=forms_render.widgets(spec.fields, first, first_errors, today, FIRST_PREFIX)
        if spec else [], documents=docs,
        checked={i for i, d in enumerate(docs) if d["required"]} if checked is None else set(checked),
        communes=communes, commune=shown), status


def _commune(raw: str) -> str:
    """The unit code typed or picked in the commune field ("68001 — xã Liên Hương" or "68001")."""
    return raw.split("—", 1)[0].strip()[:64]


@bp.route("/desk")
@roles_required("clerk")
def index() -> ResponseReturnValue:
    return _render(_chosen(request.args.get("procedure", "").strip()))


@bp.route("/desk", methods=["POST"])
@roles_required("clerk")
def receive() -> ResponseReturnValue:
    engine = get_engine()
    summary = _chosen(request.form.get("procedure", "").strip())
    if summary is None:
        flash(_("Hãy chọn thủ tục."), "error")
        return redirect(url_for("desk.index"))
    fields = engine.definition(summary.definition_id).start_fields
    applicant = {k: request.form.get(f"applicant_{k}", "") for k in APPLICANT_FIELDS}
    values = forms_render.read_values(fields, request.form)
    commune = _commune(request.form.get("commune", ""))
    spec = _first_step(summary, commune or None)
    first = forms_render.read_values(spec.fields, request.form, FIRST_PREFIX) if spec else None
    docs = checklist(summary)
    scans, scan_errors = _scans(summary, len(docs))
    checked = [i for i in range(len(docs)) if request.form.get(f"doc_{i}") or i in scans]
    missing = [d["name"] for i, d in enumerate(docs) if d["required"] and i not in checked]
    if missing:  # an incomplete dossier gets the supplement notice (Mẫu 02), never a receipt
        scan_errors["documents"] = _("Chưa nhận đủ giấy tờ bắt buộc: %(names)s. Hãy ghi nhận đủ, hoặc lập "
                                     "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02).", names="; ".join(missing))
    received = [ReceivedDocument(docs[i]["name"], _count(request.form.get(f"doc_{i}_originals")),
                                 _count(request.form.get(f"doc_{i}_copies"))) for i in checked]
    try:
        dossier = reception.receive(engine, actor(), summary.code, applicant, values, first,
                                    pending=scan_errors, with_history=False, commune=commune or None)
    except FormInvalid as exc:
        flash(_("Thông tin chưa hợp lệ; hãy sửa các trường được đánh dấu."), "error")
        return _render(summary, applicant, values, {**scan_errors, **exc.errors}, checked, first, 400, commune)
    except InvalidInput as exc:  # the commune is unknown or lacks an agency a lane needs
        flash(_("Thông tin chưa hợp lệ; hãy sửa các trường được đánh dấu."), "error")
        return _render(summary, applicant, values, {"commune": str(exc)}, checked, first, 400, commune)
    record_documents(engine, actor(), dossier.code, received)
    for _i, (filename, data, key) in sorted(scans.items()):
        get_documents().attach(actor(), dossier.code, filename, data, kind="scan", requirement=key)
    flash(_("Đã tiếp nhận hồ sơ %(code)s.", code=dossier.code), "success")
    return redirect(url_for("desk.receipt", code=dossier.code))


def _scans(summary: ProcedureSummary, count: int) -> tuple[dict[int, tuple[str, bytes, str]], dict[str, str]]:
    """The scans uploaded per checklist line (``doc_<i>_file``), each checked by content and size."""
    keys = [r.key for r in requirements(summary.metadata)]
    scans: dict[int, tuple[str, bytes, str]] = {}
    errors: dict[str, str] = {}
    for i in range(min(count, len(keys))):
        upload = request.files.get(f"doc_{i}_file")
        data = read_upload(upload)
        if upload is None or not data:
            continue
        try:
            get_documents().check(data)
        except DocumentRejected as exc:
            errors[f"doc_{i}"] = str(exc)
            continue
        scans[i] = (upload.filename or "", data, keys[i])
    return scans, errors


def _lookup_url(code: str) -> str:
    return url_for("portal.lookup", code=code, _external=True)


@bp.route("/desk/receipt/<code>")
@roles_required("clerk", "leader", "admin")
def receipt(code: str) -> ResponseReturnValue:
    engine = get_engine()
    dossier = engine.dossier(code, actor())
    summary = engine.procedure(dossier.procedure_code, dossier.definition_version)
    limit = summary.reduced_working_days if summary.reduced_working_days is not None else summary.legal_working_days
    return render_template("desk/receipt.html", dossier=dossier, summary=summary, limit=limit,
                           documents=documents_of(engine, code), lookup_url=_lookup_url(code),
                           secret=get_documents().lookup_secret(actor(), code) if _own_desk(dossier) else "",
                           receiver=next((e.actor_name for e in dossier.events if e.action == "dossier.received"), ""))


def _own_desk(dossier: Any) -> bool:
    me = actor()
    return me.has("admin") or me.agency_id == _receiving_agency_id(dossier.code)


def _receiving_agency_id(code: str) -> int | None:
    return receiving_agency_id(get_engine(), code)


@bp.route("/desk/receipt/<code>/qr.svg")
@roles_required("clerk", "leader", "admin")
def receipt_qr(code: str) -> ResponseReturnValue:
    get_engine().dossier(code, actor())  # the dossier must exist and be visible
    if len(code) > 64:
        abort(404)
    out = io.BytesIO()
    segno.make(_lookup_url(code), error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False,
                                                  title=code)
    return Response(out.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})
