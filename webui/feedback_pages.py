"""Feedback and petitions (PAKN) as pages.

Citizens (no account): ``/pakn`` (who receives feedback per agency, the ways in), ``/pakn/gui`` (send,
from a procedure's page with ``?procedure=`` or from a dossier's lookup with ``?dossier=``),
``/pakn/theo-doi`` (status and answer with the reference and secret; rate the answer once),
``/pakn/tra-loi`` (published answers). Officials: ``/feedback`` (their agency's queue) and
``/feedback/<reference>`` (read and answer). The administrator keeps the published contacts at
``/admin/feedback-contacts``. Every form carries a CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import (
    Conflict,
    FormInvalid,
    InvalidInput,
    NotFound,
    PermissionDenied,
    agencies,
    feedback,
    feedback_contacts,
)
from webui.auth import actor, roles_required
from webui.extensions import get_engine
from webui.portal import MAX_CODE, public_procedures
from webui.ratelimit import check_feedback_submission, check_result_secret, right_secret

bp = Blueprint("feedback", __name__)


@bp.after_request
def _no_store(response: Response) -> Response:
    """Secrets (the sent page, the follow page) and senders' personal data (the officials' pages) are
    never kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


FORM_KEYS = ("procedure", "dossier", "secret", "agency", "name", "contact", "text")
MAX_REFERENCE = 32


def _messages() -> dict[str, str]:
    return {
        "procedure": _("Chọn một thủ tục hoặc ghi mã một hồ sơ (chỉ một trong hai)."),
        "dossier": _("Mã hồ sơ tối đa 64 ký tự."),
        "secret": _("Cần mã bí mật in trên giấy tiếp nhận và hẹn trả kết quả."),
        "agency": _("Chọn cơ quan giải quyết thủ tục đã chọn."),
        "name": _("Ghi họ tên (tối đa 120 ký tự; mỗi cơ quan tối đa 10 người)."),
        "contact": _("Ghi một địa chỉ thư điện tử hoặc một số điện thoại (hoặc để trống)."),
        "text": _("Nội dung từ 10 đến 4000 ký tự."),
        "answer": _("Ghi câu trả lời (tối đa 8000 ký tự)."),
        "phone": _("Số điện thoại không hợp lệ; ghi số điện thoại hoặc thư điện tử."),
        "email": _("Địa chỉ thư điện tử không hợp lệ."),
        "title": _("Chức danh tối đa 160 ký tự."),
    }


def _field_errors(exc: FormInvalid) -> dict[str, str]:
    """The engine's field errors in the page's language (keys ``name`` or ``name_<row>``)."""
    messages = _messages()
    out = {}
    for key in exc.errors:
        base = key.rsplit("_", 1)[0] if key.rsplit("_", 1)[-1].isdigit() else key
        out[key] = messages.get(base, _("Giá trị không hợp lệ."))
    return out


# --------------------------------------------------------------------------- citizens


@bp.route("/pakn")
def contacts() -> str:
    return render_template("feedback/contacts.html", listing=feedback_contacts.published_contacts(get_engine()))


@bp.route("/pakn/gui", methods=["GET", "POST"])
def send() -> tuple[str, int]:
    engine = get_engine()
    source = request.form if request.method == "POST" else request.args
    given = {k: (source.get(k) or "")[:feedback.MAX_TEXT + 1 if k == "text" else 200] for k in FORM_KEYS}
    procedures = public_procedures()
    choices: list[Any] = []
    if given["procedure"] and not given["dossier"]:
        try:
            choices = feedback.candidates(engine, given["procedure"][:MAX_CODE])
        except NotFound:
            given["procedure"] = ""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        check_feedback_submission()
        if given["dossier"]:
            check_result_secret(given["dossier"])
        try:
            if len(choices) > 1 and not given["agency"]:  # the page never picks an agency for the citizen
                raise FormInvalid({"agency": "Chọn cơ quan"})
            receipt = feedback.submit(engine, {k: v for k, v in given.items() if v})
        except FormInvalid as exc:
            errors, status = _field_errors(exc), 400
        except PermissionDenied:
            errors, status = {"secret": _("Mã hồ sơ hoặc mã bí mật trên phiếu hẹn không đúng.")}, 403
        except (NotFound, InvalidInput):
            errors, status = {"procedure": _("Hãy chọn một thủ tục trong danh mục.")}, 400
        else:
            if given["dossier"]:
                right_secret(given["dossier"])
            return render_template("feedback/sent.html", receipt=receipt), 201
    return render_template("feedback/send.html", given=given, errors=errors, procedures=procedures,
                           choices=choices, max_text=feedback.MAX_TEXT), status


def _follow(reference: str, secret: str) -> tuple[feedback.PublicFeedback | None, str, int]:
    check_result_secret(reference)
    try:
        found = feedback.public_status(get_engine(), reference, secret)
    except PermissionDenied:
        return None, _("Mã phản ánh hoặc mã bí mật không đúng."), 403
    right_secret(reference)
    return found, "", 200


@bp.route("/pakn/theo-doi", methods=["GET", "POST"])
def follow() -> tuple[str, int]:
    reference = (request.values.get("reference") or "").strip()[:MAX_REFERENCE]
    found, error, status = None, "", 200
    rated = False
    if request.method == "POST":
        secret = (request.form.get("secret") or "")[:64]
        found, error, status = _follow(reference, secret)
        rating = request.form.get("rating")
        if found is not None and rating is not None:
            try:
                feedback.rate(get_engine(), reference, secret, rating)
                found, rated, status = feedback.public_status(get_engine(), reference, secret), True, 201
            except InvalidInput:
                error, status = _("Hãy chọn một mức từ 1 đến 5."), 400
            except Conflict as exc:
                error, status = _(str(exc)), 409
        secret_kept = secret if found is not None else ""
    else:
        secret_kept = ""
    return render_template("feedback/follow.html", reference=reference, found=found, error=error, rated=rated,
                           secret=secret_kept), status


@bp.route("/pakn/tra-loi")
def answers() -> str:
    procedure = (request.args.get("procedure") or "").strip()[:MAX_CODE]
    names = dict(public_procedures())
    listing = [a for a in feedback.published(get_engine(), procedure) if a.procedure_code in names]
    return render_template("feedback/answers.html", answers=listing, names=names, procedure=procedure)


# --------------------------------------------------------------------------- officials


@bp.route("/feedback")
@roles_required("clerk", "officer", "leader", "admin")
def queue() -> str:
    status = request.args.get("status", "")
    if status not in ("", *feedback.STATUSES):
        abort(400, _("Trạng thái không hợp lệ."))
    return render_template("feedback/queue.html", items=feedback.queue(get_engine(), actor(), status),
                           status=status, now=get_engine().now())


@bp.route("/feedback/<reference>", methods=["GET", "POST"])
@roles_required("clerk", "officer", "leader", "admin")
def item(reference: str) -> tuple[str, int] | Any:
    engine = get_engine()
    reference = reference[:MAX_REFERENCE]
    errors: dict[str, str] = {}
    status = 200
    found = feedback.get(engine, actor(), reference)  # 404 / 403 before any form is read
    if request.method == "POST":
        try:
            feedback.answer(engine, actor(), reference, request.form.get("answer", "")[:feedback.MAX_ANSWER + 1],
                            request.form.get("publish") == "1")
        except FormInvalid as exc:
            errors, status = _field_errors(exc), 400
        else:
            flash(_("Đã gửi câu trả lời."), "success")
            return redirect(url_for("feedback.item", reference=reference))
    return render_template("feedback/item.html", item=found, errors=errors, now=engine.now(),
                           answer=request.form.get("answer", "") if errors else ""), status


# --------------------------------------------------------------------------- administration


@bp.route("/admin/feedback-contacts", methods=["GET", "POST"])
@roles_required("admin")
def edit_contacts() -> tuple[str, int] | Any:
    engine = get_engine()
    every = [a for a in agencies(engine) if a.valid_to is None]
    code = (request.values.get("agency") or "").strip()[:MAX_CODE]
    chosen = next((a for a in every if a.code == code), None)
    errors: dict[str, str] = {}
    rows: list[dict[str, str]] = []
    status = 200
    if chosen is not None:
        rows = [c.__dict__ for c in feedback_contacts.contacts_of(chosen)]
    if request.method == "POST":
        if chosen is None:
            abort(404)
        given = [{k: request.form.get(f"{k}_{i}", "")[:200] for k in feedback_contacts.FIELDS}
                 for i in range(feedback_contacts.MAX_PER_AGENCY)]
        try:
            feedback_contacts.set_contacts(engine, chosen.code, given)
        except FormInvalid as exc:
            errors, rows, status = _field_errors(exc), given, 400
        else:
            flash(_("Đã cập nhật người tiếp nhận phản ánh, kiến nghị của %(name)s.", name=chosen.name), "success")
            return redirect(url_for("feedback.edit_contacts", agency=chosen.code))
    blank = dict.fromkeys(feedback_contacts.FIELDS, "")
    rows = (rows + [blank] * feedback_contacts.MAX_PER_AGENCY)[:max(len(rows) + 2, 3)]
    rows = rows[:feedback_contacts.MAX_PER_AGENCY]
    return render_template("feedback/admin_contacts.html", agencies=every, chosen=chosen, rows=rows,
                           errors=errors), status
