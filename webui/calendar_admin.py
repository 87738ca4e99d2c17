"""Administration of the calendar decisions: list by year, add a decision with its days, confirm one."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import Conflict, InvalidInput, NotFound, calendar_decisions
from webui.admin import _page
from webui.auth import actor, roles_required
from webui.extensions import get_engine

bp = Blueprint("calendar_admin", __name__)

#: Lines of days read from one form field.
MAX_LINES = 60


def parse_days(text: str, working: bool) -> list[tuple[date, bool, str]]:
    """One day a line, ``YYYY-MM-DD`` then an optional note: "2026-01-02 Nghỉ Tết Dương lịch"."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise InvalidInput(_("Tối đa %(n)d ngày mỗi loại.", n=MAX_LINES))
    out = []
    for line in lines:
        head, _sep, note = line.partition(" ")
        try:
            day = date.fromisoformat(head)
        except ValueError as exc:
            raise InvalidInput(_("Ngày không hợp lệ: %(text)s (ghi YYYY-MM-DD).", text=head[:20])) from exc
        out.append((day, working, note.strip()))
    return out


@bp.route("/admin/calendar/decisions", methods=["POST"])
@roles_required("admin")
def add_decision() -> ResponseReturnValue:
    f = request.form
    try:
        issued_text = f.get("issued_on", "").strip()
        try:
            issued_on = date.fromisoformat(issued_text) if issued_text else None
        except ValueError as exc:
            raise InvalidInput(_("Ngày ban hành không hợp lệ.")) from exc
        days = parse_days(f.get("days_off", ""), False) + parse_days(f.get("working_days", ""), True)
        decision = calendar_decisions.add_decision(
            get_engine(), number=f.get("number", ""), issued_on=issued_on, issuer=f.get("issuer", ""),
            title=f.get("title", ""), source=f.get("source", "").strip(), confirmed=f.get("confirmed") == "1",
            days=days, actor=actor().username)
    except (InvalidInput, Conflict) as exc:
        flash(str(exc), "error")
        return _page(400, dict(f))
    flash(_("Đã ghi quyết định %(title)s.", title=decision.title), "success")
    return redirect(url_for("admin.index", year=decision.year) + "#calendar")


@bp.route("/admin/calendar/decisions/<key>/confirm", methods=["POST"])
@roles_required("admin")
def confirm_decision(key: str) -> ResponseReturnValue:
    try:
        calendar_decisions.confirm_decision(get_engine(), key, actor().username)
    except NotFound as exc:
        flash(str(exc), "error")
        return _page(404)
    except Conflict as exc:
        flash(str(exc), "error")
        return _page(409)
    flash(_("Đã xác nhận quyết định; thời hạn các hồ sơ đang giải quyết đã được tính lại."), "success")
    return redirect(url_for("admin.index") + "#calendar")
