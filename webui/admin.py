"""Administration: agencies, officials and the working-calendar overrides."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import (
    LEVELS,
    ROLES,
    Conflict,
    InvalidInput,
    NotFound,
    agencies,
    calendar_decisions,
    change_official,
    create_agency,
    create_official,
    list_overrides,
    officials,
    set_override,
)
from engine import remove_override as forget_override
from webui.auth import actor, roles_required
from webui.display import role_label
from webui.extensions import get_engine

bp = Blueprint("admin", __name__)


def _page(status: int = 200, form: dict[str, str] | None = None) -> tuple[str, int]:
    engine = get_engine()
    decisions = calendar_decisions.list_decisions(engine)
    years = sorted({d.year for d in decisions}, reverse=True)
    year = request.args.get("year", type=int) or (years[0] if years else None)
    return render_template("admin/index.html", agencies=agencies(engine), officials=officials(engine), roles=ROLES,
                           levels=LEVELS, overrides=list_overrides(engine),
                           decisions=[d for d in decisions if d.year == year], decision_years=years,
                           decision_year=year, form=form or {}), status


@bp.route("/admin")
@roles_required("admin")
def index() -> ResponseReturnValue:
    return _page()


@bp.route("/admin/agencies", methods=["POST"])
@roles_required("admin")
def add_agency() -> ResponseReturnValue:
    f = request.form
    try:
        found = create_agency(get_engine(), f.get("code", ""), f.get("name", ""), parent=f.get("parent") or None,
                              level=f.get("level", "province"), address=f.get("address", "").strip(),
                              phone=f.get("phone", "").strip(), email=f.get("email", "").strip())
    except (InvalidInput, Conflict, NotFound) as exc:
        flash(str(exc), "error")
        return _page(400, dict(f))
    flash(_("Đã thêm cơ quan %(name)s.", name=found.name), "success")
    return redirect(url_for("admin.index") + "#agencies")


@bp.route("/admin/officials", methods=["POST"])
@roles_required("admin")
def add_official() -> ResponseReturnValue:
    f = request.form
    try:
        found = create_official(get_engine(), f.get("username", ""), full_name=f.get("full_name", ""),
                                agency_code=f.get("agency", ""), roles=f.getlist("roles"),
                                password=f.get("password", ""))
    except (InvalidInput, Conflict, NotFound) as exc:
        flash(str(exc), "error")
        return _page(400, {k: v for k, v in f.items() if k != "password"})
    flash(_("Đã thêm cán bộ %(name)s.", name=found.full_name), "success")
    return redirect(url_for("admin.index") + "#officials")


@bp.route("/admin/officials/<username>/active", methods=["POST"])
@roles_required("admin")
def set_official_active(username: str) -> ResponseReturnValue:
    """Deactivate (active=0) or reactivate (active=1) an official."""
    value = request.form.get("active", "")
    if value not in ("0", "1"):
        flash(_("Yêu cầu không hợp lệ: thiếu trạng thái tài khoản."), "error")
        return _page(400)
    try:
        found = change_official(get_engine(), username, by=actor(), active=value == "1")
    except (InvalidInput, NotFound) as exc:
        flash(str(exc), "error")
        return _page(400)
    if found.active:
        flash(_("Đã mở lại tài khoản của %(name)s.", name=found.full_name), "success")
    else:
        flash(_("Đã khoá tài khoản của %(name)s; các bước họ đang nhận đã trả về hàng đợi của cơ quan.",
                name=found.full_name), "success")
    return redirect(url_for("admin.index") + "#officials")


@bp.route("/admin/officials/<username>/roles", methods=["POST"])
@roles_required("admin")
def set_official_roles(username: str) -> ResponseReturnValue:
    """Replace an official's roles with the checked ones."""
    try:
        found = change_official(get_engine(), username, by=actor(), roles=request.form.getlist("roles"))
    except (InvalidInput, NotFound) as exc:
        flash(str(exc), "error")
        return _page(400)
    flash(_("Đã cập nhật vai trò của %(name)s: %(roles)s.", name=found.full_name,
            roles=role_label("/".join(sorted(found.roles)))), "success")
    return redirect(url_for("admin.index") + "#officials")


@bp.route("/admin/calendar/<day>/delete", methods=["POST"])
@roles_required("admin")
def remove_override(day: str) -> ResponseReturnValue:
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if forget_override(get_engine(), when):
        flash(_("Đã xóa điều chỉnh lịch ngày %(day)s; ngày này theo lịch thường.", day=when.strftime("%d/%m/%Y")),
              "success")
    else:
        flash(_("Không có điều chỉnh lịch ngày %(day)s.", day=when.strftime("%d/%m/%Y")), "error")
    return redirect(url_for("admin.index") + "#calendar")


@bp.route("/admin/calendar", methods=["POST"])
@roles_required("admin")
def add_override() -> ResponseReturnValue:
    f = request.form
    try:
        day = date.fromisoformat(f.get("day", ""))
    except ValueError:
        flash(_("Ngày không hợp lệ."), "error")
        return _page(400, dict(f))
    try:
        set_override(get_engine(), day, f.get("working") == "1", f.get("note", ""))
    except InvalidInput as exc:
        flash(str(exc), "error")
        return _page(400, dict(f))
    flash(_("Đã cập nhật lịch làm việc ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("admin.index") + "#calendar")
