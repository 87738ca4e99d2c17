"""The review report (Báo cáo rà soát) for the province's decision: limits, measured times, a proposed cut and
its predicted effect, as PDF (A4 landscape) or XLSX."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from openpyxl import Workbook
from openpyxl.styles import Font

from engine.review import Review

TEMPLATES = Path(__file__).with_name("templates") / "review"
METHOD_VI = ("thay đổi thời hạn được đánh giá lại trên chính lịch sử hồ sơ trong kỳ; thay đổi nhân sự được mô "
             "phỏng bằng hàng đợi của từng bước (mỗi công chức một người xử lý, theo thứ tự đến, tính trên giờ "
             "làm việc) từ dữ liệu thực tế của kỳ")

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)


def _num(value: float | Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.2f}".rstrip("0").rstrip(".").replace(",", " ").replace(".", ",")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


_env.filters.update(num=_num, pct=_pct, d=lambda d: d.strftime("%d/%m/%Y"))


@dataclass(frozen=True)
class Proposal:
    """A proposed cut, described in words, with the what-if answer for it."""

    changes: list[str]
    baseline: dict[str, Any]
    predicted: dict[str, Any]


def describe_changes(changes: list[dict[str, Any]], step_names: dict[str, str]) -> list[str]:
    """Each change in Vietnamese words, for the report."""
    out = []
    for change in changes:
        if "step" in change:
            out.append(f"Bước «{step_names.get(change['step'], change['step'])}»: "
                       f"{_num(change['working_days'])} ngày làm việc")
        elif "legal_working_days" in change:
            out.append(f"Thời hạn giải quyết: {_num(change['legal_working_days'])} ngày làm việc")
        elif "agency" in change:
            out.append(f"{change['agency']}: {int(change['officials']):+d} công chức")
    return out


def report_html(review: Review, date_from: date, date_to: date, legal: Decimal, reduced: Decimal | None,
                proposal: Proposal | None) -> str:
    return _env.get_template("report.html").render(r=review, date_from=date_from, date_to=date_to, legal=legal,
                                                   reduced=reduced, proposal=proposal, method=METHOD_VI)


def report_xlsx(review: Review, date_from: date, date_to: date, legal: Decimal, reduced: Decimal | None,
                proposal: Proposal | None) -> bytes:
    """The same report as a workbook: a summary sheet and a sheet of steps (numbers as numbers)."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Tổng hợp"
    bold = Font(bold=True)
    rows: list[tuple[str, Any]] = [
        ("Thủ tục", review.name), ("Mã thủ tục", review.procedure), ("Từ ngày", date_from), ("Đến ngày", date_to),
        ("Thời hạn theo quy định (ngày làm việc)", float(legal)),
        ("Thời hạn cắt giảm đang áp dụng (ngày làm việc)", float(reduced) if reduced is not None else None),
        ("Số hồ sơ", review.dossiers), ("Số hồ sơ đã xét", review.judged),
        ("Tỷ lệ đúng hạn", review.on_time_share), ("Thời gian trung bình (ngày làm việc)", review.mean_days),
        ("Thời gian của 90% hồ sơ (ngày làm việc)", review.p90_days)]
    if proposal is not None:
        rows += [("Phương án cắt giảm", "; ".join(proposal.changes)),
                 ("Tỷ lệ đúng hạn dự kiến", proposal.predicted.get("on_time_share")),
                 ("Thời gian trung bình dự kiến (ngày làm việc)", proposal.predicted.get("mean_days")),
                 ("Phương pháp dự báo", METHOD_VI)]
    for label, value in rows:
        summary.append([label, value])
        summary.cell(summary.max_row, 1).font = bold
        cell = summary.cell(summary.max_row, 2)
        if isinstance(value, date):
            cell.number_format = "DD/MM/YYYY"
        elif label.startswith("Tỷ lệ"):
            cell.number_format = "0.0%"
        elif label == "Mã thủ tục":
            cell.number_format = "@"
    summary.column_dimensions["A"].width = 48
    summary.column_dimensions["B"].width = 60
    steps = book.create_sheet("Các bước")
    steps.append(["Bước", "Mã bước", "Cơ quan", "Thời gian quy định (ngày)", "Số lượt", "Chờ xử lý trung vị (giờ)",
                  "Chờ xử lý 90% (giờ)", "Xử lý trung vị (giờ)", "Xử lý 90% (giờ)", "Tỷ lệ đúng hạn",
                  "Phần gây trễ hạn"])
    for cell in steps[1]:
        cell.font = bold
    for s in review.steps:
        steps.append([s.name, s.id, ", ".join(s.agencies), s.budget_days, s.passes, s.waiting_hours.p50,
                      s.waiting_hours.p90, s.working_hours.p50, s.working_hours.p90, s.on_time_share,
                      s.lateness_share])
        for col in (10, 11):
            steps.cell(steps.max_row, col).number_format = "0.0%"
    steps.column_dimensions["A"].width = 50
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
