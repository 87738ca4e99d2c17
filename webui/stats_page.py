"""Statistics for leaders and admins: early / on-time / late per agency, procedure and month, with downloads."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from engine import (
    GROUPINGS,
    DossierFact,
    InvalidInput,
    citizen,
    digitisation,
    dossier_facts,
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


@bp.route("/stats")
@roles_required("leader", "admin")
def index() -> ResponseReturnValue:
    engine = get_engine()
    try:
        date_from, date_to = period_args()
    except InvalidInput as exc:  # reversed or unreadable dates: say so beside the form, nothing else
        today = engine.today()
        return render_template("stats/index.html", date_from=today.replace(day=1), date_to=today, reports={},
                               digitised=None, total=0, period_error=str(exc)), 400
    facts = _facts(date_from, date_to)
    reports = {by: report(facts, by) for by in GROUPINGS}
    digitised = digitisation(engine, date_from, date_to)
    return render_template("stats/index.html", date_from=date_from, date_to=date_to, reports=reports,
                           digitised=digitised, total=len(facts))


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
                                   more={"Mức độ hài lòng": survey_sheet_rows(satisfaction)})
    return _download(body, XLSX, f"thong-ke-{by}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx")
