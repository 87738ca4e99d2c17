"""A leader of the owning agency reviews a submitted procedure change: what it changes against the
version in force (steps, agencies, budgets, path totals against the limits), side by side and on both
diagrams, then approves it with the decision's number and date or sends it back with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import InvalidInput, approval, has_layout, steptable
from webui.auth import actor, roles_required
from webui.extensions import get_engine

bp = Blueprint("review", __name__)


def _days(value: Decimal | None) -> str:
    return steptable.format_number(value) if value is not None else "–"


def _marks(summary: approval.ChangeSummary) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Overlays for the submitted diagram and for the version in force."""
    new: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    for s in summary.changed:
        if s.change == "added":
            new.append({"element": s.element_id, "state": "added", "text": _("Mới · %(d)s ngày", d=_days(s.new_days))})
        elif s.change == "removed":
            old.append({"element": s.element_id, "state": "late", "text": _("Bỏ")})
        elif s.change == "moved":
            text = _("Chuyển sang %(a)s", a=s.new_agency)
            new.append({"element": s.element_id, "state": "moved", "text": text})
            old.append({"element": s.element_id, "state": "moved", "text": _("Chuyển đi")})
        else:
            text = f"{_days(s.old_days)} → {_days(s.new_days)} {_('ngày')}"
            new.append({"element": s.element_id, "state": "changed", "text": text})
            old.append({"element": s.element_id, "state": "changed", "text": text})
    return new, old


@bp.route("/designer/reviews")
@roles_required("leader")
def index() -> ResponseReturnValue:
    return render_template("designer/reviews.html", pending=approval.pending(get_engine(), actor()))


@bp.route("/designer/reviews/<code>/<int:version>")
@roles_required("leader", "designer", "admin")
def show(code: str, version: int) -> ResponseReturnValue:
    engine = get_engine()
    summary = approval.change_summary(engine, code, version)
    new_xml = engine.definition(engine.procedure(code, version).definition_id).bpmn.decode("utf-8")
    old_xml = None
    if summary.base_version is not None:
        old_xml = engine.definition(engine.procedure(code, summary.base_version).definition_id).bpmn.decode("utf-8")
    new_marks, old_marks = _marks(summary)
    new_view = {"xml": new_xml, "marks": new_marks} if has_layout(new_xml.encode()) else None
    old_view = {"xml": old_xml, "marks": old_marks} if old_xml and has_layout(old_xml.encode()) else None
    me = actor()
    can_decide = summary.status == approval.SUBMITTED and me.has("leader") and me.agency_code == summary.owner_agency
    return render_template("designer/review.html", s=summary, days=_days, can_decide=can_decide,
                           new_view=new_view, old_view=old_view)


@bp.route("/designer/reviews/<code>/<int:version>/approve", methods=["POST"])
@roles_required("leader")
def approve(code: str, version: int) -> ResponseReturnValue:
    try:
        decided = date.fromisoformat(request.form.get("decision_date", ""))
    except ValueError:
        flash(_("Hãy nhập ngày của quyết định phê duyệt."), "error")
        return redirect(url_for("review.show", code=code, version=version))
    try:
        approval.approve(get_engine(), actor(), code, version,
                         decision_number=request.form.get("decision_number", ""), decision_date=decided)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("review.show", code=code, version=version))
    flash(_("Đã phê duyệt và công bố thủ tục %(code)s, phiên bản %(version)s.", code=code, version=version), "success")
    return redirect(url_for("review.index"))


@bp.route("/designer/reviews/<code>/<int:version>/send-back", methods=["POST"])
@roles_required("leader")
def send_back(code: str, version: int) -> ResponseReturnValue:
    try:
        approval.send_back(get_engine(), actor(), code, version, reason=request.form.get("reason", ""))
    except InvalidInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("review.show", code=code, version=version))
    flash(_("Đã trả lại thủ tục %(code)s, phiên bản %(version)s cho cán bộ thiết kế.", code=code, version=version),
          "success")
    return redirect(url_for("review.index"))
