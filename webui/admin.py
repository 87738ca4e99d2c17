"""Blueprint 'admin' (to be filled in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.route("/admin")
def index() -> str:
    return "TODO"
