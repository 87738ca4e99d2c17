"""The official's inbox: open steps of their agency, in three sections (ready, mine, colleagues')."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webui import display
from webui.auth import actor
from webui.extensions import get_engine

bp = Blueprint("inbox", __name__)
# The shared Jinja filters (times, labels) are installed with the first blueprint every page uses.
bp.record_once(lambda state: display.init_app(state.app))

SORTS = ("due", "-due")


@bp.route("/inbox")
@login_required
def index() -> ResponseReturnValue:
    engine = get_engine()
    me = actor()
    procedure = request.args.get("procedure", "").strip() or None
    sort = request.args.get("sort", "due")
    if sort not in SORTS:
        sort = "due"
    now = engine.now()
    steps = engine.inbox(me, procedure=procedure, limit=1000) if me.has("clerk", "officer", "leader") else []
    # Overdue steps always lead; within each group, the chosen order of due time.
    far = now.replace(year=9999)
    steps.sort(key=lambda s: s.due_at or far, reverse=sort == "-due")
    steps.sort(key=lambda s: not s.is_overdue(now))
    sections = {
        "ready": [s for s in steps if s.state == "ready"],
        "mine": [s for s in steps if s.state == "claimed" and s.assignee_id == me.id],
        "others": [s for s in steps if s.state == "claimed" and s.assignee_id != me.id],
    }
    return render_template("inbox/index.html", sections=sections, now=now, procedures=engine.procedures(),
                           procedure=procedure or "", sort=sort,
                           names={p.code: p.name for p in engine.procedures()})
