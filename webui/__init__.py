"""LienThong's web UI: the Flask app factory (blueprints per area, engine attached once)."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask

from engine import Documents, Engine, Settings

__all__ = ["create_app"]


def _secret_key(data_dir: Path) -> str:
    """A secret key generated once and kept under the data folder (when SECRET_KEY is not set)."""
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of several gunicorn workers starting at once, exactly one writes the key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the writer may not have finished yet
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: set SECRET_KEY or remove the file") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def create_app(test_config: dict[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (default: read from the environment); ``test_config``
    overrides Flask settings (DATABASE_URL, CLOCK, WTF_CSRF_ENABLED…)."""
    from webui import errors, i18n, security
    from webui.auth import login_manager

    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese stays readable in JSON
    settings = settings or Settings.from_env()
    data_dir = settings.data_dir.resolve()
    app.config.from_mapping(
        DATABASE_URL=settings.database_url,
        DATA_DIR=str(data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        # The desk form carries the scans of every required document (each up to MAX_DOCUMENT_BYTES).
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        DOCUMENT_DIR=str(settings.document_dir_setting or ""),  # default: DATA_DIR/documents
        MAX_DOCUMENT_BYTES=settings.max_document_bytes,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="vi",
        LOGIN_RATE_LIMIT=(settings.login_rate_limit.count, settings.login_rate_limit.seconds),
        PUBLIC_LOOKUP_RATE_LIMIT=(settings.public_lookup_rate_limit.count, settings.public_lookup_rate_limit.seconds),
        RESULT_SECRET_RATE_LIMIT=(settings.result_secret_rate_limit.count, settings.result_secret_rate_limit.seconds),
        FEEDBACK_RATE_LIMIT=(settings.feedback_rate_limit.count, settings.feedback_rate_limit.seconds),
        APPLICATION_RATE_LIMIT=(settings.application_rate_limit.count, settings.application_rate_limit.seconds),
        # Reverse proxies in front (nginx: 1); their X-Forwarded-For/-Proto then give the client's
        # address (login rate limits) and scheme. 0: headers ignored, so clients cannot forge them.
        TRUSTED_PROXIES=settings.trusted_proxies,
        CLOCK=None,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config["DOCUMENT_DIR"]:
        app.config["DOCUMENT_DIR"] = str(Path(app.config["DATA_DIR"]) / "documents")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key or _secret_key(Path(app.config["DATA_DIR"]))

    engine = app.config.get("ENGINE") or Engine(app.config["DATABASE_URL"], settings=settings,
                                                clock=app.config["CLOCK"])
    app.extensions["lienthong_engine"] = engine
    app.extensions["lienthong_documents"] = app.config.get("DOCUMENTS") or Documents(
        engine, app.config["DOCUMENT_DIR"], max_bytes=app.config["MAX_DOCUMENT_BYTES"])

    security.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    errors.init_app(app)

    from webui import (
        admin,
        api,
        api_applications,
        api_lifecycle,
        api_procedures,
        applications,
        auth,
        calendar_admin,
        dashboard,
        designer,
        desk,
        desk_applications,
        documents,
        dossiers,
        feedback_api,
        feedback_pages,
        guides,
        inbox,
        lifecycle,
        modeler,
        notice_templates,
        portal,
        review,
        stats_page,
        steps,
        survey,
        time_review,
    )

    for module in (auth, portal, applications, inbox, steps, desk, desk_applications, dossiers, lifecycle, documents,
                   dashboard, stats_page, time_review, designer, modeler, review, admin, calendar_admin,
                   notice_templates, survey, api, api_lifecycle, api_procedures, api_applications, feedback_pages,
                   feedback_api, guides):
        app.register_blueprint(module.bp)
    app.register_blueprint(time_review.api_bp)
    security.exempt_api(app, api.bp)
    security.exempt_api(app, api_lifecycle.bp)
    security.exempt_api(app, api_procedures.bp)
    security.exempt_api(app, feedback_api.bp)
    security.exempt_api(app, api_applications.bp)
    security.exempt_api(app, time_review.api_bp)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
