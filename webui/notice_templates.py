"""Administration of the citizen notification templates: each kind and channel with its text, an
edit stored in the database (an empty text goes back to the template shipped with LienThong)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from engine import InvalidInput, citizen, notifications
from webui.auth import roles_required
from webui.extensions import get_engine

bp = Blueprint("notice_templates", __name__)


def _page(status: int = 200, error_name: str = "", error: str = "", given: str = "") -> tuple[str, int]:
    engine = get_engine()
    rows = [{"name": name, "body": given if name == error_name else body,
             "default": notifications.default_template(name)} for name, body in citizen.notice_templates(engine)]
    return render_template("admin/notice_templates.html", rows=rows, error_name=error_name, error=error,
                           fields=sorted(notifications.SAMPLE)), status


@bp.route("/admin/notifications")
@roles_required("admin")
def index() -> ResponseReturnValue:
    return _page()


@bp.route("/admin/notifications/<name>", methods=["POST"])
@roles_required("admin")
def save(name: str) -> ResponseReturnValue:
    body = request.form.get("body", "")[:notifications.MAX_TEMPLATE + 1]
    engine = get_engine()
    try:
        citizen.save_notice_template(engine, name, body)
    except InvalidInput as exc:
        return _page(400, name, str(exc), body)
    flash(_("Đã lưu mẫu thông báo %(name)s", name=name))
    return redirect(url_for("notice_templates.index") + f"#t-{name}")
