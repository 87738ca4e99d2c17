"""The leaders' dashboard: the agency's load, overdue and soon-due steps, on-time rates."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from engine import agencies, agency_dashboard, digitisation
from webui.auth import actor, roles_required
from webui.extensions import get_engine

bp = Blueprint("dashboard", __name__)


@bp.route("/dashboard")
@roles_required("leader", "admin")
def index() -> ResponseReturnValue:
    engine = get_engine()
    me = actor()
    listed = []
    agency_id, agency_name = me.agency_id, me.agency_name
    if me.has("admin"):  # an admin may look at any agency
        listed = agencies(engine)
        chosen = next((a for a in listed if a.code == request.args.get("agency")), None)
        if chosen is not None:
            agency_id, agency_name = chosen.id, chosen.name
    board = agency_dashboard(engine, agency_id)
    today = engine.calendar().localize(engine.now()).date()
    digitised = digitisation(engine, today.replace(day=1), today)
    return render_template("dashboard/index.html", board=board, agency_name=agency_name, agencies=listed,
                           agency_id=agency_id, now=engine.now(), digitised=digitised)
