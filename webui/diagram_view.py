"""The configuration of bpmn-js's NavigatedViewer (static/modeler/viewer.js) for a diagram that
carries its own layout: the XML and one overlay per step, like Camunda Cockpit. Diagrams without a
layout keep the graphviz drawing (engine.flowchart)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from engine import DossierView, StepView, has_layout, steptable

_RANK = {"cancelled": 0, "done": 1, "active": 2, "late": 2}


def _mark(step: StepView, now: datetime, localize: Any) -> tuple[str, str, str]:
    days = steptable.format_number(step.working_days)
    due = localize(step.due_at).strftime("%d/%m %H:%M") if step.due_at else ""
    if step.is_open():
        late = step.is_overdue(now)
        state = "late" if late else "active"
        text = _("Trễ hạn · hạn %(due)s", due=due) if late else _("%(days)s ngày · hạn %(due)s", days=days, due=due)
    elif step.state == "completed":
        state = "done"
        text = _("Xong, trễ hạn") if step.timeliness == "late" else _("Xong")
    else:
        state, text = "cancelled", _("Đã hủy")
    who = step.assignee_name or step.completed_by_name or ""
    title = " · ".join(x for x in (step.agency_name, who, _("%(days)s ngày làm việc", days=days)) if x)
    return state, text, title


def dossier_view(dossier: DossierView, bpmn: bytes, now: datetime, localize: Any) -> dict[str, Any] | None:
    """The viewer's configuration for a dossier's live diagram; None when the diagram has no layout."""
    if not has_layout(bpmn):
        return None
    marks: dict[str, dict[str, str]] = {}
    for step in dossier.steps:  # an open step outranks earlier passes through the same element
        state, text, title = _mark(step, now, localize)
        kept = marks.get(step.element_id)
        if kept is None or _RANK[state] >= _RANK[kept["state"]]:
            marks[step.element_id] = {"element": step.element_id, "state": state, "text": text, "title": title}
    return {"xml": bpmn.decode("utf-8"), "marks": list(marks.values())}


def plain_view(bpmn: bytes) -> dict[str, Any] | None:
    """The viewer's configuration for a diagram without overlays (the designer's preview)."""
    return {"xml": bpmn.decode("utf-8"), "marks": []} if has_layout(bpmn) else None
