"""Statistics as an XLSX workbook for people: Vietnamese headers, codes kept as text, months as
dates, shares as percentages and day counts as numbers, each column with one number format
(the spreadsheet program shows them in its own locale: 14,3 % in Vietnamese)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

#: Column headers of the statistics rows (engine.stats.report), in Vietnamese.
HEADERS = {
    "agency": "Mã cơ quan", "procedure": "Mã thủ tục", "month": "Tháng", "name": "Tên",
    "received": "Số hồ sơ tiếp nhận", "dossiers": "Số hồ sơ", "early": "Trước hạn", "on_time": "Đúng hạn",
    "late": "Quá hạn", "overdue": "Quá hạn, đang xử lý", "open": "Đang xử lý", "withdrawn": "Rút hồ sơ",
    "caused_late": "Số hồ sơ gây quá hạn", "on_time_rate": "Tỷ lệ đúng hạn",
    "average_working_days": "Số ngày làm việc trung bình", "late_by_agency": "Quá hạn do cơ quan",
}
#: What each grouping is called in a sheet's title.
GROUPING_NAMES = {"agency": "cơ quan", "procedure": "thủ tục", "month": "tháng"}
TEXT_COLUMNS = frozenset({"agency", "procedure", "name", "late_by_agency"})
FORMATS = {"on_time_rate": "0.0%", "average_working_days": "0.00", "month": "mm/yyyy"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _value(key: str, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if key == "on_time_rate":
        return float(Decimal(str(value)) / 100)
    if key == "average_working_days":
        return float(Decimal(str(value)))
    if key == "month":
        year, month = str(value).split("-")[:2]
        return date(int(year), int(month), 1)
    return str(value) if key in TEXT_COLUMNS else value


def report_xlsx(rows: list[dict[str, object]], by: str,
                more: dict[str, list[dict[str, object]]] | None = None) -> bytes:
    """The rows of ``engine.stats.report(facts, by)`` as a workbook, and one more sheet per entry of ``more``."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"Thống kê theo {GROUPING_NAMES.get(by, by)}"[:31]
    if rows:
        keys = list(rows[0])
        sheet.append([HEADERS.get(k, k) for k in keys])
        for row in rows:
            sheet.append([_value(k, row.get(k)) for k in keys])
            for key, cell in zip(keys, sheet[sheet.max_row], strict=True):
                if key in TEXT_COLUMNS or cell.data_type == "f":  # never a number or a formula
                    cell.data_type = "s"
                    cell.number_format = "@"
                elif key in FORMATS:
                    cell.number_format = FORMATS[key]
        for i, key in enumerate(keys, start=1):
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = 40 if key == "name" else 16
    for title, extra in (more or {}).items():
        sheet = book.create_sheet(title[:31])
        if extra:
            keys = list(extra[0])
            sheet.append(keys)
            for row in extra:
                sheet.append([row.get(k) for k in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
