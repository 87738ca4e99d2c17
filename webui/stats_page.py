"""Statistics for leaders and admins: early / on-time / late per agency, procedure and month, with downloads."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request

from engine import stats, survey
from engine.errors import InvalidInput
from webui.auth import roles_required
from webui.extensions import get_engine
from webui.lifecycle import period_args

bp = Blueprint("stats", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _facts(date_from: date, date_to: date) -> list[stats.DossierFact]:
    engine = get_engine()
    with engine.Session() as s:
        return stats.dossier_facts(s, engine.calendar(), date_from, date_to, engine.now())


def _grouping() -> str:
    by = request.args.get("by", "procedure")
    if by not in stats.GROUPINGS:
        raise InvalidInput(f"by: {', '.join(stats.GROUPINGS)}")
    return by


@bp.route("/stats")
@roles_required("leader", "admin")
def index():  # type: ignore[no-untyped-def]
    engine = get_engine()
    date_from, date_to = period_args()
    facts = _facts(date_from, date_to)
    reports = {by: stats.report(facts, by) for by in stats.GROUPINGS}
    with engine.Session() as s:
        digitised = stats.digitisation(s, engine.calendar(), date_from, date_to)
    return render_template("stats/index.html", date_from=date_from, date_to=date_to, reports=reports,
                           digitised=digitised, total=len(facts))


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/stats.csv")
@roles_required("leader", "admin")
def csv():  # type: ignore[no-untyped-def]
    by = _grouping()
    date_from, date_to = period_args()
    body = stats.to_csv(stats.report(_facts(date_from, date_to), by)).encode("utf-8")
    return _download(body, "text/csv; charset=utf-8", f"thong-ke-{by}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.csv")


@bp.route("/stats.xlsx")
@roles_required("leader", "admin")
def xlsx():  # type: ignore[no-untyped-def]
    by = _grouping()
    date_from, date_to = period_args()
    engine = get_engine()
    with engine.Session() as session:
        satisfaction = survey.index(session, engine.calendar(), date_from, date_to)
    body = stats.to_xlsx(stats.report(_facts(date_from, date_to), by), title=f"Thống kê theo {by}",
                         more={"Mức độ hài lòng": survey.sheet_rows(satisfaction)})
    return _download(body, XLSX, f"thong-ke-{by}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx")
