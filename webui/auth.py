"""Login, logout, language switch; the current official; role guards; login rate limiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine import accounts, models
from engine.accounts import Actor
from webui.extensions import get_engine
from webui.safe_redirect import safe_target

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập."

F = TypeVar("F", bound=Callable[..., Any])


class Official(UserMixin):
    """The logged-in official, wrapping the engine's Actor."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def get_id(self) -> str:
        return str(self.actor.id)


@login_manager.user_loader
def _load(user_id: str) -> Official | None:
    engine = get_engine()
    with engine.Session() as s:
        actor = accounts.get_actor(s, int(user_id)) if user_id.isdigit() else None
    return Official(actor) if actor else None


def actor() -> Actor:
    """The engine Actor of the logged-in official (call inside login_required views)."""
    return current_user.actor  # type: ignore[no-any-return]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow the view only to officials holding one of ``roles``."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not actor().has(*roles):
                abort(403, _("Bạn không có quyền vào trang này."))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])


def too_many_attempts(key: str) -> bool:
    """True when ``key`` (a username or an address) failed too often recently."""
    engine = get_engine()
    limit, window = current_app.config["LOGIN_RATE_LIMIT"]
    since = engine.now() - timedelta(seconds=window)
    with engine.Session() as s:
        count = s.scalar(select(func.count()).select_from(models.LoginAttempt).where(
            models.LoginAttempt.key == key, models.LoginAttempt.at >= since,
            models.LoginAttempt.success.is_(False)))
    return bool(count and count >= limit)


def record_attempt(keys: list[str], success: bool) -> None:
    engine = get_engine()
    with engine.transaction() as s:
        for key in keys:
            s.add(models.LoginAttempt(key=key, at=engine.now(), success=success))


def check_credentials(username: str, password: str) -> Actor | None:
    """Authenticate with rate limiting by username and by client address; None when refused."""
    keys = [f"user:{username.strip().lower()}", f"ip:{request.remote_addr or '-'}"]
    if any(too_many_attempts(k) for k in keys):
        abort(429, _("Đăng nhập sai quá nhiều lần; hãy thử lại sau ít phút."))
    engine = get_engine()
    with engine.transaction() as s:
        found = accounts.authenticate(s, username, password)
    record_attempt(keys, found is not None)
    return found


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
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
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    return redirect(url_for("portal.index"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):  # type: ignore[no-untyped-def]
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(safe_target(request.form.get("next"), "/"))
