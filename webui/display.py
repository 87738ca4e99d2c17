"""Jinja filters and labels shared by the officials' pages: local times, translated states."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask.sansio.app import App
from flask_babel import lazy_gettext as _l

from engine import steptable
from webui.extensions import get_engine

DOSSIER_STATUS = {
    "received": _l("Đã tiếp nhận"),
    "processing": _l("Đang xử lý"),
    "waiting_supplement": _l("Chờ bổ sung"),
    "returned": _l("Đã trả kết quả"),
    "refused": _l("Từ chối"),
    "withdrawn": _l("Rút hồ sơ"),
    "completed": _l("Hoàn thành"),
}
STEP_STATE = {
    "ready": _l("Chờ nhận"),
    "claimed": _l("Đang xử lý"),
    "completed": _l("Đã xong"),
    "cancelled": _l("Đã hủy"),
}
DOCUMENT_KIND = {"original": _l("Bản chính"), "certified": _l("Bản sao có chứng thực"), "copy": _l("Bản sao")}
COLLECTION = {"desk": _l("Nhận trực tiếp tại Bộ phận Một cửa"), "post": _l("Qua dịch vụ bưu chính công ích"),
              "online": _l("Nhận trực tuyến")}
TIMELINESS = {"early": _l("Trước hạn"), "on_time": _l("Đúng hạn"), "late": _l("Quá hạn")}
FEEDBACK_STATUS = {"received": _l("Đang chờ trả lời"), "answered": _l("Đã trả lời"),
                   "closed": _l("Đã trả lời, đã đánh giá")}
EVENT_ACTION = {
    "dossier.received": _l("Tiếp nhận hồ sơ"),
    "application.accepted": _l("Tiếp nhận hồ sơ nộp trực tuyến"),
    "dossier.documents": _l("Ghi nhận giấy tờ"),
    "document.attached": _l("Đính kèm tài liệu"),
    "step.ready": _l("Chuyển đến bước"),
    "step.claimed": _l("Nhận xử lý"),
    "step.unclaimed": _l("Trả lại hàng chờ"),
    "step.reassigned": _l("Giao lại cho cán bộ khác"),
    "step.completed": _l("Hoàn thành bước"),
    "step.cancelled": _l("Hủy bước"),
    "dossier.waiting_supplement": _l("Chờ bổ sung hồ sơ"),
    "dossier.supplemented": _l("Đã bổ sung hồ sơ"),
    "dossier.supplement_request_late": _l("Yêu cầu bổ sung quá 03 ngày làm việc kể từ khi nhận hồ sơ"),
    "dossier.finished": _l("Kết thúc hồ sơ"),
    "timer.fired": _l("Hết thời gian chờ"),
    "dossier.apology": _l("Xin lỗi, hẹn lại ngày trả kết quả"),
    "dossier.withdrawn": _l("Rút hồ sơ"),
    "dossier.collected": _l("Trả kết quả cho người nộp"),
}


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored (UTC) time in the calendar's zone (Asia/Ho_Chi_Minh) as dd/mm/yyyy HH:MM."""
    if value is None:
        return ""
    return get_engine().calendar().localize(value).strftime(fmt)


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, "%d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def days(value: Decimal | int | float | None) -> str:
    """Working days with a decimal comma: Decimal('0.5') → '0,5'."""
    if value is None:
        return ""
    return steptable.format_number(Decimal(str(value)))


#: The form messages of engine.forms (engine.forms.Message), marked here so that the catalogue
#: carries them; the |tr filter translates them on a page in English.
FORM_MESSAGES = (
    _l("trường không có trong biểu mẫu"),
    _l("trường chỉ đọc"),
    _l("bắt buộc nhập"),
    _l("phải đánh dấu"),
    _l("phải là có hoặc không"),
    _l("phải là số nguyên"),
    _l("phải là số"),
    _l("phải là số, phần thập phân sau dấu phẩy"),
    _l("nhiều nhất %(places)s chữ số sau dấu phẩy"),
    _l("số quá lớn"),
    _l("phải từ %(low)s trở lên"),
    _l("phải không quá %(high)s"),
    _l("ngày không hợp lệ (dạng năm-tháng-ngày)"),
    _l("ngày phải từ %(day)s trở đi"),
    _l("ngày không được sau hôm nay"),
    _l("ngày phải đến %(day)s là muộn nhất"),
    _l("giá trị không nằm trong danh sách"),
    _l("hãy đính kèm tệp"),
    _l("phải là văn bản"),
    _l("dài tối đa %(limit)s ký tự"),
    _l("dài tối thiểu %(low)s ký tự"),
    _l("số định danh cá nhân (CCCD) gồm đúng 12 chữ số"),
    _l("số điện thoại không hợp lệ (10–11 chữ số, bắt đầu bằng 0 hoặc +84)"),
    _l("địa chỉ thư điện tử không hợp lệ"),
    _l("không đúng định dạng yêu cầu"),
    _l("tệp không thuộc hồ sơ này"),
)

ROLE = {"clerk": _l("Cán bộ một cửa"), "officer": _l("Chuyên viên"), "leader": _l("Lãnh đạo"),
        "admin": _l("Quản trị hệ thống"), "designer": _l("Người thiết kế quy trình")}


def role_label(value: str | None) -> str:
    """A role, or several joined by '/', in words: 'leader/officer' → 'Lãnh đạo, Chuyên viên'."""
    parts = [p for p in str(value or "").replace(",", "/").split("/") if p.strip()]
    return ", ".join(str(ROLE.get(p.strip(), p.strip())) for p in parts)


def translate(message: Any) -> str:
    """An engine message in the page's language (engine.forms.Message carries its template)."""
    from flask_babel import gettext

    template = getattr(message, "template", None)
    if template is None:
        return gettext(str(message)) if message else ""
    params = getattr(message, "params", {}) or {}
    return gettext(template, **{k: str(v) for k, v in params.items()}) if params else gettext(template)


def field_value(value: Any, spec: Any) -> str:
    """A stored form value as people read it: Có/Không, the choice's label, dd/mm/yyyy, 10.000.000."""
    from flask_babel import gettext

    from webui.i18n import current_language

    if value is None or value == "":
        return ""
    kind = getattr(spec, "type", "string")
    if kind == "boolean":
        return gettext("Có") if value is True or str(value).casefold() in ("true", "1") else gettext("Không")
    if kind == "enum":
        return next((label for key, label in spec.enum_values if key == str(value)), str(value))
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if kind in ("long", "decimal"):
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return str(value)
        whole, _dot, frac = format(number, "f").partition(".")
        grouped = format(int(whole), ",")
        if current_language() == "vi":
            return grouped.replace(",", ".") + ("," + frac if frac else "")
        return grouped + ("." + frac if frac else "")
    return str(value)


def percent(value: Decimal | float | None) -> str:
    """A share in percent with one decimal in the page's language: 14,3% (vi), 14.3% (en)."""
    from webui.i18n import current_language

    if value is None:
        return ""
    text = f"{Decimal(str(value)):.1f}"
    return (text.replace(".", ",") if current_language() == "vi" else text) + "%"


def _label(table: dict[str, Any], value: str | None) -> str:
    if not value:
        return ""
    return str(table.get(value, value))


def init_app(app: App) -> None:
    app.add_template_filter(local_time, "vntime")
    app.add_template_filter(local_date, "vndate")
    app.add_template_filter(days, "days")
    app.add_template_filter(lambda v: _label(DOSSIER_STATUS, v), "status_label")
    app.add_template_filter(lambda v: _label(STEP_STATE, v), "state_label")
    app.add_template_filter(lambda v: _label(TIMELINESS, v), "timeliness_label")
    app.add_template_filter(lambda v: _label(FEEDBACK_STATUS, v), "feedback_status")
    app.add_template_filter(lambda v: _label(EVENT_ACTION, v), "action_label")
    app.add_template_filter(lambda v: _label(COLLECTION, v), "collection_label")
    app.add_template_filter(role_label, "role_label")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(translate, "tr")
    app.add_template_filter(field_value, "field_value")
    app.jinja_env.globals["COLLECTION_METHODS"] = COLLECTION
