"""Documents of a dossier: attach (dossier and step pages), download as attachments only, and the
applicant's electronic result on the public lookup (dossier code plus the receipt's secret)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from engine import ACCEPTED, KINDS, DocumentCorrupted, DocumentInfo, DocumentRejected, Documents, InvalidInput, NotFound
from engine import content_disposition as _disposition
from webui.auth import actor, roles_required
from webui.extensions import get_engine
from webui.ratelimit import check_result_secret, right_secret

bp = Blueprint("documents", __name__)
log = logging.getLogger(__name__)

KIND_LABELS = {
    "scan": _l("Bản quét giấy tờ"),
    "opinion": _l("Ý kiến"),
    "minutes": _l("Biên bản"),
    "draft": _l("Dự thảo"),
    "signed_result": _l("Kết quả đã ký"),
    "other": _l("Khác"),
}
#: A sandboxed, script-less policy for anything a browser might still try to render.
DOWNLOAD_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"


@bp.app_template_filter("kind_label")
def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def get_documents() -> Documents:
    documents: Documents = current_app.extensions["lienthong_documents"]
    return documents


def read_upload(upload: FileStorage | None) -> bytes:
    """The bytes of an upload, reading at most one byte past the limit (the service refuses it)."""
    if upload is None:
        return b""
    return upload.stream.read(get_documents().max_bytes + 1)


def file_response(info: DocumentInfo, data: bytes) -> Response:
    """Always a download: attachment with an RFC 5987 name, the detected type, nosniff, sandboxed."""
    return file_response_of(info.filename, info.media_type, data)


def file_response_of(filename: str, media_type: str, data: bytes) -> Response:
    """``file_response`` for any stored file (an online application's uploads too)."""
    media_type = media_type if media_type in ACCEPTED else "application/octet-stream"
    response = Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


def corrupted(exc: DocumentCorrupted) -> tuple[str, int]:
    log.error("document store integrity failure: %s", exc)
    return render_template("error.html", code=500, message=_("Tệp lưu trữ đã bị hỏng hoặc bị thay đổi; "
                                                             "không thể cung cấp. Hãy báo quản trị hệ thống.")), 500


def attach_from_form(code: str) -> DocumentInfo:
    """Attach the form's ``file`` (with ``kind``, optional ``requirement`` and ``step``) to a dossier."""
    upload = request.files.get("file")
    data = read_upload(upload)
    if upload is None or not data:
        raise InvalidInput(_("Hãy chọn tệp cần đính kèm."))
    step_raw = request.form.get("step", "").strip()
    step_id = int(step_raw) if step_raw.isdigit() else None
    kind = request.form.get("kind", "scan")
    return get_documents().attach(actor(), code, upload.filename or "", data, kind=kind, step_id=step_id,
                                  requirement=request.form.get("requirement", "").strip())


def _back(code: str) -> ResponseReturnValue:
    step = request.form.get("step", "").strip()
    if step.isdigit() and request.form.get("back") == "step":
        return redirect(url_for("steps.show", step_id=int(step)))
    return redirect(url_for("dossiers.show", code=code) + "#documents")


@bp.route("/dossiers/<code>/documents", methods=["POST"])
@roles_required("clerk", "officer", "leader")
def attach(code: str) -> ResponseReturnValue:
    try:
        info = attach_from_form(code)
        flash(_("Đã đính kèm %(name)s.", name=info.filename), "success")
    except DocumentRejected as exc:
        flash(_("Không nhận tệp: %(reason)s", reason=str(exc)), "error")
    except InvalidInput as exc:
        flash(str(exc), "error")
    return _back(code)


@bp.route("/documents/<int:document_id>")
@roles_required("clerk", "officer", "leader", "admin")
def download(document_id: int) -> ResponseReturnValue:
    try:
        info, data = get_documents().read(actor(), document_id)
    except DocumentCorrupted as exc:
        return corrupted(exc)
    return file_response(info, data)


@bp.route("/tra-cuu/ket-qua", methods=["POST"])
def public_result() -> ResponseReturnValue:
    """The signed result for whoever has the dossier code and the secret printed on the receipt."""
    code = " ".join((request.form.get("code") or "").split())[:64]
    secret = (request.form.get("secret") or "").strip()[:16]
    check_result_secret(code)
    try:
        info, data = get_documents().public_result(code, secret)
    except NotFound as exc:
        found = None
        with contextlib.suppress(NotFound):
            found = get_engine().public_lookup(code) if code else None
        return render_template("portal/lookup.html", code=code, found=found, not_found=found is None,
                               result_error=str(exc)), 404
    except DocumentCorrupted as exc:
        return corrupted(exc)
    right_secret(code)
    return file_response(info, data)


@bp.app_context_processor
def _upload_settings() -> dict[str, Any]:
    return {"kinds": KINDS, "max_mb": current_app.config["MAX_DOCUMENT_BYTES"] // (1024 * 1024)}
