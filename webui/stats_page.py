"""Statistics for leaders and admins: early / on-time / late per agency, procedure and month, with downloads."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import (
    GROUPINGS,
    DossierFact,
    InvalidInput,
    charts,
    citizen,
    digitisation,
    dossier_facts,
    feedback_stats,
    report,
    spreadsheet,
    survey_sheet_rows,
    to_csv,
)
from webui.auth import roles_required
from webui.dates import period_args
from webui.extensions import get_engine

bp = Blueprint("stats", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _facts(date_from: date, date_to: date) -> list[DossierFact]:
    return dossier_facts(get_engine(), date_from, date_to)


def _grouping() -> str:
    by = request.args.get("by", "procedure")
    if by not in GROUPINGS:
        raise InvalidInput(f"by: {', '.join(GROUPINGS)}")
    return by


def _rate(row: dict[str, object]) -> float | None:
    value = row.get("on_time_rate")
    return float(value) if isinstance(value, (int, float)) else None


def _charts(reports: dict[str, list[dict[str, object]]]) -> dict[str, str]:
    """The on-time rate (QĐ 766) drawn: over the months, per procedure and per agency (SVG; tables below)."""
    out: dict[str, str] = {}
    months = reports.get("month", [])
    if months:
        out["months"] = charts.line(_("Tỷ lệ đúng hạn theo tháng (%)"), [str(r["month"]) for r in months],
                                    charts.Series(_("Tỷ lệ đúng hạn"), [_rate(r) for r in months]))
    for by, title in (("procedure", _("Tỷ lệ đúng hạn theo thủ tục (%)")),
                      ("agency", _("Tỷ lệ đúng hạn theo cơ quan (%)"))):
        rows = reports.get(by, [])
        if rows:
            out[by] = charts.bars(title, [str(r["name"] or r[by]) for r in rows],
                                  [charts.Series(_("Tỷ lệ đúng hạn"), [_rate(r) for r in rows])], maximum=100)
    return out


@bp.route("/stats")
@roles_required("leader", "admin")
def index() -> ResponseReturnValue:
    engine = get_engine()
    try:
        date_from, date_to = period_args()
    except InvalidInput as exc:  # reversed or unreadable dates: say so beside the form, nothing else
        today = engine.today()
        return render_template("stats/index.html", date_from=today.replace(day=1), date_to=today, reports={},
                               digitised=None, total=0, charts={}, pakn=None, satisfaction=None,
                               period_error=str(exc)), 400
    facts = _facts(date_from, date_to)
    reports = {by: report(facts, by) for by in GROUPINGS}
    digitised = digitisation(engine, date_from, date_to)
    pakn = feedback_stats.figures(engine, date_from, date_to)
    satisfaction = citizen.satisfaction(engine, date_from, date_to)
    return render_template("stats/index.html", date_from=date_from, date_to=date_to, reports=reports,
                           satisfaction=satisfaction,
                           digitised=digitised, total=len(facts), charts=_charts(reports), pakn=pakn)


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/stats.csv")
@roles_required("leader", "admin")
def csv() -> ResponseReturnValue:
    by = _grouping()
    date_from, date_to = period_args()
    body = to_csv(report(_facts(date_from, date_to), by)).encode("utf-8")
    return _download(body, "text/csv; charset=utf-8", f"thong-ke-{by}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.csv")


@bp.route("/stats.xlsx")
@roles_required("leader", "admin")
def xlsx() -> ResponseReturnValue:
    by = _grouping()
    date_from, date_to = period_args()
    satisfaction = citizen.satisfaction(get_engine(), date_from, date_to)
    body = spreadsheet.report_xlsx(report(_facts(date_from, date_to), by), by,
                                   more={"Mức độ hài lòng": survey_sheet_rows(satisfaction),
                                         "Phản ánh, kiến nghị": feedback_stats.sheet_rows(
                                             feedback_stats.figures(get_engine(), date_from, date_to)),
                                         "Số hóa, trực tuyến": _reception_rows(date_from, date_to)})
    return _download(body, XLSX, f"thong-ke-{by}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx")


def _reception_rows(date_from: date, date_to: date) -> list[dict[str, object]]:
    """Digitisation and the online share (QĐ 766) per receiving agency and per procedure."""
    by_agency, by_procedure = digitisation(get_engine(), date_from, date_to)
    return [{"Theo": group, "Mã": r.code, "Tên": r.name, "Tiếp nhận": r.received, "Có danh mục giấy tờ": r.with_list,
             "Số hóa đủ": r.digitised, "Tỷ lệ số hóa (%)": r.share, "Nộp trực tuyến": r.online,
             "Tỷ lệ trực tuyến (%)": r.online_share}
            for group, rows in (("cơ quan", by_agency), ("thủ tục", by_procedure)) for r in rows]
