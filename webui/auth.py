"""Login, logout, language switch; the current official; role guards; login rate limiting."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine import Actor, RateLimit, TooManyAttempts, end_sessions, log_in, session_actor
from webui.extensions import get_engine
from webui.safe_redirect import safe_target

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập."

P = ParamSpec("P")


class Official(UserMixin):
    """The logged-in official, wrapping the engine's Actor."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def get_id(self) -> str:
        return f"{self.actor.id}.{self.actor.session_generation}"


@login_manager.user_loader
def _load(session_id: str) -> Official | None:
    """The official of a session cookie (``<official id>.<session generation>``), while it is current."""
    official_id, _dot, generation = session_id.partition(".")
    if not (official_id.isdigit() and generation.isdigit() and len(session_id) <= 40):
        return None
    found = session_actor(get_engine(), int(official_id), int(generation))
    return Official(found) if found else None


def actor() -> Actor:
    """The engine Actor of the logged-in official (call inside login_required views)."""
    official: Official = current_user
    return official.actor


def roles_required(*roles: str) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, ResponseReturnValue]]:
    """Allow the view only to officials holding one of ``roles``."""

    def decorate(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if not actor().has(*roles):
                abort(403, _("Bạn không có quyền vào trang này."))
            return view(*args, **kwargs)

        return wrapped

    return decorate


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])


def login_limit() -> RateLimit:
    attempts, seconds = current_app.config["LOGIN_RATE_LIMIT"]
    return RateLimit(int(attempts), int(seconds))


def check_credentials(username: str, password: str) -> Actor | None:
    """Authenticate, rate-limited per account and client address and per address; None when refused."""
    try:
        return log_in(get_engine(), username, password, address=request.remote_addr or "-", limit=login_limit())
    except TooManyAttempts:
        abort(429, _("Đăng nhập sai quá nhiều lần; hãy thử lại sau ít phút."))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        found = check_credentials(form.username.data or "", form.password.data or "")
        if found is not None:
            session.clear()
            login_user(Official(found))
            return redirect(safe_target(request.args.get("next"), url_for("inbox.index")))
        flash(_("Sai tên đăng nhập hoặc mật khẩu."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    end_sessions(get_engine(), actor().id)  # on every browser and device, not only this one
    logout_user()
    session.clear()
    return redirect(url_for("portal.index"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> ResponseReturnValue:
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(safe_target(request.form.get("next"), "/"))
