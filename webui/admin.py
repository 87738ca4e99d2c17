"""Administration: agencies, officials and the working-calendar overrides."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import accounts, overrides
from engine.errors import Conflict, InvalidInput, NotFound
from webui.auth import actor, roles_required
from webui.display import role_label
from webui.extensions import get_engine

bp = Blueprint("admin", __name__)


def _page(status: int = 200, form: dict[str, str] | None = None) -> tuple[str, int]:
    engine = get_engine()
    with engine.Session() as s:
        agencies = accounts.list_agencies(s)
        officials = accounts.list_officials(s)
    return render_template("admin/index.html", agencies=agencies, officials=officials, roles=accounts.ROLES,
                           levels=accounts.LEVELS, overrides=overrides.list_overrides(engine),
                           form=form or {}), status


@bp.route("/admin")
@roles_required("admin")
def index():  # type: ignore[no-untyped-def]
    return _page()


@bp.route("/admin/agencies", methods=["POST"])
@roles_required("admin")
def add_agency():  # type: ignore[no-untyped-def]
    engine = get_engine()
    f = request.form
    try:
        with engine.transaction() as s:
            found = accounts.add_agency(s, f.get("code", ""), f.get("name", ""), now=engine.now(),
                                        parent=f.get("parent") or None, level=f.get("level", "province"),
                                        address=f.get("address", "").strip(), phone=f.get("phone", "").strip(),
                                        email=f.get("email", "").strip())
    except (InvalidInput, Conflict, NotFound) as exc:
        flash(str(exc), "error")
        return _page(400, dict(f))
    flash(_("Đã thêm cơ quan %(name)s.", name=found.name), "success")
    return redirect(url_for("admin.index") + "#agencies")


@bp.route("/admin/officials", methods=["POST"])
@roles_required("admin")
def add_official():  # type: ignore[no-untyped-def]
    engine = get_engine()
    f = request.form
    try:
        with engine.transaction() as s:
            found = accounts.add_official(s, f.get("username", ""), full_name=f.get("full_name", ""),
                                          agency_code=f.get("agency", ""), roles=f.getlist("roles"),
                                          password=f.get("password", ""), now=engine.now())
    except (InvalidInput, Conflict, NotFound) as exc:
        flash(str(exc), "error")
        return _page(400, {k: v for k, v in f.items() if k != "password"})
    flash(_("Đã thêm cán bộ %(name)s.", name=found.full_name), "success")
    return redirect(url_for("admin.index") + "#officials")


@bp.route("/admin/officials/<username>/active", methods=["POST"])
@roles_required("admin")
def set_official_active(username: str):  # type: ignore[no-untyped-def]
    """Deactivate (active=0) or reactivate (active=1) an official."""
    value = request.form.get("active", "")
    if value not in ("0", "1"):
        flash(_("Yêu cầu không hợp lệ: thiếu trạng thái tài khoản."), "error")
        return _page(400)
    engine = get_engine()
    try:
        with engine.transaction() as s:
            found = accounts.update_official(s, username, now=engine.now(), by=actor(), active=value == "1")
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
def set_official_roles(username: str):  # type: ignore[no-untyped-def]
    """Replace an official's roles with the checked ones."""
    engine = get_engine()
    try:
        with engine.transaction() as s:
            found = accounts.update_official(s, username, now=engine.now(), by=actor(),
                                             roles=request.form.getlist("roles"))
    except (InvalidInput, NotFound) as exc:
        flash(str(exc), "error")
        return _page(400)
    flash(_("Đã cập nhật vai trò của %(name)s: %(roles)s.", name=found.full_name,
            roles=role_label("/".join(sorted(found.roles)))), "success")
    return redirect(url_for("admin.index") + "#officials")


@bp.route("/admin/calendar/<day>/delete", methods=["POST"])
@roles_required("admin")
def remove_override(day: str):  # type: ignore[no-untyped-def]
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if overrides.remove_override(get_engine(), when):
        flash(_("Đã xóa điều chỉnh lịch ngày %(day)s; ngày này theo lịch thường.", day=when.strftime("%d/%m/%Y")),
              "success")
    else:
        flash(_("Không có điều chỉnh lịch ngày %(day)s.", day=when.strftime("%d/%m/%Y")), "error")
    return redirect(url_for("admin.index") + "#calendar")


@bp.route("/admin/calendar", methods=["POST"])
@roles_required("admin")
def add_override():  # type: ignore[no-untyped-def]
    f = request.form
    try:
        day = date.fromisoformat(f.get("day", ""))
    except ValueError:
        flash(_("Ngày không hợp lệ."), "error")
        return _page(400, dict(f))
    try:
        overrides.set_override(get_engine(), day, f.get("working") == "1", f.get("note", ""))
    except InvalidInput as exc:
        flash(str(exc), "error")
        return _page(400, dict(f))
    flash(_("Đã cập nhật lịch làm việc ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("admin.index") + "#calendar")
