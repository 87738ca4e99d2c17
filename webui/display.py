"""Jinja filters and labels shared by the officials' pages: local times, translated states."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
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
EVENT_ACTION = {
    "dossier.received": _l("Tiếp nhận hồ sơ"),
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


def _label(table: dict[str, Any], value: str | None) -> str:
    if not value:
        return ""
    return str(table.get(value, value))


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "vntime")
    app.add_template_filter(local_date, "vndate")
    app.add_template_filter(days, "days")
    app.add_template_filter(lambda v: _label(DOSSIER_STATUS, v), "status_label")
    app.add_template_filter(lambda v: _label(STEP_STATE, v), "state_label")
    app.add_template_filter(lambda v: _label(TIMELINESS, v), "timeliness_label")
    app.add_template_filter(lambda v: _label(EVENT_ACTION, v), "action_label")
    app.add_template_filter(lambda v: _label(COLLECTION, v), "collection_label")
    app.jinja_env.globals["COLLECTION_METHODS"] = COLLECTION
