"""CSRF on every form, security headers on every response, API exempt from CSRF (bearer tokens);
the signed-cookie session, without its per-request set-up when a request carries no session cookie."""

from __future__ import annotations

from flask import Blueprint, Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
#: Sent on every response unless the view set its own (documents send a stricter CSP).
HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
           ("Referrer-Policy", "same-origin"), ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _add_missing(response: Response, defaults: tuple[tuple[str, str], ...]) -> None:
    """``headers.setdefault`` for each default, with one pass over the headers instead of three per default."""
    headers = response.headers
    present = {key.lower() for key, _value in headers}
    for key, value in defaults:
        if key.lower() not in present:
            headers.add(key, value)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, unchanged, except that a request without the session cookie (every
    API call, every first visit) gets its empty session without a signer being built for it, and an empty,
    untouched session is not looked at again when the response goes out."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None  # Flask's answer too: the session is unavailable
        # No Cookie header at all (API clients): nothing to parse, the session cookie cannot be there.
        if not request.environ.get("HTTP_COOKIE") or not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:  # nothing to set and nothing to delete
            if session.accessed:
                _vary_cookie(response)
            return
        super().save_session(app, session, response)


def _vary_cookie(response: Response) -> None:
    """``response.vary.add("Cookie")``; without parsing a Vary header into a set when there is none (the
    usual case), which is what took the time. (``getlist``, because ``in`` and ``get`` build an exception
    for a header that is not there.)"""
    if response.headers.getlist("Vary"):
        response.vary.add("Cookie")
    else:
        response.headers.add("Vary", "Cookie")


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.session_interface = CookieSessions()

    @app.after_request
    def _headers(response: Response) -> Response:
        _add_missing(response, HEADERS)
        if app.config.get("SESSION_COOKIE_SECURE"):
            _add_missing(response, (HSTS,))
        return response


def exempt_api(app: Flask, api_bp: Blueprint) -> None:
    """The JSON API authenticates with bearer tokens, never cookies, so CSRF does not apply."""
    csrf.exempt(api_bp)

