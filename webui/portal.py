"""Blueprint 'portal' (to be filled in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("portal", __name__)


@bp.route("/")
def index() -> str:
    return "TODO"


@bp.route("/tra-cuu")
def lookup() -> str:
    return "TODO"
