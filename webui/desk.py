"""Blueprint 'desk' (to be filled in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("desk", __name__)


@bp.route("/desk")
def index() -> str:
    return "TODO"
