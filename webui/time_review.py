"""The review of times for leaders and the office: where the days go, what-if before a cut, the report, the log."""

from __future__ import annotations

import io
import tempfile
from datetime import date, timedelta
from typing import Any

import orjson
from flask import Blueprint, Response, g, jsonify, render_template, request, send_file
from flask_babel import format_decimal
from flask_babel import gettext as _

from engine import InvalidInput, Review, charts, flowchart, paperwork, review_report, reviewing
from webui.api import token_required
from webui.auth import actor, roles_required
from webui.extensions import get_engine

bp = Blueprint("time_review", __name__)
api_bp = Blueprint("time_review_api", __name__, url_prefix="/api/v1")

ROLES = reviewing.REVIEW_ROLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_FORM_CHANGES = 10
#: Bytes of an event log kept in memory before the download spills to a temporary file.
LOG_SPOOL_BYTES = 8 * 1024 * 1024
#: Lateness share from which a step is drawn red (and orange from the lower one).
HOT, WARM = 0.25, 0.05


def _period(source: Any) -> tuple[date, date]:
    """``from``/``to`` of the request (default: the last 365 days); bad dates are a clear 400."""
    today = get_engine().calendar().localize(get_engine().now()).date()
    try:
        date_to = date.fromisoformat(source["to"]) if source.get("to") else today
        date_from = date.fromisoformat(source["from"]) if source.get("from") else date_to - timedelta(days=364)
    except (TypeError, ValueError):
        raise InvalidInput(_("Ngày không hợp lệ (YYYY-MM-DD).")) from None
    if date_from > date_to:
        raise InvalidInput(_("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."))
    return date_from, date_to


def _percent(value: float | None) -> str:
    return "—" if value is None else format_decimal(round(value * 100, 1), format="#,##0.0") + "%"


def _hours(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.0")


def _charts(review: Review) -> dict[str, str]:
    names = [s.name for s in review.steps]
    return {
        "months": charts.line(_("Tỷ lệ hồ sơ đúng hạn theo tháng tiếp nhận"), [m for m, _n, _s in review.by_month],
                              charts.Series(_("Đúng hạn"), [None if s is None else s * 100
                                                            for _m, _n, s in review.by_month]),
                              fmt=lambda v: format_decimal(round(v, 1), format="#,##0.0") + "%"),
        "times": charts.bars(_("Thời gian từng bước (giờ làm việc, trung vị)"), names, [
            charts.Series(_("Chờ xử lý"), [s.waiting_hours.p50 for s in review.steps]),
            charts.Series(_("Xử lý"), [s.working_hours.p50 for s in review.steps])],
            fmt=lambda v: format_decimal(round(v, 1), format="#,##0.0")),
        "lateness": charts.bars(_("Phần gây trễ hạn của từng bước"), names, [
            charts.Series(_("Phần gây trễ hạn"), [None if s.lateness_share is None else s.lateness_share * 100
                                                  for s in review.steps])], maximum=100,
            fmt=lambda v: format_decimal(round(v, 1), format="#,##0.0") + "%"),
    }


def _compare(what_if: dict[str, Any] | None) -> str:
    """Before and after of a what-if, as bars (the table beside it has the same figures)."""
    if what_if is None:
        return ""
    pct = [what_if[k]["on_time_share"] for k in ("baseline", "predicted")]
    return charts.bars(_("Tỷ lệ đúng hạn: hiện nay và dự báo"), [_("Hiện nay"), _("Dự báo")],
                       [charts.Series(_("Tỷ lệ đúng hạn"), [None if v is None else v * 100 for v in pct])],
                       maximum=100, fmt=lambda v: format_decimal(round(v, 1), format="#,##0.0") + "%")


def _form_changes(form: Any) -> list[dict[str, Any]]:
    """The what-if form's rows as the API's ``changes``; empty rows are skipped, bad numbers refused."""
    changes: list[dict[str, Any]] = []

    def number(raw: str, integer: bool = False) -> float | int:
        try:
            value = int(raw) if integer else float(raw.replace(",", "."))
        except ValueError:
            raise InvalidInput(_("Giá trị không hợp lệ: %(value)s", value=raw[:40])) from None
        return value

    for step, days in zip(form.getlist("step")[:MAX_FORM_CHANGES], form.getlist("step_days")[:MAX_FORM_CHANGES],
                          strict=False):
        if step and days.strip():
            changes.append({"step": step, "working_days": number(days.strip())})
    if form.get("legal_days", "").strip():
        changes.append({"legal_working_days": number(form["legal_days"].strip())})
    for agency, more in zip(form.getlist("agency")[:MAX_FORM_CHANGES], form.getlist("officials")[:MAX_FORM_CHANGES],
                            strict=False):
        if agency and more.strip():
            changes.append({"agency": agency, "officials": number(more.strip(), integer=True)})
    if not changes:
        raise InvalidInput(_("Hãy nhập ít nhất một thay đổi để dự báo."))
    return changes


def _page(code: str, what_if: dict[str, Any] | None = None, changes: list[dict[str, Any]] | None = None,
          status: int = 200) -> tuple[str, int]:
    engine = get_engine()
    date_from, date_to = _period(request.values)
    review = reviewing.procedure_review(engine, actor(), code, date_from, date_to)
    summary = engine.procedure(code)
    return render_template(
        "time_review/show.html", review=review, summary=summary, date_from=date_from, date_to=date_to,
        charts=_charts(review), percent=_percent, hours=_hours, what_if=what_if, compare=_compare(what_if),
        changes_text=orjson.dumps(changes).decode() if changes else "",
        described=review_report.describe_changes(changes or [], {s.id: s.name for s in review.steps})), status


@bp.route("/review")
@roles_required(*ROLES)
def index() -> str:
    return render_template("time_review/index.html", procedures=get_engine().procedures())


@bp.route("/review/<code>")
@roles_required(*ROLES)
def show(code: str) -> tuple[str, int]:
    return _page(code)


@bp.route("/review/<code>/what-if", methods=["POST"])
@roles_required(*ROLES)
def what_if(code: str) -> tuple[str, int]:
    engine = get_engine()
    date_from, date_to = _period(request.values)
    changes = _form_changes(request.form)
    result = reviewing.procedure_what_if(engine, actor(), code, date_from, date_to, changes)
    return _page(code, result, changes)


@bp.route("/review/<code>/diagram.svg")
@roles_required(*ROLES)
def diagram(code: str) -> Response:
    """The procedure's flowchart, each step coloured by its share of the lateness."""
    engine = get_engine()
    date_from, date_to = _period(request.args)
    review = reviewing.procedure_review(engine, actor(), code, date_from, date_to)
    overlay = {s.id: ("lateness_high" if (s.lateness_share or 0) >= HOT else
                      "lateness_some" if (s.lateness_share or 0) >= WARM else "lateness_none")
               for s in review.steps}
    bpmn = engine.definition(engine.procedure(code).definition_id).bpmn
    svg = flowchart.render_bytes(bpmn, "svg", overlay=overlay)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-cache"})


@bp.route("/review/<code>/log.<fmt>")
@roles_required(*ROLES)
def log(code: str, fmt: str) -> Response:
    """The event log as a download; written to a spooled file first, so a year's log (hundreds of MB)
    never sits in memory."""
    date_from, date_to = _period(request.args)
    spool = tempfile.SpooledTemporaryFile(max_size=LOG_SPOOL_BYTES, mode="w+b")  # noqa: SIM115 - closed by send_file
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    reviewing.export_log(get_engine(), actor(), code, date_from, date_to, fmt, text)
    text.flush()
    text.detach()
    spool.seek(0)
    mimetype = "application/xml" if fmt == "xes" else "text/csv"
    name = f"nhat-ky-{code}-{date_from.isoformat()}-{date_to.isoformat()}.{fmt}"
    return send_file(spool, mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/review/<code>/report.<fmt>", methods=["GET", "POST"])
@roles_required(*ROLES)
def report(code: str, fmt: str) -> Response:
    """Báo cáo rà soát as PDF or XLSX; with ``changes`` (the page's last what-if) it carries the proposal."""
    if fmt not in ("pdf", "xlsx"):
        raise InvalidInput(_("Định dạng không hỗ trợ: %(fmt)s", fmt=fmt[:10]))
    engine = get_engine()
    date_from, date_to = _period(request.values)
    review = reviewing.procedure_review(engine, actor(), code, date_from, date_to)
    summary = engine.procedure(code)
    proposal = None
    raw = request.values.get("changes", "")
    if raw:
        try:
            changes = orjson.loads(raw[:20_000])
        except orjson.JSONDecodeError:
            raise InvalidInput(_("Phương án cắt giảm không hợp lệ.")) from None
        result = reviewing.procedure_what_if(engine, actor(), code, date_from, date_to, changes)
        proposal = review_report.Proposal(review_report.describe_changes(changes, {s.id: s.name for s in review.steps}),
                                          result["baseline"], result["predicted"])
    args = (review, date_from, date_to, summary.legal_working_days, summary.reduced_working_days, proposal)
    name = f"bao-cao-ra-soat-{code}-{date_to.isoformat()}.{fmt}"
    if fmt == "pdf":
        body, mimetype = paperwork.render_pdf(review_report.report_html(*args)), "application/pdf"
    else:
        body, mimetype = review_report.report_xlsx(*args), XLSX
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ------------------------------------------------------------------------------------------------ the JSON API


def _api_body() -> dict[str, Any]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput(_("Nội dung yêu cầu phải là một đối tượng JSON."))
    return payload


@api_bp.get("/procedures/<code>/review")
@token_required
def api_review(code: str) -> Response:
    date_from, date_to = _period(request.args)
    review = reviewing.procedure_review(get_engine(), g.api_actor, code, date_from, date_to)
    return jsonify(review.as_json() | {"from": date_from.isoformat(), "to": date_to.isoformat()})


@api_bp.post("/procedures/<code>/what-if")
@token_required
def api_what_if(code: str) -> Response:
    body = _api_body()
    date_from, date_to = _period(body)
    result = reviewing.procedure_what_if(get_engine(), g.api_actor, code, date_from, date_to, body.get("changes"))
    return jsonify(result | {"from": date_from.isoformat(), "to": date_to.isoformat()})
