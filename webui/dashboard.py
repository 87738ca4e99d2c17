"""Blueprint 'dashboard' (to be filled in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboard", __name__)


@bp.route("/dashboard")
def index() -> str:
    return "TODO"
