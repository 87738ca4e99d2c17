"""The one-stop lifecycle pages: desk notices (Mẫu 02, 03), the dossier's printed forms (Mẫu 01, 04, 05),
apology (Mẫu 04), withdrawal, result collection and the register (Mẫu 06).

Views only read the request, call the engine and render or redirect; the engine decides who may
do what (PermissionDenied → 403) and an engine refusal is shown on the page with nothing changed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from engine import NOTICE_KINDS, FormInvalid, InvalidInput, LienThongError, NotFound, PermissionDenied, paperwork
from webui import printing
from webui.auth import actor, roles_required
from webui.dates import period_args, today
from webui.desk import APPLICANT_FIELDS
from webui.display import DOCUMENT_KIND
from webui.documents import get_documents
from webui.dossiers import render_show
from webui.errors import status_of
from webui.extensions import get_engine

bp = Blueprint("lifecycle", __name__)

DOC_ROWS = 5
DOSSIER_FORMS = ("mau01", "mau02", "mau04", "mau05")


# ---------------------------------------------------------------------- desk notices (Mẫu 02, 03)


def _notice_form(kind: str, procedure: str = "", values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("lifecycle/notice_form.html", kind=kind, procedure=procedure,
                           procedures=get_engine().procedures(), values=values or {}, errors=errors or {},
                           rows=range(DOC_ROWS), kinds=DOCUMENT_KIND), status


def _kind() -> str:
    kind = (request.values.get("kind") or "supplement").strip()
    return kind if kind in NOTICE_KINDS else "supplement"


@bp.route("/desk/notices/new")
@roles_required("clerk")
def new_notice() -> ResponseReturnValue:
    return _notice_form(_kind(), request.args.get("procedure", "").strip())


def _documents(form: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(DOC_ROWS):
        name = form.get(f"doc_{i}_name", "").strip()
        if not name:
            continue
        raw = form.get(f"doc_{i}_count", "1").strip() or "1"
        out.append({"name": name, "kind": form.get(f"doc_{i}_kind", "copy"),
                    "count": int(raw) if raw.isdigit() else raw, "note": form.get(f"doc_{i}_note", "")})
    return out


@bp.route("/desk/notices/new", methods=["POST"])
@roles_required("clerk")
def create_notice() -> ResponseReturnValue:
    engine = get_engine()
    kind = _kind()
    form = request.form
    procedure = form.get("procedure", "").strip()
    applicant = {k: form.get(f"applicant_{k}", "") for k in APPLICANT_FIELDS}
    try:
        if not procedure:
            raise InvalidInput(_("Hãy chọn thủ tục."))
        if kind == "supplement":
            notice = engine.request_supplement_at_desk(
                actor(), procedure, applicant, documents=_documents(form), reason=form.get("reason", ""),
                request=form.get("request", ""),
                guidance={k: form.get(f"guide_{k}", "").strip() for k in ("website", "official", "phone")})
        else:
            reasons = [line for line in form.get("reasons", "").splitlines() if line.strip()]
            notice = engine.refuse_at_desk(actor(), procedure, applicant, reasons=reasons,
                                           request=form.get("request", ""),
                                           dossier_code=form.get("dossier_code", "").strip())
    except FormInvalid as exc:
        flash(_("Thông tin chưa hợp lệ; hãy sửa các trường được đánh dấu."), "error")
        return _notice_form(kind, procedure, form.to_dict(), exc.errors, 400)
    except (InvalidInput, NotFound) as exc:
        flash(str(exc), "error")
        return _notice_form(kind, procedure, form.to_dict(), {}, 400)
    flash(_("Đã lập phiếu số %(number)s.", number=notice.reference), "success")
    return redirect(url_for("lifecycle.notice", notice_id=notice.id))


@bp.route("/desk/notices")
@roles_required("clerk", "leader", "admin")
def notices() -> ResponseReturnValue:
    year = request.args.get("year", "")
    chosen = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else today().year
    return render_template("lifecycle/notices.html", notices=get_engine().desk_notices(actor(), year=chosen),
                           year=chosen)


def _notice_html(notice_id: int) -> tuple[Any, str]:
    engine = get_engine()
    notice = engine.desk_notice(notice_id, actor())
    return notice, paperwork.desk_notice_html(notice, engine.calendar(), engine.settings.form_set)


@bp.route("/desk/notices/<int:notice_id>")
@roles_required("clerk", "leader", "admin")
def notice(notice_id: int) -> ResponseReturnValue:
    _notice, html = _notice_html(notice_id)
    return printing.printable(html, pdf_url=url_for("lifecycle.notice_pdf", notice_id=notice_id),
                              back_url=url_for("lifecycle.notices"))


@bp.route("/desk/notices/<int:notice_id>.pdf")
@roles_required("clerk", "leader", "admin")
def notice_pdf(notice_id: int) -> ResponseReturnValue:
    found, html = _notice_html(notice_id)
    form = "mau02" if found.kind == "supplement" else "mau03"
    return printing.pdf(html, f"{form}-{found.number}-{found.year}")


# ---------------------------------------------------------------------- the dossier's printed forms


def _form_html(code: str, form: str) -> str:
    engine = get_engine()
    if form not in DOSSIER_FORMS:
        raise NotFound(_("Không có biểu mẫu %(form)s", form=form))
    papers = engine.papers(code, actor())  # only officials who may see the dossier
    if form == "mau01":
        own = actor().has("admin") or (papers.receiving_agency is not None
                                       and papers.receiving_agency.code == actor().agency_code)
        secret = get_documents().lookup_secret(actor(), papers.dossier.code) if own else ""
        return paperwork.receipt_html(papers, base_url=request.host_url, lookup_secret=secret)
    if form == "mau04":
        if papers.lifecycle.apology is None:
            raise NotFound(_("Hồ sơ chưa có phiếu xin lỗi."))
        return paperwork.apology_html(papers)
    if form == "mau02":
        if not paperwork.step_supplement_notices(papers.dossier):
            raise NotFound(_("Hồ sơ chưa có yêu cầu bổ sung trong quá trình giải quyết."))
        return paperwork.step_supplement_html(papers)
    return paperwork.control_form_html(papers)


@bp.route("/dossiers/<code>/forms/<form>")
@login_required
def dossier_form(code: str, form: str) -> ResponseReturnValue:
    html = _form_html(code, form)
    return printing.printable(html, pdf_url=url_for("lifecycle.dossier_form_pdf", code=code, form=form),
                              back_url=url_for("dossiers.show", code=code))


@bp.route("/dossiers/<code>/forms/<form>.pdf")
@login_required
def dossier_form_pdf(code: str, form: str) -> ResponseReturnValue:
    return printing.pdf(_form_html(code, form), f"{form}-{code}")


# ---------------------------------------------------------------------- apology, withdrawal, collection


def _refused(code: str, exc: LienThongError) -> tuple[str, int]:
    """Show the dossier page again with the engine's reason; permission errors stay 403."""
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    flash(str(exc), "error")
    return render_show(code, status=status_of(exc), values=request.form.to_dict())


@bp.route("/dossiers/<code>/apology", methods=["POST"])
@roles_required("leader")
def apology(code: str) -> ResponseReturnValue:
    engine = get_engine()
    engine.dossier(code, actor())  # visible to this official, else 403/404
    try:
        raw = request.form.get("new_due", "").strip()
        try:
            new_due = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(_("Ngày hẹn trả mới không hợp lệ (YYYY-MM-DD).")) from None
        engine.issue_apology(actor(), code, request.form.get("reason", ""), new_due)
    except LienThongError as exc:
        return _refused(code, exc)
    flash(_("Đã lập phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)."), "success")
    return redirect(url_for("lifecycle.dossier_form", code=code, form="mau04"))


@bp.route("/dossiers/<code>/withdraw")
@roles_required("clerk")
def confirm_withdraw(code: str) -> ResponseReturnValue:
    dossier = get_engine().dossier(code, actor())
    return render_template("lifecycle/withdraw.html", dossier=dossier)


@bp.route("/dossiers/<code>/withdraw", methods=["POST"])
@roles_required("clerk")
def withdraw(code: str) -> ResponseReturnValue:
    engine = get_engine()
    engine.dossier(code, actor())
    try:
        engine.withdraw(actor(), code, request.form.get("reason", ""))
    except LienThongError as exc:
        return _refused(code, exc)
    flash(_("Đã rút hồ sơ %(code)s.", code=code), "success")
    return redirect(url_for("dossiers.show", code=code))


@bp.route("/dossiers/<code>/collection", methods=["POST"])
@roles_required("clerk")
def collection(code: str) -> ResponseReturnValue:
    engine = get_engine()
    engine.dossier(code, actor())
    try:
        engine.record_collection(actor(), code, request.form.get("method", ""), request.form.get("note", ""))
    except LienThongError as exc:
        return _refused(code, exc)
    flash(_("Đã ghi nhận việc trả kết quả."), "success")
    return redirect(url_for("dossiers.show", code=code))


# ---------------------------------------------------------------------- register (Mẫu 06)


def _register_html() -> tuple[str, date, date]:
    engine = get_engine()
    date_from, date_to = period_args()
    entries = engine.register(actor(), date_from, date_to)
    html = paperwork.register_html(entries, agency_name=actor().agency_name, date_from=date_from, date_to=date_to,
                                   calendar=engine.calendar(), form_set=engine.settings.form_set)
    return html, date_from, date_to


@bp.route("/dossiers/register")
@roles_required("clerk", "leader")
def register() -> ResponseReturnValue:
    html, date_from, date_to = _register_html()
    period: dict[str, Any] = {"from": date_from.isoformat(), "to": date_to.isoformat()}
    return printing.printable(html, pdf_url=url_for("lifecycle.register_pdf", **period),
                              back_url=url_for("dossiers.search"), register_from=date_from, register_to=date_to)


@bp.route("/dossiers/register.pdf")
@roles_required("clerk", "leader")
def register_pdf() -> ResponseReturnValue:
    html, date_from, date_to = _register_html()
    return printing.pdf(html, f"mau06-{date_from:%Y%m%d}-{date_to:%Y%m%d}")

