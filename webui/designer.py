"""Blueprint 'designer' (to be filled in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("designer", __name__)


@bp.route("/designer")
def index() -> str:
    return "TODO"
