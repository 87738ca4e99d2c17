"""CSRF on every form, security headers on every response, API exempt from CSRF (bearer tokens)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
#: Sent on every response unless the view set its own (documents send a stricter CSP).
HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
           ("Referrer-Policy", "same-origin"), ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _add_missing(response: Response, defaults: tuple[tuple[str, str], ...]) -> None:
    for key, value in defaults:
        response.headers.setdefault(key, value)


def init_app(app: Flask) -> None:
    csrf.init_app(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        _add_missing(response, HEADERS)
        if app.config.get("SESSION_COOKIE_SECURE"):
            _add_missing(response, (HSTS,))
        return response


def exempt_api(app: Flask, api_bp: Blueprint) -> None:
    """The JSON API authenticates with bearer tokens, never cookies, so CSRF does not apply."""
    csrf.exempt(api_bp)

