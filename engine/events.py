"""One way to record what happened: ``record()`` writes the event log entry and, for a dossier's
status change or a step's handover, the outbox message, both in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine import models, outbox

__all__ = ["OUTBOX_ACTIONS", "record"]

_EVENT_INSERT = insert(models.Event)

#: Actions other parts of the system react to (statistics, notifications): they go to the outbox too.
OUTBOX_ACTIONS = frozenset({
    "dossier.received", "dossier.waiting_supplement", "dossier.supplemented", "dossier.finished",
    "dossier.withdrawn", "dossier.incident", "dossier.overdue",
    "step.ready", "step.claimed", "step.unclaimed", "step.reassigned", "step.completed", "step.cancelled",
    "step.overdue",
})


def record(session: Session, action: str, at: datetime, *, dossier_id: int | None = None,
           step_id: int | None = None, actor_id: int | None = None,
           details: dict[str, Any] | None = None) -> None:
    """Append ``action`` to the event log (and to the outbox when others react to it)."""
    values = {"dossier_id": dossier_id, "step_id": step_id, "actor_id": actor_id, "action": action, "at": at,
              "details": details or {}}
    session.execute(_EVENT_INSERT, values)
    if action in OUTBOX_ACTIONS:
        outbox.publish(session, action, at, dossier_id=dossier_id, step_id=step_id,
                       payload={"actor_id": actor_id, **(details or {})})
