"""One way to record what happened: ``record()`` writes the event log entry and, for a dossier's
status change or a step's handover, the outbox message, both in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from engine import models, outbox
from engine.prepared import Prepared

__all__ = ["OUTBOX_ACTIONS", "record"]

_EVENTS: Any = models.Event.__table__
_EVENT_INSERT = Prepared(insert(_EVENTS))

#: Actions other parts of the system react to (statistics, notifications): they go to the outbox too.
OUTBOX_ACTIONS = frozenset({
    "dossier.received", "dossier.waiting_supplement", "dossier.supplemented", "dossier.finished",
    "dossier.withdrawn", "dossier.incident", "dossier.overdue", "dossier.apology", "dossier.collected",
    "step.ready", "step.claimed", "step.unclaimed", "step.reassigned", "step.completed", "step.cancelled",
    "step.overdue", "feedback.answered", "application.supplement_requested", "application.refused",
})


def record(session: Session | Connection, action: str, at: datetime, *, dossier_id: int | None = None,
           step_id: int | None = None, actor_id: int | None = None,
           details: dict[str, Any] | None = None) -> None:
    """Append ``action`` to the event log (and to the outbox when others react to it)."""
    write(session, [entry(action, at, dossier_id=dossier_id, step_id=step_id, actor_id=actor_id, details=details)])


def entry(action: str, at: datetime, *, dossier_id: int | None = None, step_id: int | None = None,
          actor_id: int | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """One event log row, to ``write`` later with others."""
    return {"dossier_id": dossier_id, "step_id": step_id, "actor_id": actor_id, "action": action, "at": at,
            "details": details or {}}


def write(session: Session | Connection, entries: list[dict[str, Any]]) -> None:
    """Write event log rows (in their order) and the outbox messages of those others react to."""
    if not entries:
        return
    conn = session.connection() if isinstance(session, Session) else session
    _EVENT_INSERT.executemany(conn, entries)
    messages = [outbox.message(e["action"], e["at"], dossier_id=e["dossier_id"], step_id=e["step_id"],
                               payload={"actor_id": e["actor_id"], **e["details"]})
                for e in entries if e["action"] in OUTBOX_ACTIONS]
    if messages:
        outbox.PUBLISH.executemany(conn, messages)
