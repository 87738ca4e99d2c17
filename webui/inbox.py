"""Blueprint 'inbox' (to be filled in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("inbox", __name__)


@bp.route("/inbox")
def index() -> str:
    return "TODO"
