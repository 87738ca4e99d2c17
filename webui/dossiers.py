"""Blueprint 'dossiers' (to be filled in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dossiers", __name__)


@bp.route("/dossiers")
def search() -> str:
    return "TODO"
