"""Blueprint 'steps' (to be filled in)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("steps", __name__)
