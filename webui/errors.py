"""Engine errors become clear pages (HTML) or JSON (API) with the right status."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine import (
    Conflict,
    DefinitionError,
    ExpressionError,
    FormInvalid,
    InvalidInput,
    LienThongError,
    NotFound,
    PermissionDenied,
    RetryableConflict,
    TooManyAttempts,
)

STATUS = [(NotFound, 404), (PermissionDenied, 403), (Conflict, 409), (FormInvalid, 400), (InvalidInput, 400),
          (TooManyAttempts, 429),
          (DefinitionError, 422), (ExpressionError, 422)]


def status_of(exc: LienThongError) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 400


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(LienThongError)
    def _engine_error(exc: LienThongError) -> ResponseReturnValue:
        code = status_of(exc)
        if wants_json():
            if isinstance(exc, FormInvalid):
                return jsonify(error=_("Dữ liệu biểu mẫu không hợp lệ"), errors=exc.errors), code
            if isinstance(exc, DefinitionError):
                return jsonify(error=_("Sơ đồ không hợp lệ"),
                               errors=[{"line": p.line, "element": p.element, "message": p.message}
                                       for p in exc.problems]), code
            if isinstance(exc, RetryableConflict):
                # Same 409 as every conflict (the public contract), but machine-readable: the same
                # call may simply be sent again.
                return jsonify(error=str(exc), retryable=True), code, {"Retry-After": "1"}
            return jsonify(error=str(exc)), code
        return render_template("error.html", code=code, message=str(exc)), code

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        message = _("Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ CSRF; hãy tải lại trang.")
        if wants_json():
            return jsonify(error=message), 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        message = http_message(exc)
        if wants_json():
            return jsonify(error=message), exc.code or 500
        return render_template("error.html", code=exc.code, message=message), exc.code or 500


def http_message(exc: HTTPException) -> str:
    """The page's own message (abort(404, "...")), or a translated one instead of Werkzeug's English."""
    if exc.description and exc.description != type(exc).description:
        return str(exc.description)
    messages = {
        400: _("Yêu cầu không hợp lệ."),
        401: _("Cần đăng nhập."),
        403: _("Bạn không có quyền xem trang này."),
        404: _("Không tìm thấy trang này. Hãy kiểm tra lại địa chỉ."),
        405: _("Trang này không nhận thao tác đó."),
        413: _("Tệp hoặc dữ liệu gửi lên quá lớn."),
        429: _("Quá nhiều yêu cầu; hãy thử lại sau ít phút."),
        500: _("Hệ thống gặp lỗi ngoài dự kiến; hãy thử lại sau. Thao tác chưa được ghi nhận."),
    }
    return str(messages.get(exc.code or 500, _("Yêu cầu không thực hiện được.")))
