"""Vietnamese by default, English on request (Flask-Babel); the choice is kept in the session."""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = ("vi", "en")
babel = Babel()


def select_locale() -> str:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        return lang
    stored = session.get("lang")
    return stored if stored in LANGUAGES else "vi"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = current_language  # <html lang> follows the chosen language


def current_language() -> str:
    """The language of this response ('vi' or 'en'), as Flask-Babel selected it."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "vi"
