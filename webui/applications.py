"""Online application pages for citizens (no account): the form of a procedure, the reference and
secret once submitted, and the status page (asked for the secret; a supplement is uploaded there).

Spam is kept out without any third-party service: the rate limit per address (shared with the API),
a honeypot field that people never see, and a signed start time: a form sent back sooner than
``MIN_FILL_SECONDS`` after it was shown, or later than ``MAX_FILL_SECONDS``, or with a forged time,
is refused and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from engine import (
    ApplicationStatus,
    ApplicationView,
    Conflict,
    FormInvalid,
    NotFound,
    ProcedureSummary,
    UnitInfo,
    Upload,
    commune_units,
    guides,
    requirements,
)
from webui import forms_render
from webui.api_applications import check_submission_rate
from webui.documents import get_documents, read_upload
from webui.extensions import get_engine
from webui.portal import display_name, public_procedure
from webui.ratelimit import check_result_secret, right_secret

bp = Blueprint("applications", __name__)

APPLICANT_FIELDS = ("name", "id_number", "phone", "email", "address")
#: Name of the honeypot input (hidden from people by CSS, left empty by them).
HONEYPOT = "website"
MIN_FILL_SECONDS = 5
MAX_FILL_SECONDS = 6 * 3600
FILE_PREFIX = "file-"
MAX_REFERENCE = 40


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lienthong-apply-form")


def _started() -> str:
    """The signed instant the form was shown (the engine's clock)."""
    return str(_signer().dumps(get_engine().now().timestamp()))


def _looks_automated() -> bool:
    """The honeypot was filled, or the signed start time is missing, forged, too recent or too old."""
    if request.form.get(HONEYPOT, ""):
        return True
    try:
        started = datetime.fromtimestamp(float(_signer().loads(request.form.get("started", "")[:200])), UTC)
    except (BadSignature, ValueError, TypeError, OverflowError):
        return True
    elapsed = get_engine().now() - started
    return not timedelta(seconds=MIN_FILL_SECONDS) <= elapsed <= timedelta(seconds=MAX_FILL_SECONDS)


def _files(keys: list[str]) -> tuple[list[Upload], dict[str, str]]:
    """The uploads of the form (``file-<requirement key>``); a file too large is a field error."""
    limit = get_documents().max_bytes
    out, errors = [], {}
    for key in keys:
        upload = request.files.get(FILE_PREFIX + key)
        data = read_upload(upload)
        if upload is None or not data:
            continue
        if len(data) > limit:
            errors[f"documents.{key}"] = _("Tệp quá lớn: tối đa %(mb)s MB", mb=limit // (1024 * 1024))
            continue
        out.append(Upload(key, upload.filename or "", data))
    return out, errors


def _render(summary: ProcedureSummary, *, applicant: dict[str, str] | None = None,
            values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, commune: str = "",
            status: int = 200, problem: str = "") -> tuple[str, int]:
    engine = get_engine()
    fields = engine.definition(summary.definition_id).start_fields
    errors = errors or {}
    return render_template(
        "portal/apply.html", summary=summary, name=display_name(summary),
        widgets=forms_render.widgets(fields, values, errors, engine.today()), applicant=applicant or {},
        errors=errors, documents=requirements(summary.metadata), communes=commune_units(engine), commune=commune,
        started=_started(), honeypot=HONEYPOT, file_prefix=FILE_PREFIX, problem=problem,
        guides=guides.guide_for(engine, summary.code)), status


def _commune_code(text: str, units: Sequence[UnitInfo]) -> str:
    """The unit code for what the citizen chose: the picker offers names only (the codes of the demo
    data are not confirmed, and citizens do not use them); a code typed in is taken as it is, and a
    name no unit has (or two share) is passed on for the engine to refuse with its message."""
    named = [u.code for u in units if u.name.casefold() == text.casefold()]
    return named[0] if len(named) == 1 else text[:64]


@bp.route("/thu-tuc/<code>/nop-truc-tuyen")
def new(code: str) -> tuple[str, int]:
    return _render(public_procedure(code[:64]))


@bp.route("/thu-tuc/<code>/nop-truc-tuyen", methods=["POST"])
def submit(code: str) -> tuple[str, int]:
    summary = public_procedure(code[:64])
    check_submission_rate()
    engine = get_engine()
    fields = engine.definition(summary.definition_id).start_fields
    applicant = {k: request.form.get(f"applicant_{k}", "")[:500] for k in APPLICANT_FIELDS}
    values = forms_render.read_values(fields, request.form)
    typed = " ".join(request.form.get("commune", "")[:300].split())
    commune = _commune_code(typed, commune_units(engine))
    if _looks_automated():
        return _render(summary, applicant=applicant, values=values, commune=typed, status=400,
                       problem=_("Không gửi được hồ sơ: biểu mẫu đã quá hạn hoặc được gửi quá nhanh. "
                                 "Hãy kiểm tra lại thông tin và gửi lại."))
    files, errors = _files([r.key for r in requirements(summary.metadata)])
    try:
        if errors:
            raise FormInvalid(errors)
        done = engine.submit_application(summary.code, applicant, values, files, get_documents(), commune=commune)
    except FormInvalid as exc:
        return _render(summary, applicant=applicant, values=values, errors={**errors, **exc.errors},
                       commune=typed, status=400,
                       problem=_("Thông tin chưa hợp lệ; hãy sửa các trường được đánh dấu."))
    return render_template("portal/applied.html", summary=summary, name=display_name(summary),
                           reference=done.reference, secret=done.secret), 201


# --------------------------------------------------------------------------- status


def _status_page(reference: str, app: ApplicationView | None = None, secret: str = "", error: str = "",
                 errors: dict[str, str] | None = None, status: int = 200, done: str = "") -> tuple[str, int]:
    documents = []
    if app is not None and app.status == ApplicationStatus.SUPPLEMENT_REQUESTED:
        summary = get_engine().procedure(app.procedure_code)
        documents = requirements(summary.metadata)
    return render_template("portal/application.html", reference=reference, app=app, secret=secret, error=error,
                           errors=errors or {}, documents=documents, file_prefix=FILE_PREFIX, done=done), status


def _reference(reference: str) -> str:
    return reference.strip()[:MAX_REFERENCE]


@bp.route("/applications/<reference>")
def status_form(reference: str) -> tuple[str, int]:
    return _status_page(_reference(reference))


def _open(reference: str) -> tuple[ApplicationView | None, str, str]:
    """The application for the posted secret (rate-limited), or an error message."""
    secret = request.form.get("secret", "").strip()[:128]
    check_result_secret(reference)
    try:
        app = get_engine().public_application(reference, secret)
    except NotFound:
        return None, "", _("Mã hồ sơ hoặc mã bí mật không đúng.")
    right_secret(reference)
    return app, secret, ""


@bp.route("/applications/<reference>", methods=["POST"])
def status(reference: str) -> tuple[str, int]:
    reference = _reference(reference)
    app, secret, error = _open(reference)
    return _status_page(reference, app, secret, error, status=404 if error else 200)


@bp.route("/applications/<reference>/bo-sung", methods=["POST"])
def resubmit(reference: str) -> tuple[str, int]:
    reference = _reference(reference)
    app, secret, error = _open(reference)
    if app is None:
        return _status_page(reference, error=error, status=404)
    summary = get_engine().procedure(app.procedure_code)
    files, errors = _files([r.key for r in requirements(summary.metadata)])
    try:
        if errors:
            raise FormInvalid(errors)
        app = get_engine().resubmit_application(reference, secret, files, get_documents())
    except FormInvalid as exc:
        return _status_page(reference, app, secret, _("Chưa gửi được giấy tờ bổ sung; hãy xem các dòng được đánh dấu."),
                            {**errors, **exc.errors}, 400)
    except Conflict:
        abort(409, _("Hồ sơ trực tuyến này không chờ bổ sung."))
    return _status_page(reference, app, secret, done=_("Đã gửi giấy tờ bổ sung; hồ sơ đã trở lại hàng chờ của "
                                                       "bộ phận một cửa."))

